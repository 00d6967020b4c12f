//! The pages of one listing (a usage report or `Company/Children`), in order, with the pages
//! after the first fetched several at a time: the client's pace, not the round trip, sets how
//! fast a large MSP is read.
//!
//! Once the first page is back, the following ones are asked `ahead` at a time (up to the end
//! the first page's total announces, and a window at a time past it, since the total cannot be
//! trusted), and handed to the [`Pager`] strictly in order, so the walk ends where a sequential
//! one would (the first short or empty page) and yields the same pages. Pages asked for past
//! that end are dropped unread. A server whose pages are shorter than `take` breaks the
//! arithmetic of the skips: from then on the pages are asked one at a time.

use std::future::Future;
use std::sync::Arc;

use futures::stream::{self, BoxStream, Stream, StreamExt};

use crate::error::EsetError;
use crate::paging::Pager;

/// What the caller makes of one page: what to yield (if anything), and for the pager the
/// number of entries, how many were new, and the total the page stated.
pub(crate) struct Tally<U> {
    /// The item to yield for this page, if any.
    pub(crate) item: Option<U>,
    /// Entries on the page.
    pub(crate) len: usize,
    /// Entries not seen before in this walk.
    pub(crate) new: usize,
    /// The total the page stated.
    pub(crate) total: Option<u64>,
}

/// One fetched page: its `skip`, and the answer.
type Fetched<T> = (u64, Result<T, EsetError>);

/// Where a concurrent walk stands between items.
struct Walk<'a, T, F, G> {
    pager: Pager,
    take: u64,
    ahead: usize,
    fetch: Arc<F>,
    tally: G,
    /// Pages on the wire or waiting to be handed over, in skip order.
    window: Option<BoxStream<'a, Fetched<T>>>,
    /// The end the first page's total announced (when it announced more than one page).
    announced: Option<u64>,
    /// False once a page was shorter than `take` without ending the walk: skips are then
    /// known only one page at a time.
    aligned: bool,
    /// Pages the next window asks for: 2 after the first page, doubling up to `ahead`, so a
    /// listing of two or three pages costs no more requests than read one at a time would.
    burst: usize,
}

/// The pages of one listing as a stream of the caller's items (see the module docs).
/// `fetch(skip)` asks for one page; `tally(page, pager)` turns it into an item and the counts
/// the pager needs (and may call [`Pager::first_sighting`]). A failed page ends the stream
/// with its error, as does a walk the pager finds endless.
pub(crate) fn pages<'a, T, U, F, Fut, G>(
    pager: Pager,
    take: u8,
    ahead: usize,
    fetch: F,
    tally: G,
) -> impl Stream<Item = Result<U, EsetError>> + Send + 'a
where
    T: Send + 'a,
    U: Send + 'a,
    F: Fn(u64) -> Fut + Send + Sync + 'a,
    Fut: Future<Output = Result<T, EsetError>> + Send + 'a,
    G: FnMut(T, &mut Pager) -> Result<Tally<U>, EsetError> + Send + 'a,
{
    let walk = Walk {
        pager,
        take: u64::from(take.max(1)),
        ahead: ahead.max(1),
        fetch: Arc::new(fetch),
        tally,
        window: None,
        announced: None,
        aligned: true,
        burst: 2,
    };
    stream::unfold(walk, |mut walk| async move {
        let item = walk.next().await?;
        Some((item, walk))
    })
}

impl<'a, T, U, F, Fut, G> Walk<'a, T, F, G>
where
    T: Send + 'a,
    F: Fn(u64) -> Fut + Send + Sync + 'a,
    Fut: Future<Output = Result<T, EsetError>> + Send + 'a,
    G: FnMut(T, &mut Pager) -> Result<Tally<U>, EsetError>,
{
    /// The next item, `None` when the walk is over (and after an error).
    async fn next(&mut self) -> Option<Result<U, EsetError>> {
        loop {
            let skip = self.pager.next_skip()?;
            if self.window.is_none() {
                self.window = Some(self.open(skip));
            }
            let window = self.window.as_mut()?;
            let Some((fetched, answer)) = window.next().await else {
                self.window = None;
                continue;
            };
            if fetched != skip {
                // A short page moved the next skip: what was asked ahead is of no use.
                self.window = None;
                self.aligned = false;
                continue;
            }
            let tallied = answer.and_then(|page| {
                let first = self.pager.is_first();
                let tally = (self.tally)(page, &mut self.pager)?;
                if first {
                    // The end the total announces: its last page, and one more when that page
                    // would be full (a full page is always followed by another).
                    let take = self.take;
                    self.announced = tally.total.filter(|t| *t > tally.len as u64).map(|t| {
                        if t % take == 0 {
                            t.saturating_add(take)
                        } else {
                            t
                        }
                    });
                }
                if tally.len as u64 != self.take && tally.len != 0 {
                    self.aligned = false;
                }
                self.pager.record(tally.len, tally.new, tally.total)?;
                Ok(tally.item)
            });
            match tallied {
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => {}
                Err(e) => {
                    self.pager.stop();
                    self.window = None;
                    return Some(Err(e));
                }
            }
        }
    }

    /// The pages to ask for next, from `start`: the first page alone; then a window of
    /// `burst` pages (never past the announced end while it is ahead); one page at a time once
    /// skips are not aligned.
    fn open(&mut self, start: u64) -> BoxStream<'a, Fetched<T>> {
        let (count, ahead) = if self.pager.is_first() || !self.aligned {
            (1, 1)
        } else {
            let burst = self.burst as u64;
            self.burst = (self.burst * 2).min(self.ahead);
            let count = match self.announced.filter(|end| *end > start) {
                Some(end) => (end - start).div_ceil(self.take).min(burst),
                None => burst,
            };
            (count, self.ahead)
        };
        let (take, fetch) = (self.take, Arc::clone(&self.fetch));
        stream::iter((0..count).map(move |n| start.saturating_add(n * take)))
            .map(move |skip| {
                let fetch = Arc::clone(&fetch);
                async move { (skip, fetch(skip).await) }
            })
            .buffered(ahead)
            .boxed()
    }
}
