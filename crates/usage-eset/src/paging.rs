//! `skip`/`take` paging that always ends and never yields a company twice.

use std::collections::HashSet;

/// Page limit when the server never states a total (10 million companies at 100 a page).
const MAX_PAGES_WITHOUT_TOTAL: u64 = 100_000;

/// Where a paged walk stands.
///
/// Rules: the next `skip` is the previous one plus the length of the page received; the walk
/// ends once `skip` reaches the total (`paging.totalCount` or a top-level `totalCount`, the
/// latest one seen), or, when no total is given, after a page shorter than `take`; it also
/// ends on an empty page, on a page with nothing new (a server that ignores `skip`), and
/// after twice as many pages as the first total called for (a total that keeps growing).
#[derive(Debug)]
pub(crate) struct Pager {
    call: String,
    take: u64,
    skip: u64,
    pages: u64,
    max_pages: u64,
    seen: HashSet<String>,
    done: bool,
}

impl Pager {
    pub(crate) fn new(call: &str, take: u8) -> Self {
        Self {
            call: call.to_owned(),
            take: u64::from(take),
            skip: 0,
            pages: 0,
            max_pages: MAX_PAGES_WITHOUT_TOTAL,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// The `skip` of the next page to fetch, or `None` when the walk is over.
    pub(crate) fn next_skip(&self) -> Option<u64> {
        (!self.done).then_some(self.skip)
    }

    /// True before the first page was recorded.
    pub(crate) fn is_first(&self) -> bool {
        self.pages == 0
    }

    /// True the first time `id` is seen in this walk.
    pub(crate) fn first_sighting(&mut self, id: &str) -> bool {
        self.seen.insert(id.to_owned())
    }

    /// Records a page of `len` entries, `new` of them not seen before, and the total it stated.
    pub(crate) fn record(&mut self, len: usize, new: usize, total: Option<u64>) {
        let len = len as u64;
        if self.pages == 0
            && let Some(total) = total
        {
            let per_page = len.max(1);
            self.max_pages = total
                .div_ceil(per_page)
                .saturating_mul(2)
                .saturating_add(2)
                .min(MAX_PAGES_WITHOUT_TOTAL);
        }
        self.pages += 1;
        self.skip = self.skip.saturating_add(len);
        let reason = if len == 0 {
            Some("empty page")
        } else if new == 0 {
            tracing::warn!(call = %self.call, skip = self.skip, "ESET sent a page with only companies already seen; stopping");
            Some("nothing new")
        } else if let Some(total) = total {
            (self.skip >= total).then_some("total reached")
        } else {
            (len < self.take).then_some("short page")
        };
        if let Some(reason) = reason {
            tracing::debug!(call = %self.call, pages = self.pages, reason, "paging done");
            self.done = true;
        } else if self.pages >= self.max_pages {
            tracing::warn!(
                call = %self.call,
                pages = self.pages,
                "ESET kept announcing more entries than its first total; stopping"
            );
            self.done = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pages` (len, total) and returns the skips that were requested.
    fn walk(take: u8, pages: &[(usize, Option<u64>)]) -> Vec<u64> {
        let mut pager = Pager::new("test", take);
        let mut skips = Vec::new();
        for &(len, total) in pages {
            let Some(skip) = pager.next_skip() else { break };
            skips.push(skip);
            pager.record(len, len, total);
        }
        assert!(pager.next_skip().is_none(), "walk did not end");
        skips
    }

    #[test]
    fn stops_at_total() {
        assert_eq!(
            walk(100, &[(100, Some(230)), (100, Some(230)), (30, Some(230))]),
            vec![0, 100, 200]
        );
    }

    #[test]
    fn short_page_ends_without_total() {
        assert_eq!(walk(100, &[(100, None), (5, None)]), vec![0, 100]);
    }

    #[test]
    fn shrinking_total_ends() {
        assert_eq!(
            walk(100, &[(100, Some(300)), (50, Some(150))]),
            vec![0, 100]
        );
    }

    #[test]
    fn server_page_smaller_than_take_continues_to_total() {
        assert_eq!(
            walk(100, &[(40, Some(100)), (40, Some(100)), (20, Some(100))]),
            vec![0, 40, 80]
        );
    }

    #[test]
    fn growing_total_is_capped() {
        let pages: Vec<(usize, Option<u64>)> = (0..1000).map(|i| (10, Some(20 + i * 10))).collect();
        let skips = walk(10, &pages);
        assert_eq!(skips.len(), 6); // 2 pages called for, doubled, plus 2
    }

    #[test]
    fn empty_page_ends() {
        assert_eq!(walk(100, &[(100, None), (0, None)]), vec![0, 100]);
    }

    #[test]
    fn repeated_page_ends() {
        let mut pager = Pager::new("test", 2);
        assert!(pager.first_sighting("a"));
        assert!(pager.first_sighting("b"));
        pager.record(2, 2, None);
        assert!(!pager.first_sighting("a"));
        assert!(!pager.first_sighting("b"));
        pager.record(2, 0, None);
        assert_eq!(pager.next_skip(), None);
    }
}
