//! A governor clock on tokio's time, so the rate limiter follows a paused test clock.

use governor::clock::Clock;
use governor::nanos::Nanos;
use tokio::time::Instant;

/// Governor's built-in clocks read the real time; this one reads `tokio::time::Instant`, which
/// `#[tokio::test(start_paused = true)]` controls, so rate-limit waits cost no real time in tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokioClock {
    origin: Instant,
}

impl TokioClock {
    /// A clock whose zero is now.
    pub(crate) fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let elapsed = self.origin.elapsed().as_nanos();
        Nanos::new(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }
}
