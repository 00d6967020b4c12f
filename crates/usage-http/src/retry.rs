//! What is retried, how long to wait before the next attempt, and the retry loop.
//!
//! [`decide`] is pure: given how an attempt failed ([`Retry`]), the attempt number, the
//! attempts allowed and the backoff delay proposed, it says "retry after D" or "give up, and
//! why". [`with_retries`] runs it, sleeping on tokio's clock (so a paused test clock makes
//! every wait free) and not at all in a replay.

use std::future::Future;
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder as _, ExponentialBuilder};

/// A `Retry-After` longer than this is not waited for: the request fails at once.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Shortest backoff delay (before jitter); it doubles per retry.
const MIN_BACKOFF: Duration = Duration::from_millis(500);
/// Longest backoff delay (before jitter).
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Shortest wait after a rate-limit answer that came without `Retry-After`.
const MIN_RATE_LIMITED: Duration = Duration::from_secs(1);

/// Most attempts of one request that a setting may ask for.
pub const MAX_ATTEMPTS_LIMIT: u32 = 20;

/// How a failed attempt may go on; what a vendor's `classify` says about an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Never: the answer will not change (bad request, bad credentials, unknown shape).
    Never,
    /// After the exponential backoff, or after the server's `Retry-After` if it sent one
    /// (5xx, 408, timeouts, connection errors, cut-off bodies).
    Backoff(Option<Duration>),
    /// Rate limited (429): after the server's `Retry-After` if it sent one, else after the
    /// backoff, at least a second.
    RateLimited(Option<Duration>),
}

impl Retry {
    /// The usual verdict on a non-2xx HTTP status: 429 is rate limited; 408 and every 5xx but
    /// 501 and 505 are retried; anything else is final. `retry_after` is the server's wait.
    pub fn for_status(status: u16, retry_after: Option<Duration>) -> Self {
        match status {
            429 => Retry::RateLimited(retry_after),
            // 501 and 505 say the server cannot do this at all; every other 5xx (507, a proxy's
            // 520-524, ...) may pass.
            501 | 505 => Retry::Never,
            408 | 500..=599 => Retry::Backoff(retry_after),
            _ => Retry::Never,
        }
    }

    /// Whether another attempt may help.
    pub fn is_retryable(self) -> bool {
        self != Retry::Never
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send again after this long.
    RetryAfter(Duration),
    /// Stop, for this reason.
    GiveUp(GiveUp),
}

/// Why a request was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The failure is final; asking again cannot help.
    Final,
    /// Every allowed attempt was made.
    AttemptsUsed,
    /// The server asked to wait this long, more than [`MAX_RETRY_AFTER`].
    WaitTooLong(Duration),
}

/// The retry decision after attempt number `attempt` (from 1) of at most `max_attempts` failed
/// with `retry`; `backoff` is the jittered exponential delay proposed for this retry.
pub fn decide(retry: Retry, attempt: u32, max_attempts: u32, backoff: Duration) -> Decision {
    let server_wait = match retry {
        Retry::Never => return Decision::GiveUp(GiveUp::Final),
        Retry::Backoff(after) | Retry::RateLimited(after) => after,
    };
    if let Some(wait) = server_wait.filter(|w| *w > MAX_RETRY_AFTER) {
        return Decision::GiveUp(GiveUp::WaitTooLong(wait));
    }
    if attempt >= max_attempts {
        return Decision::GiveUp(GiveUp::AttemptsUsed);
    }
    Decision::RetryAfter(match (retry, server_wait) {
        (_, Some(wait)) => wait,
        (Retry::RateLimited(None), None) => backoff.max(MIN_RATE_LIMITED),
        _ => backoff,
    })
}

/// `Retry-After` as seconds (`120`) or as an HTTP date (relative to `now`). A date in the past
/// means "now"; anything else unreadable is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A failed attempt: the error it ends with if it is the last, and how it may go on.
#[derive(Debug)]
pub struct Failed<E> {
    /// The error of this attempt (boxed: errors are large, and attempts fail rarely).
    pub error: Box<E>,
    /// Whether and when to try again.
    pub retry: Retry,
}

impl<E> Failed<E> {
    /// A failure with this verdict.
    pub fn new(error: E, retry: Retry) -> Self {
        Self {
            error: Box::new(error),
            retry,
        }
    }

    /// A final failure.
    pub fn never(error: E) -> Self {
        Self::new(error, Retry::Never)
    }

    /// A failure worth another attempt after the backoff.
    pub fn backoff(error: E) -> Self {
        Self::new(error, Retry::Backoff(None))
    }

    /// The same verdict on the error `f` makes of this one (e.g. scrubbed of secrets).
    pub fn map<F: FnOnce(E) -> E>(self, f: F) -> Self {
        Self::new(f(*self.error), self.retry)
    }
}

/// A request given up: the last attempt's error, how many attempts were made, and why.
#[derive(Debug)]
pub struct GaveUp<E> {
    /// The error of the last attempt.
    pub error: Box<E>,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Why no further attempt was made.
    pub reason: GiveUp,
}

/// How one request is retried: at most `max_attempts` attempts, no waiting in a replay.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Who is called, for log lines (`ESET`, `GravityZone`).
    pub vendor: &'static str,
    /// Attempts of one request, the first included (at least 1).
    pub max_attempts: u32,
    /// Replay: retries are immediate.
    pub immediate: bool,
}

/// Runs `attempt` (given the attempt number, from 1) until it succeeds or [`decide`] gives up;
/// between attempts it waits on tokio's clock (not at all when `policy.immediate`), with
/// jittered exponential backoff or as long as the server said. `call` names the request in the
/// log line of each retry; `E`'s `Display` must hold no secret.
pub async fn with_retries<T, E, F, Fut>(
    policy: RetryPolicy,
    call: &str,
    mut attempt: F,
) -> Result<T, GaveUp<E>>
where
    E: std::fmt::Display,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failed<E>>>,
{
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(MIN_BACKOFF)
        .with_max_delay(MAX_BACKOFF)
        .with_factor(2.0)
        .without_max_times()
        .with_jitter()
        .with_jitter_seed(jitter_seed())
        .build();
    let mut number = 1;
    loop {
        let failed = match attempt(number).await {
            Ok(value) => return Ok(value),
            Err(failed) => failed,
        };
        let proposed = backoff.next().unwrap_or(MAX_BACKOFF);
        match decide(failed.retry, number, policy.max_attempts, proposed) {
            Decision::GiveUp(reason) => {
                // One warning for a request given up after retries; a final answer at the
                // first attempt (a bad request, refused credentials) is the caller's to report.
                if number > 1 || matches!(reason, GiveUp::WaitTooLong(_)) {
                    tracing::warn!(
                        call,
                        attempts = number,
                        error = %failed.error,
                        "{} call failed after {number} attempt(s)",
                        policy.vendor
                    );
                }
                return Err(GaveUp {
                    error: failed.error,
                    attempts: number,
                    reason,
                });
            }
            Decision::RetryAfter(delay) => {
                // A retry that later succeeds is routine: logged at debug, never warned.
                let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                let vendor = policy.vendor;
                if matches!(failed.retry, Retry::RateLimited(_)) {
                    tracing::debug!(
                        call,
                        attempt = number,
                        delay_ms,
                        "{vendor} rate limit reached, waiting"
                    );
                } else {
                    tracing::debug!(call, attempt = number, delay_ms, error = %failed.error, "retrying {vendor} call");
                }
                if !policy.immediate {
                    tokio::time::sleep(delay).await;
                }
            }
        }
        number += 1;
    }
}

/// A seed for the backoff jitter, different per call and per process (from the standard
/// library's randomly keyed hasher), so that clients and calls never retry in step.
fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x6d73_702d_7573_6167);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Duration = Duration::from_millis(700);

    #[test]
    fn final_failures_are_never_retried() {
        assert_eq!(
            decide(Retry::Never, 1, 5, B),
            Decision::GiveUp(GiveUp::Final)
        );
    }

    #[test]
    fn backoff_until_the_attempts_are_used() {
        assert_eq!(
            decide(Retry::Backoff(None), 1, 5, B),
            Decision::RetryAfter(B)
        );
        assert_eq!(
            decide(Retry::Backoff(None), 4, 5, B),
            Decision::RetryAfter(B)
        );
        assert_eq!(
            decide(Retry::Backoff(None), 5, 5, B),
            Decision::GiveUp(GiveUp::AttemptsUsed)
        );
        assert_eq!(
            decide(Retry::Backoff(None), 1, 1, B),
            Decision::GiveUp(GiveUp::AttemptsUsed)
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_120_s() {
        let s = Duration::from_secs;
        assert_eq!(
            decide(Retry::RateLimited(Some(s(1))), 1, 5, B),
            Decision::RetryAfter(s(1))
        );
        assert_eq!(
            decide(Retry::Backoff(Some(s(120))), 1, 5, B),
            Decision::RetryAfter(s(120))
        );
        assert_eq!(
            decide(Retry::RateLimited(Some(s(121))), 1, 5, B),
            Decision::GiveUp(GiveUp::WaitTooLong(s(121)))
        );
        assert_eq!(
            decide(Retry::Backoff(Some(s(100_000))), 5, 5, B),
            Decision::GiveUp(GiveUp::WaitTooLong(s(100_000)))
        );
        assert_eq!(
            decide(Retry::RateLimited(None), 1, 5, B),
            Decision::RetryAfter(MIN_RATE_LIMITED)
        );
        assert_eq!(
            decide(Retry::RateLimited(None), 1, 5, s(4)),
            Decision::RetryAfter(s(4))
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(Retry::for_status(429, None), Retry::RateLimited(None));
        for status in [408, 500, 502, 503, 504, 507, 520, 524, 599] {
            assert!(Retry::for_status(status, None).is_retryable(), "{status}");
        }
        for status in [301, 400, 401, 403, 404, 405, 501, 505] {
            assert_eq!(Retry::for_status(status, None), Retry::Never, "{status}");
        }
    }

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

    /// The loop on a paused clock: a `Retry-After: 1` costs one second of tokio time, and the
    /// attempts end where the policy says.
    #[tokio::test(start_paused = true)]
    async fn the_loop_waits_on_the_paused_clock() {
        let start = tokio::time::Instant::now();
        let policy = RetryPolicy {
            vendor: "test",
            max_attempts: 3,
            immediate: false,
        };
        let result: Result<(), GaveUp<String>> = with_retries(policy, "c", |n| async move {
            Err(Failed::new(
                format!("attempt {n}"),
                Retry::RateLimited(Some(Duration::from_secs(1))),
            ))
        })
        .await;
        let gave_up = result.err();
        assert_eq!(gave_up.as_ref().map(|g| g.attempts), Some(3));
        assert_eq!(
            gave_up.as_ref().map(|g| g.reason),
            Some(GiveUp::AttemptsUsed)
        );
        assert_eq!(start.elapsed(), Duration::from_secs(2));

        let immediate = RetryPolicy {
            vendor: "test",
            max_attempts: 4,
            immediate: true,
        };
        let start = tokio::time::Instant::now();
        let result: Result<u32, GaveUp<String>> = with_retries(immediate, "c", |n| async move {
            if n < 4 {
                Err(Failed::backoff(format!("attempt {n}")))
            } else {
                Ok(n)
            }
        })
        .await;
        assert_eq!(result.ok(), Some(4));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
