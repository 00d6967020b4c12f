//! What is retried, and how long to wait before the next attempt.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use backon::ExponentialBuilder;

use crate::GravityZoneError;

/// Shortest wait before a retry (before jitter).
const MIN_DELAY: Duration = Duration::from_millis(500);
/// Longest wait before a retry (before jitter).
const MAX_DELAY: Duration = Duration::from_secs(30);
/// Shortest wait after a 429 that came without `Retry-After`.
const MIN_RATE_LIMITED_DELAY: Duration = Duration::from_secs(1);
/// A `Retry-After` longer than this is not waited for: the call fails with `RateLimited`.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Never: the answer will not change (bad request, bad credentials, unknown shape).
    Never,
    /// After the exponential backoff delay (5xx, timeouts, connection errors, cut-off bodies).
    Backoff,
    /// After a 429: after `Retry-After` when the server sent one, else after the backoff delay
    /// (at least a second).
    RateLimited(Option<Duration>),
}

/// A failed attempt: the error it ends with if it is the last, and whether it may be retried.
#[derive(Debug)]
pub(crate) struct AttemptError {
    pub(crate) error: Box<GravityZoneError>,
    pub(crate) retry: Retry,
}

impl AttemptError {
    /// An error that is final.
    pub(crate) fn fatal(error: GravityZoneError) -> Self {
        Self {
            error: Box::new(error),
            retry: Retry::Never,
        }
    }

    /// An error worth another attempt after the backoff delay.
    pub(crate) fn transient(error: GravityZoneError) -> Self {
        Self {
            error: Box::new(error),
            retry: Retry::Backoff,
        }
    }

    /// Whether another attempt may help.
    pub(crate) fn is_retryable(&self) -> bool {
        self.retry != Retry::Never
    }

    /// The delay before the next attempt, given the backoff's proposal (`None` once the attempts
    /// are used up, which stays `None`).
    pub(crate) fn next_delay(&self, backoff: Option<Duration>) -> Option<Duration> {
        let backoff = backoff?;
        match self.retry {
            Retry::Never => None,
            Retry::Backoff => Some(backoff),
            Retry::RateLimited(Some(after)) if after > MAX_RETRY_AFTER => None,
            Retry::RateLimited(Some(after)) => Some(after),
            Retry::RateLimited(None) => Some(backoff.max(MIN_RATE_LIMITED_DELAY)),
        }
    }
}

/// Exponential backoff with jitter: `attempts` attempts in all (so `attempts - 1` retries),
/// 0.5 s doubling up to 30 s, each plus a random part of itself.
pub(crate) fn backoff(attempts: u32) -> ExponentialBuilder {
    let retries = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
    ExponentialBuilder::default()
        .with_min_delay(MIN_DELAY)
        .with_max_delay(MAX_DELAY)
        .with_factor(2.0)
        .with_max_times(retries)
        .with_jitter()
        .with_jitter_seed(random_seed())
}

/// A per-call random seed from the standard library's randomly keyed hasher (backon without its
/// `std` feature would otherwise use the same seed everywhere, and all clients would retry in
/// step).
fn random_seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x6d73_702d_7573_6167);
    hasher.finish()
}

/// `Retry-After` as seconds (`120`) or as an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`,
/// relative to `now`). A date in the past means "now"; anything else unreadable is ignored.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn next_delay_rules() {
        let err = || GravityZoneError::RateLimited {
            method: "m",
            retry_after: None,
        };
        let d = Some(Duration::from_millis(700));
        let never = AttemptError::fatal(err());
        assert_eq!(never.next_delay(d), None);
        let backoff = AttemptError::transient(err());
        assert_eq!(backoff.next_delay(d), d);
        assert_eq!(backoff.next_delay(None), None);
        let after = AttemptError {
            error: Box::new(err()),
            retry: Retry::RateLimited(Some(Duration::from_secs(3))),
        };
        assert_eq!(after.next_delay(d), Some(Duration::from_secs(3)));
        assert_eq!(after.next_delay(None), None);
        let too_long = AttemptError {
            error: Box::new(err()),
            retry: Retry::RateLimited(Some(Duration::from_secs(3600))),
        };
        assert_eq!(too_long.next_delay(d), None);
        let bare = AttemptError {
            error: Box::new(err()),
            retry: Retry::RateLimited(None),
        };
        assert_eq!(bare.next_delay(d), Some(MIN_RATE_LIMITED_DELAY));
    }
}
