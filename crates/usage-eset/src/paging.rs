//! `skip`/`take` paging that always ends, never yields a company twice, and never stops early
//! because of a total it cannot trust.

use std::collections::HashSet;

use crate::error::EsetError;

/// Most pages of one walk (10 million companies at 100 a page) when no plausible total bounds it.
const MAX_PAGES: u64 = 100_000;

/// Where a paged walk stands.
///
/// Rules (SPEC section 5): the next `skip` is the previous one plus the length of the page
/// received; a full page (as long as `take`) is always followed by another, whatever the total
/// says, because ESET documents `totalCount` both as "the number of companies" and as "the
/// number of API data segments" (a total of 0, or one equal to the first page's length, must
/// not end the walk at 100). A shorter page ends the walk, unless the total says more remain (a
/// server whose pages are smaller than `take`). An empty page ends it, and so does a page with
/// nothing new (a server that ignores `skip`). Pages that keep coming back full far past the
/// first plausible total (or past [`MAX_PAGES`]) end it with an error, never silently.
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
            max_pages: MAX_PAGES,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// The `skip` of the next page to fetch, or `None` when the walk is over.
    pub(crate) fn next_skip(&self) -> Option<u64> {
        (!self.done).then_some(self.skip)
    }

    /// Ends the walk (after an error).
    pub(crate) fn stop(&mut self) {
        self.done = true;
    }

    /// True before the first page was recorded.
    pub(crate) fn is_first(&self) -> bool {
        self.pages == 0
    }

    /// True the first time `id` is seen in this walk.
    pub(crate) fn first_sighting(&mut self, id: &str) -> bool {
        self.seen.insert(id.to_owned())
    }

    /// Records a page of `len` entries, `new` of them not seen before, and the total it stated;
    /// an error once pages have kept coming back full far longer than any total announced.
    pub(crate) fn record(
        &mut self,
        len: usize,
        new: usize,
        total: Option<u64>,
    ) -> Result<(), EsetError> {
        let len = len as u64;
        if self.pages == 0
            && let Some(total) = total.filter(|t| *t > len)
        {
            // A total larger than the first page is plausible: allow twice the pages it calls
            // for (a total that grows a little while the walk goes on) before giving up.
            self.max_pages = total
                .div_ceil(len.max(1))
                .saturating_mul(2)
                .saturating_add(2)
                .min(MAX_PAGES);
        }
        self.pages += 1;
        self.skip = self.skip.saturating_add(len);
        let more_by_total = total.is_some_and(|t| self.skip < t);
        let reason = if len == 0 {
            Some("empty page")
        } else if new == 0 {
            tracing::warn!(call = %self.call, skip = self.skip, "ESET sent a page with only companies already seen; stopping");
            Some("nothing new")
        } else if len >= self.take {
            if !more_by_total {
                tracing::debug!(call = %self.call, skip = self.skip, ?total, "a full page at or past the total; reading on");
            }
            None
        } else if more_by_total {
            None
        } else {
            Some("short page")
        };
        if let Some(reason) = reason {
            tracing::debug!(call = %self.call, pages = self.pages, reason, "paging done");
            self.done = true;
        } else if self.pages >= self.max_pages {
            self.done = true;
            return Err(EsetError::EndlessPaging {
                call: self.call.clone(),
                pages: self.pages,
                companies: self.seen.len() as u64,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Feeds `pages` (len, total) and returns the skips that were requested.
    fn walk(take: u8, pages: &[(usize, Option<u64>)]) -> Vec<u64> {
        let mut pager = Pager::new("test", take);
        let mut skips = Vec::new();
        for &(len, total) in pages {
            let Some(skip) = pager.next_skip() else { break };
            skips.push(skip);
            if pager.record(len, len, total).is_err() {
                skips.push(u64::MAX);
            }
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
    fn growing_total_is_capped_with_an_error() {
        let pages: Vec<(usize, Option<u64>)> = (0..1000).map(|i| (10, Some(20 + i * 10))).collect();
        let skips = walk(10, &pages);
        // 2 pages called for, doubled, plus 2; then the error (u64::MAX here).
        assert_eq!(skips.len(), 7);
        assert_eq!(skips.last(), Some(&u64::MAX));
    }

    #[test]
    fn a_total_of_zero_or_of_one_page_does_not_stop_full_pages() {
        for total in [Some(0), Some(100), Some(2)] {
            assert_eq!(
                walk(100, &[(100, total), (100, total), (7, total)]),
                vec![0, 100, 200],
                "{total:?}"
            );
        }
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
        pager.record(2, 2, None).unwrap();
        assert!(!pager.first_sighting("a"));
        assert!(!pager.first_sighting("b"));
        pager.record(2, 0, None).unwrap();
        assert_eq!(pager.next_skip(), None);
    }
}
