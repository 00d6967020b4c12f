//! GravityZone's licensing rate limit: per API key, a number of requests per second with a FIFO
//! queue of waiting requests; when the queue is full, requests are refused (HTTP 429).
//!
//! It is a GCRA (generic cell rate algorithm, the token bucket's twin): with 5 per second and a
//! queue of 5, a burst gets 5 answers at once, the next 5 wait 200 ms, 400 ms, ... 1 s for their
//! turn, and the rest are refused with the time until the first waiting request starts.
//! Time is tokio's, so tests can pause and advance it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// What the limiter decides for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Serve now.
    Now,
    /// Serve when this instant comes (the request waits in the queue).
    At(Instant),
    /// Refuse; a new request will be admitted after this long.
    Refused(Duration),
}

#[derive(Debug)]
struct KeyState {
    /// Theoretical arrival time of the next request.
    tat: Instant,
    /// Start times of admitted requests still waiting, in order.
    waiting: VecDeque<Instant>,
}

/// A per-key limiter.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    queue: usize,
    keys: Mutex<BTreeMap<String, KeyState>>,
}

impl RateLimiter {
    /// `per_second` requests per second at most (at least 1), `burst` of them at once, and up to
    /// `queue` waiting.
    pub(crate) fn new(per_second: u32, burst: u32, queue: usize) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        Self {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            queue,
            keys: Mutex::new(BTreeMap::new()),
        }
    }

    /// GravityZone's licensing limit: 5 per second, queue of 5.
    pub(crate) fn gravityzone_licensing() -> Self {
        Self::new(5, 5, 5)
    }

    /// Decides for one request of `key` arriving at `now`.
    pub(crate) fn admit(&self, key: &str, now: Instant) -> Admission {
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = keys.entry(key.to_string()).or_insert_with(|| KeyState {
            tat: now,
            waiting: VecDeque::new(),
        });
        while state.waiting.front().is_some_and(|start| *start <= now) {
            state.waiting.pop_front();
        }
        let tat = state.tat.max(now);
        let start = tat.checked_sub(self.tolerance).map_or(now, |s| s.max(now));
        if start <= now {
            state.tat = tat + self.interval;
            return Admission::Now;
        }
        if state.waiting.len() >= self.queue {
            let first = state.waiting.front().copied().unwrap_or(start);
            return Admission::Refused(first.saturating_duration_since(now));
        }
        state.tat = tat + self.interval;
        state.waiting.push_back(start);
        Admission::At(start)
    }
}

/// The `Retry-After` value (whole seconds, at least 1) for a refusal.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_gets_five_now_five_queued_and_the_rest_refused() {
        let limiter = RateLimiter::gravityzone_licensing();
        let t0 = Instant::now();
        let decisions: Vec<Admission> = (0..20).map(|_| limiter.admit("key", t0)).collect();
        let now = decisions.iter().filter(|d| **d == Admission::Now).count();
        let queued: Vec<Instant> = decisions
            .iter()
            .filter_map(|d| match d {
                Admission::At(at) => Some(*at),
                _ => None,
            })
            .collect();
        let refused = decisions
            .iter()
            .filter(|d| matches!(d, Admission::Refused(_)))
            .count();
        assert_eq!((now, queued.len(), refused), (5, 5, 10));
        let offsets: Vec<u128> = queued.iter().map(|at| (*at - t0).as_millis()).collect();
        assert_eq!(offsets, vec![200, 400, 600, 800, 1000]);
        assert!(decisions.contains(&Admission::Refused(Duration::from_millis(200))));
        // Another key is not affected.
        assert_eq!(limiter.admit("other", t0), Admission::Now);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_is_five_per_second_once_the_burst_is_spent() {
        let limiter = RateLimiter::gravityzone_licensing();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_ne!(limiter.admit("key", t0), Admission::Refused(Duration::ZERO));
        }
        // After 1 s the queue has drained; the pace is one every 200 ms from now on.
        tokio::time::advance(Duration::from_secs(1)).await;
        let t1 = Instant::now();
        assert!(
            matches!(limiter.admit("key", t1), Admission::At(at) if at - t1 == Duration::from_millis(200))
        );
        // After a quiet while the full burst is available again.
        tokio::time::advance(Duration::from_secs(5)).await;
        let t2 = Instant::now();
        let now = (0..5)
            .filter(|_| limiter.admit("key", t2) == Admission::Now)
            .count();
        assert_eq!(now, 5);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(200)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }
}
