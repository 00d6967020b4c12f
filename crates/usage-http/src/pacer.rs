//! Client-side pacing on an injected clock.
//!
//! A [`Pacer`] lets requests leave at most `n` per second, evenly: a GCRA limiter
//! ([`governor`]) with no burst, and a fair queue in front of it so that waiting callers go in
//! the order they came and only the first of them holds a timer. No burst means no one-second
//! window ever holds more than `n` requests, so a client never depends on a vendor's queue nor
//! trips a stricter sliding-window counter. The clock is tokio's: under
//! `#[tokio::test(start_paused = true)]` every wait is free and exact.

use std::num::NonZeroU32;

use governor::clock::{Clock, ReasonablyRealtime};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// A governor clock on `tokio::time::Instant`, so a paused tokio clock drives the limiter
/// (governor's own clocks read the real time).
#[derive(Debug, Clone, Copy)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let elapsed = self.origin.elapsed().as_nanos();
        Nanos::new(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }
}

impl ReasonablyRealtime for TokioClock {}

type Gcra = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// At most `per_second` requests per second, evenly spaced after an optional burst; share it (in an `Arc` or inside a
/// client) between everything that counts against the same budget.
#[derive(Debug)]
pub struct Pacer {
    gcra: Gcra,
    turn: tokio::sync::Mutex<()>,
    per_second: NonZeroU32,
}

impl Pacer {
    /// A pacer of `per_second` requests per second, evenly spaced from the first (no burst),
    /// starting now.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        Self::with_burst(per_second, NonZeroU32::MIN)
    }

    /// A pacer of `per_second` requests per second that lets `burst` leave at once after a
    /// quiet spell (for a budget the client sets itself, not one a vendor counts strictly).
    pub fn with_burst(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        let clock = TokioClock {
            origin: Instant::now(),
        };
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Self {
            gcra: RateLimiter::direct_with_clock(quota, clock),
            turn: tokio::sync::Mutex::new(()),
            per_second,
        }
    }

    /// The rate it keeps.
    pub fn rate(&self) -> NonZeroU32 {
        self.per_second
    }

    /// Waits (on tokio's clock) until one more request may leave.
    pub async fn until_ready(&self) {
        let _turn = self.turn.lock().await;
        while let Err(not_until) = self.gcra.check() {
            let wait = not_until.wait_time_from(self.gcra.clock().now());
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn five_per_second_spaces_requests_200_ms_apart() {
        let pacer = Arc::new(Pacer::per_second(
            NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
        ));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..11 {
            let pacer = Arc::clone(&pacer);
            tasks.push(tokio::spawn(async move {
                pacer.until_ready().await;
                start.elapsed()
            }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap_or_default());
        }
        times.sort();
        assert_eq!(times.first(), Some(&Duration::ZERO));
        assert_eq!(times.last(), Some(&Duration::from_secs(2)));
        for pair in times.windows(2) {
            if let [a, b] = pair {
                assert_eq!(*b - *a, Duration::from_millis(200));
            }
        }
        // No one-second window holds more than 5.
        for t in &times {
            let window = times
                .iter()
                .filter(|u| **u >= *t && **u < *t + Duration::from_secs(1))
                .count();
            assert!(window <= 5, "{window} in the second after {t:?}");
        }
    }
}
