//! Sending one call: rate limit, HTTP, classification of the answer, decoding, retries.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable as _};
use governor::RateLimiter;
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use usage_models::eset::{EsetErrorResponse, EsetErrorResponseCode, EsetErrorResponseSubCode};

use crate::clock::TokioClock;
use crate::error::EsetError;
use crate::exchange::{
    Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource, TIMEOUT_PREFIX, redact_request,
    redact_token_answer,
};

/// `User-Agent` of every request.
pub(crate) const USER_AGENT_VALUE: &str = concat!("msp-usage/", env!("CARGO_PKG_VERSION"));

/// Bodies above this size are refused rather than buffered (a usage page of 100 companies is
/// a few hundred kilobytes at most).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Characters of a body quoted in an error.
const SNIPPET_CHARS: usize = 200;

/// A `Retry-After` longer than this is shortened to it, so one answer cannot stall a run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// First backoff delay; it doubles per retry (with jitter) up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(500);

/// Longest backoff delay.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The rate limiter type: direct, in memory, on tokio's clock.
type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// HTTP method of a call (ESET uses only these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// One call to send: its path below the base URL and its JSON body.
pub(crate) struct Call {
    /// Path below the base URL, e.g. `Company/Children`; also the call's name in errors.
    pub(crate) path: String,
    pub(crate) method: Method,
    /// Serialized JSON body (POST only).
    pub(crate) body: Vec<u8>,
    /// The body as an [`Exchange`] shows it: JSON with secrets redacted, `Null` for a GET.
    pub(crate) request: serde_json::Value,
    /// A token call: its bodies may hold secrets, so they are never quoted.
    pub(crate) secret_bodies: bool,
}

impl Call {
    /// A GET call.
    pub(crate) fn get(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            method: Method::Get,
            body: Vec::new(),
            request: serde_json::Value::Null,
            secret_bodies: false,
        }
    }

    /// A POST call with `body` serialized as JSON.
    pub(crate) fn post<B: serde::Serialize>(path: &str, body: &B) -> Result<Self, EsetError> {
        let encode_error = |e: serde_json::Error| {
            EsetError::InvalidInput(format!("could not encode the body of {path}: {e}"))
        };
        let body = serde_json::to_vec(body).map_err(encode_error)?;
        // Read back from the bytes sent, so the exchange shows exactly what went out.
        let request = serde_json::from_slice(&body).map_err(encode_error)?;
        Ok(Self {
            path: path.to_owned(),
            method: Method::Post,
            body,
            request: redact_request(request),
            secret_bodies: false,
        })
    }

    /// Marks the call as a token call (bodies never quoted).
    pub(crate) fn secret(mut self) -> Self {
        self.secret_bodies = true;
        self
    }
}

/// How a failed attempt may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Give up with the error.
    Stop,
    /// Retry, after the server's `Retry-After` if it sent one, else after the backoff.
    Retry(Option<Duration>),
    /// HTTP 401: the token was refused.
    Unauthorized,
}

/// A failed attempt: the error to surface and how to go on.
#[derive(Debug)]
pub(crate) struct Failure {
    /// Boxed: the error is large and attempts fail on the hot path only rarely.
    pub(crate) error: Box<EsetError>,
    pub(crate) next: Next,
}

impl Failure {
    /// A failure that is never retried.
    pub(crate) fn stop(error: EsetError) -> Self {
        Self {
            error: Box::new(error),
            next: Next::Stop,
        }
    }

    fn retry(error: EsetError, after: Option<Duration>) -> Self {
        Self {
            error: Box::new(error),
            next: Next::Retry(after),
        }
    }
}

/// Where requests go.
pub(crate) enum Backend {
    /// Over HTTP, through this client.
    Http(reqwest::Client),
    /// To a replay source: nothing is sent, nothing waits.
    Replay(Arc<dyn ExchangeSource>),
}

/// An HTTP answer, as received (before any redaction).
struct Answer {
    status: u16,
    /// The `Retry-After` header, verbatim.
    retry_after: Option<String>,
    body: Vec<u8>,
}

/// No answer: the failure to surface, and what an observer is told.
struct NoAnswer {
    failure: Failure,
    /// Never holds a secret: made of the HTTP stack's messages, which name the URL at most.
    message: String,
}

/// Settings and shared state of the HTTP side; one per client, shared by its clones.
pub(crate) struct Transport {
    backend: Backend,
    /// Sees every exchange, if set.
    observer: Option<Arc<dyn ExchangeObserver>>,
    /// Base URL without a trailing slash.
    pub(crate) base_url: String,
    /// Per-request timeout; zero means none.
    pub(crate) timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) requests_per_second: u32,
    clock: TokioClock,
    limiter: Limiter,
}

impl Transport {
    pub(crate) fn new(
        backend: Backend,
        observer: Option<Arc<dyn ExchangeObserver>>,
        base_url: String,
        timeout: Duration,
        max_attempts: u32,
        requests_per_second: std::num::NonZeroU32,
    ) -> Self {
        let clock = TokioClock::new();
        let limiter =
            RateLimiter::direct_with_clock(governor::Quota::per_second(requests_per_second), clock);
        Self {
            backend,
            observer,
            base_url,
            timeout,
            max_attempts,
            requests_per_second: requests_per_second.get(),
            clock,
            limiter,
        }
    }

    /// True when answers come from a replay source instead of the network.
    pub(crate) fn is_replay(&self) -> bool {
        matches!(self.backend, Backend::Replay(_))
    }

    /// True when an observer is set.
    pub(crate) fn is_observed(&self) -> bool {
        self.observer.is_some()
    }

    /// Waits (on tokio's clock) until the rate limiter lets one more request through.
    async fn rate_limit(&self) {
        while let Err(not_until) = self.limiter.check() {
            let wait = not_until.wait_time_from(self.clock.now());
            tokio::time::sleep(wait).await;
        }
    }

    /// Runs `attempt` (given the attempt number, from 1) until it succeeds, fails in a way
    /// that is not retried, or `max_attempts` attempts were made, backing off exponentially
    /// with jitter between attempts, or as long as the server's `Retry-After` says. In replay
    /// mode nothing waits between attempts.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        call: &str,
        mut attempt: F,
    ) -> Result<T, Failure>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let count = AtomicU32::new(0);
        let replay = self.is_replay();
        let backoff = ExponentialBuilder::default()
            .with_min_delay(MIN_BACKOFF)
            .with_max_delay(MAX_BACKOFF)
            .with_factor(2.0)
            .with_jitter()
            .with_jitter_seed(jitter_seed())
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        (|| attempt(count.fetch_add(1, Ordering::Relaxed) + 1))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|f: &Failure| matches!(f.next, Next::Retry(_)))
            .adjust(|f: &Failure, delay| match (f.next, delay) {
                // The backoff is used up: stop, whatever the server asked for.
                (_, None) => None,
                // A replay is as fast as its source.
                (_, Some(_)) if replay => Some(Duration::ZERO),
                (Next::Retry(Some(after)), Some(_)) => Some(after),
                (_, Some(d)) => Some(d),
            })
            .notify(|f: &Failure, delay| {
                tracing::warn!(
                    call,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %f.error,
                    "retrying ESET call"
                );
            })
            .await
    }

    /// Sends `call` once (after the rate limiter allows it) and decodes a 2xx answer as `T`.
    /// In replay mode the source answers instead, with no rate limit. Either way the observer,
    /// if any, sees the exchange (token answers redacted) before the answer is handled.
    pub(crate) async fn send_once<T: DeserializeOwned>(
        &self,
        call: &Call,
        bearer: Option<&SecretString>,
        attempt: u32,
    ) -> Result<T, Failure> {
        let received = match &self.backend {
            Backend::Http(http) => {
                self.rate_limit().await;
                self.send_http(http, call, bearer, attempt).await
            }
            Backend::Replay(source) => {
                tracing::debug!(call = %call.path, attempt, "replaying ESET call");
                match source.answer(&call.path, &call.request) {
                    ExchangeOutcome::Response {
                        status,
                        retry_after,
                        body,
                    } => Ok(Answer {
                        status,
                        retry_after,
                        body,
                    }),
                    ExchangeOutcome::Failed { error } => Err(NoAnswer {
                        failure: self.replayed_failure(call, &error, attempt),
                        message: error,
                    }),
                }
            }
        };
        self.observe(call, &received);
        let answer = received.map_err(|n| n.failure)?;
        tracing::debug!(call = %call.path, status = answer.status, bytes = answer.body.len(), "ESET answered");
        if (200..300).contains(&answer.status) {
            decode(call, &answer.body, attempt)
        } else {
            let retry_after = answer.retry_after.as_deref().and_then(parse_retry_after);
            Err(http_failure(
                call,
                answer.status,
                retry_after,
                &answer.body,
                attempt,
            ))
        }
    }

    /// Sends `call` over HTTP and reads the whole answer.
    async fn send_http(
        &self,
        http: &reqwest::Client,
        call: &Call,
        bearer: Option<&SecretString>,
        attempt: u32,
    ) -> Result<Answer, NoAnswer> {
        let url = format!("{}/{}", self.base_url, call.path);
        let mut request = match call.method {
            Method::Get => http.get(&url),
            Method::Post => http
                .post(&url)
                .header(CONTENT_TYPE, "application/json")
                .body(call.body.clone()),
        };
        request = request
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE);
        if !self.timeout.is_zero() {
            request = request.timeout(self.timeout);
        }
        if let Some(token) = bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| NoAnswer {
                    failure: Failure::stop(EsetError::InvalidInput(
                        "ESET issued an access token that cannot be sent in a header; log in \
                         again later"
                            .to_owned(),
                    )),
                    message: "the access token cannot be sent in a header".to_owned(),
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        tracing::debug!(call = %call.path, attempt, "sending ESET call");

        let response = request
            .send()
            .await
            .map_err(|e| self.reqwest_failure(call, &e, attempt))?;
        let status = response.status().as_u16();
        let retry_after = retry_after_header(response.headers());
        let body = read_body(response).await.map_err(|e| match e {
            BodyError::Http(e) => self.reqwest_failure(call, &e, attempt),
            BodyError::TooLarge => {
                let message = format!("the body is larger than {MAX_BODY_BYTES} bytes");
                NoAnswer {
                    failure: Failure::stop(EsetError::Decode {
                        call: call.path.clone(),
                        path: ".".to_owned(),
                        message: message.clone(),
                        snippet: String::new(),
                        attempts: attempt,
                    }),
                    message,
                }
            }
        })?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// Hands the exchange to the observer, if there is one; token answers are redacted.
    fn observe(&self, call: &Call, received: &Result<Answer, NoAnswer>) {
        let Some(observer) = &self.observer else {
            return;
        };
        let outcome = match received {
            Ok(answer) => ExchangeOutcome::Response {
                status: answer.status,
                retry_after: answer.retry_after.clone(),
                body: if call.secret_bodies {
                    redact_token_answer(&answer.body)
                } else {
                    answer.body.clone()
                },
            },
            Err(no_answer) => ExchangeOutcome::Failed {
                error: no_answer.message.clone(),
            },
        };
        observer.observe(&Exchange {
            call: call.path.clone(),
            request: call.request.clone(),
            outcome,
            at: SystemTime::now(),
        });
    }

    /// Classifies an error of the HTTP stack: timeouts and connection trouble are retried.
    fn reqwest_failure(&self, call: &Call, error: &reqwest::Error, attempt: u32) -> NoAnswer {
        if error.is_timeout() {
            return NoAnswer {
                failure: Failure::retry(
                    EsetError::Timeout {
                        call: call.path.clone(),
                        timeout: self.timeout,
                        attempts: attempt,
                    },
                    None,
                ),
                message: timeout_message(self.timeout),
            };
        }
        let message = error_chain(error);
        let transport = EsetError::Transport {
            call: call.path.clone(),
            message: message.clone(),
            attempts: attempt,
        };
        let failure = if error.is_builder() || error.is_redirect() {
            Failure::stop(transport)
        } else {
            Failure::retry(transport, None)
        };
        NoAnswer { failure, message }
    }

    /// The failure for a replayed [`ExchangeOutcome::Failed`]: a timeout if its message says
    /// so, else a connection error; both are retried, as over the network.
    fn replayed_failure(&self, call: &Call, error: &str, attempt: u32) -> Failure {
        let error = if error.starts_with(TIMEOUT_PREFIX) {
            EsetError::Timeout {
                call: call.path.clone(),
                timeout: self.timeout,
                attempts: attempt,
            }
        } else {
            EsetError::Transport {
                call: call.path.clone(),
                message: error.to_owned(),
                attempts: attempt,
            }
        };
        Failure::retry(error, None)
    }
}

/// What an observer is told about a request that timed out.
fn timeout_message(timeout: Duration) -> String {
    format!(
        "{TIMEOUT_PREFIX} after {} s without an answer",
        timeout.as_secs_f64()
    )
}

/// A seed for the backoff jitter, different per process and per call.
fn jitter_seed() -> u64 {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (u64::from(nanos) << 32) ^ u64::from(n) ^ u64::from(std::process::id())
}

/// An error and its causes, joined with `: `.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Why a body could not be read.
enum BodyError {
    Http(reqwest::Error),
    TooLarge,
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Http)? {
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `Retry-After` header as sent, if it is text.
fn retry_after_header(headers: &HeaderMap) -> Option<String> {
    headers.get(RETRY_AFTER)?.to_str().ok().map(str::to_owned)
}

/// `Retry-After` as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// The failure for a non-2xx answer.
fn http_failure(
    call: &Call,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    attempt: u32,
) -> Failure {
    let parsed = serde_json::from_slice::<EsetErrorResponse>(body).ok();
    let (code, sub_code, message) = match parsed {
        Some(e) => {
            // Of a token call's error body only the numeric codes are kept: its text could
            // echo what was sent.
            let message = if call.secret_bodies {
                None
            } else {
                e.message.clone().or_else(|| {
                    ["Message", "title", "error", "detail"]
                        .iter()
                        .find_map(|key| {
                            e.extra
                                .get(*key)
                                .and_then(|v| v.as_str())
                                .map(str::to_owned)
                        })
                })
            };
            (
                e.code.as_ref().and_then(code_number),
                e.sub_code.as_ref().and_then(sub_code_number),
                message,
            )
        }
        None => (None, None, None),
    };
    let error = EsetError::Http {
        call: call.path.clone(),
        status,
        code,
        sub_code,
        message,
        body: if call.secret_bodies {
            String::new()
        } else {
            snippet(body)
        },
        attempts: attempt,
    };
    match status {
        401 => Failure {
            error: Box::new(error),
            next: Next::Unauthorized,
        },
        408 | 429 | 500 | 502 | 503 | 504 => Failure::retry(error, retry_after),
        _ => Failure::stop(error),
    }
}

fn code_number(code: &EsetErrorResponseCode) -> Option<i64> {
    match code {
        EsetErrorResponseCode::Integer(i) => Some(*i),
        EsetErrorResponseCode::String(s) => s.trim().parse().ok(),
        EsetErrorResponseCode::Null => None,
    }
}

fn sub_code_number(code: &EsetErrorResponseSubCode) -> Option<i64> {
    match code {
        EsetErrorResponseSubCode::Integer(i) => Some(*i),
        EsetErrorResponseSubCode::String(s) => s.trim().parse().ok(),
        EsetErrorResponseSubCode::Null => None,
    }
}

/// Decodes a 2xx body as `T`, naming the JSON path on failure. A body that ends early (cut
/// off) is retried; any other bad body is not.
pub(crate) fn decode<T: DeserializeOwned>(
    call: &Call,
    body: &[u8],
    attempt: u32,
) -> Result<T, Failure> {
    let decode_error = |path: String, message: String| EsetError::Decode {
        call: call.path.clone(),
        path,
        message,
        snippet: if call.secret_bodies {
            "(not shown: the body of a token call may hold secrets)".to_owned()
        } else {
            snippet(body)
        },
        attempts: attempt,
    };
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return Err(Failure::retry(
            decode_error(".".to_owned(), "the body is empty".to_owned()),
            None,
        ));
    }
    if trimmed.first() == Some(&b'<') {
        return Err(Failure::stop(decode_error(
            ".".to_owned(),
            "expected JSON but the body is an HTML or XML page; check that ESET_MSP_API_URL \
             points at the ESET MSP Administrator API (it ends in /api)"
                .to_owned(),
        )));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    match result.map(|value| (value, deserializer.end())) {
        Ok((value, Ok(()))) => Ok(value),
        Ok((_, Err(e))) => Err(Failure::stop(decode_error(
            ".".to_owned(),
            format!("unexpected data after the JSON value ({e})"),
        ))),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_eof() {
                Err(Failure::retry(
                    decode_error(
                        path,
                        format!("the body was cut off before the JSON ended ({inner})"),
                    ),
                    None,
                ))
            } else {
                let message = if call.secret_bodies && inner.is_data() {
                    "a value of the wrong type (details not shown for token calls)".to_owned()
                } else {
                    inner.to_string()
                };
                Err(Failure::stop(decode_error(path, message)))
            }
        }
    }
}

/// The start of a body, on one line, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    // Look at the head only: a body can be megabytes long.
    let head = body.get(..SNIPPET_CHARS * 4).unwrap_or(body);
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    let mut chars = 0;
    let mut last_space = false;
    for c in text.chars() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if chars >= SNIPPET_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        chars += 1;
    }
    if chars < SNIPPET_CHARS && head.len() < body.len() {
        out.push('…');
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        "(empty)".to_owned()
    } else {
        out
    }
}
