//! Client-side pacing of the documented per-key budgets.
//!
//! GravityZone allows 5 requests/s for the licensing methods and `getCompanyDetails` (with a
//! server-side queue of 5 behind the limit) and 10 requests/s for every other method; above
//! that it answers HTTP 429. The client paces itself below both with one GCRA limiter
//! ([`governor`]) per budget, shared by every clone of a client.
//!
//! The limiters allow no burst: requests leave at most one per 200 ms (licensing) or 100 ms
//! (others). That keeps the average at the documented rate and never puts more than 5 (or 10)
//! requests into any one-second window, so the client neither depends on the vendor's queue nor
//! trips a stricter sliding-window counter. A burst of 5 on top of 5/s would put 9 requests into
//! the first second.

use std::num::NonZeroU32;

use governor::clock::{Clock, ReasonablyRealtime};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// A governor clock on `tokio::time::Instant`, so that a paused tokio clock
/// (`#[tokio::test(start_paused = true)]`) drives the limiter; governor's own clocks and its
/// `until_ready` read the real time.
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

impl ReasonablyRealtime for TokioClock {}

/// Which documented budget a method counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateClass {
    /// Licensing methods and `companies.getCompanyDetails`: 5 requests/s.
    Licensing,
    /// Every other method (here: `network.getCompaniesList`): 10 requests/s.
    Default,
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// One budget: a GCRA limiter plus a fair queue in front of it, so waiting callers go in the
/// order they came and only the first of them holds a timer.
#[derive(Debug)]
struct Budget {
    gcra: Gcra,
    turn: tokio::sync::Mutex<()>,
}

impl Budget {
    fn new(per_second: NonZeroU32) -> Self {
        let quota = Quota::per_second(per_second).allow_burst(NonZeroU32::MIN);
        Self {
            gcra: RateLimiter::direct_with_clock(quota, TokioClock::new()),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    async fn until_ready(&self) {
        let _turn = self.turn.lock().await;
        loop {
            match self.gcra.check() {
                Ok(()) => return,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.gcra.clock().now());
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

const FIVE: NonZeroU32 = match NonZeroU32::new(5) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};
const TEN: NonZeroU32 = match NonZeroU32::new(10) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// The limiters of one API key.
#[derive(Debug)]
pub(crate) struct Limiters {
    licensing: Budget,
    default: Budget,
}

impl Limiters {
    /// The documented budgets: 5/s licensing, 10/s default.
    pub(crate) fn new() -> Self {
        Self {
            licensing: Budget::new(FIVE),
            default: Budget::new(TEN),
        }
    }

    /// Waits until one more request of `class` may leave.
    pub(crate) async fn until_ready(&self, class: RateClass) {
        match class {
            RateClass::Licensing => self.licensing.until_ready().await,
            RateClass::Default => self.default.until_ready().await,
        }
    }
}
