//! One attempt of one request: pacing, the live HTTP exchange or its replay, the response-size
//! limit, scrubbing of secrets, and handing the exchange to an observer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use crate::exchange::{Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource, TIMED_OUT};
use crate::json::error_chain;
use crate::pacer::Pacer;
use crate::redact::{Secrets, redact_json_keys};
use crate::retry::{Retry, RetryPolicy, parse_retry_after};
use crate::settings::TransportBuilder;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("msp-usage/", env!("CARGO_PKG_VERSION"));

/// Bodies larger than this are refused, not read (a page of 100 companies is a few hundred
/// kilobytes).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Most bytes reserved before a body arrives, whatever its `Content-Length` claims.
const MAX_PREALLOCATION: usize = 1024 * 1024;

/// The HTTP methods the vendors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET, no body.
    Get,
    /// POST with a JSON body.
    Post,
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Not at all (a login call).
    None,
    /// `Authorization: Bearer <token>` (ESET).
    Bearer(&'a SecretString),
    /// HTTP Basic with this user name and an empty password (a GravityZone API key).
    Basic(&'a SecretString),
}

/// One request, as a vendor client describes it. `Debug` shows no body (a login's holds the
/// password).
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The call's name in exchanges, errors and logs (`Company/Children`,
    /// `licensing.getMonthlyUsage`).
    pub call: &'a str,
    /// The whole URL.
    pub url: &'a str,
    /// GET or POST.
    pub method: Method,
    /// The JSON body (POST).
    pub body: &'a [u8],
    /// What an [`Exchange`] shows of the request (scrubbed of every known secret again here).
    pub request: &'a Value,
    /// The credentials to send.
    pub auth: Auth<'a>,
    /// A credential call (login, token renewal): the answer's values under these JSON keys are
    /// secrets, so an observer sees them replaced, and the answer is handed back unscrubbed
    /// (it holds the new secrets themselves). Empty for every other call.
    pub answer_secret_keys: &'a [&'a str],
    /// The budget this request counts against (skipped in a replay).
    pub pacer: Option<&'a Pacer>,
}

/// An HTTP answer, whole, every known secret already replaced in its body (except the answer of
/// a credential call). `Debug` shows the body's length only (a login's answer holds tokens).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The server's `Retry-After`, read as a wait from now.
    pub retry_after: Option<Duration>,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("call", &self.call)
            .field("url", &self.url)
            .field("method", &self.method)
            .field("body_bytes", &self.body.len())
            .field("credential_call", &!self.answer_secret_keys.is_empty())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl HttpResponse {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// No usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No complete answer within the request timeout.
    #[error("no answer within {} s", .timeout.as_secs_f64())]
    Timeout {
        /// The per-request timeout.
        timeout: Duration,
    },
    /// The request could not be sent or its answer not read whole (DNS, TCP, TLS, a connection
    /// closed mid-body); in a replay, the recorded failure.
    #[error("{message}")]
    Connection {
        /// What the HTTP stack reported, with its causes, scrubbed of secrets.
        message: String,
    },
    /// The answer is larger than the limit; it was not read.
    #[error("the answer is larger than {} MiB, the most msp-usage reads", .limit / (1024 * 1024))]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request cannot be sent at all (it cannot be built, or the server redirected it).
    #[error("{message}")]
    Refused {
        /// Why.
        message: String,
    },
}

impl TransportError {
    /// Timeouts and connection failures are retried; an oversized or unsendable request is not.
    pub fn retry(&self) -> Retry {
        match self {
            TransportError::Timeout { .. } | TransportError::Connection { .. } => {
                Retry::Backoff(None)
            }
            TransportError::TooLarge { .. } | TransportError::Refused { .. } => Retry::Never,
        }
    }
}

/// Where requests go.
pub(crate) enum Wire {
    /// Over HTTP.
    Live(reqwest::Client),
    /// To a replay source: no socket, no pacing, no waiting.
    Replay(Arc<dyn ExchangeSource>),
}

/// The transport of one vendor client, shared by its clones: HTTP client and timeout, attempts,
/// size limit, the client's [`Secrets`], and the observer or replay source.
pub struct Transport {
    pub(crate) base_url: String,
    pub(crate) wire: Wire,
    pub(crate) observer: Option<Arc<dyn ExchangeObserver>>,
    pub(crate) secrets: Secrets,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_attempts: u32,
    pub(crate) body_limit: usize,
    pub(crate) vendor: &'static str,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("body_limit", &self.body_limit)
            .field("replay", &self.is_replay())
            .field("observed", &self.observer.is_some())
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl Transport {
    /// A builder with the defaults: 30 s timeout, 5 attempts, 64 MiB bodies, live HTTP.
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// The checked base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The secrets scrubbed from everything this transport reports; add tokens as they arrive.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// True when answers come from a replay source instead of the network.
    pub fn is_replay(&self) -> bool {
        matches!(self.wire, Wire::Replay(_))
    }

    /// True when an observer sees the exchanges.
    pub fn is_observed(&self) -> bool {
        self.observer.is_some()
    }

    /// The per-request timeout (`None`: no timeout).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// How requests are retried.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            vendor: self.vendor,
            max_attempts: self.max_attempts,
            immediate: self.is_replay(),
        }
    }

    /// Sends `request` once (after its pacer allows it; in a replay the source answers at once)
    /// and returns the whole answer with every known secret scrubbed from its body. The
    /// observer, if any, sees the exchange first.
    pub async fn send(&self, request: &HttpRequest<'_>) -> Result<HttpResponse, TransportError> {
        let received = match &self.wire {
            Wire::Live(http) => {
                if let Some(pacer) = request.pacer {
                    pacer.until_ready().await;
                }
                tracing::debug!(call = request.call, "sending");
                self.send_live(http, request).await
            }
            Wire::Replay(source) => {
                tracing::debug!(call = request.call, "replaying");
                let shown = self.secrets.scrub_value(request.request.clone());
                self.replayed(source.answer(request.call, &shown))
            }
        };
        let received = received.map(|answer| self.scrubbed(request, answer));
        self.observe(request, &received);
        let answer = received?;
        tracing::debug!(
            call = request.call,
            status = answer.status,
            bytes = answer.body.len(),
            "answered"
        );
        Ok(HttpResponse {
            status: answer.status,
            retry_after: answer
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
            body: answer.body,
        })
    }

    /// Over HTTP: send, then read the whole body within the size limit.
    async fn send_live(
        &self,
        http: &reqwest::Client,
        request: &HttpRequest<'_>,
    ) -> Result<Answer, TransportError> {
        let mut builder = match request.method {
            Method::Get => http.get(request.url),
            Method::Post => http
                .post(request.url)
                .header(CONTENT_TYPE, "application/json")
                .body(request.body.to_vec()),
        };
        builder = builder
            .header(ACCEPT, "application/json")
            .header(reqwest::header::USER_AGENT, USER_AGENT);
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        match request.auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                    .map_err(|_| TransportError::Refused {
                        message: "the access token cannot be sent in an HTTP header".to_owned(),
                    })?;
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
            Auth::Basic(user) => builder = builder.basic_auth(user.expose_secret(), None::<&str>),
        }
        let response = builder.send().await.map_err(|e| self.http_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = self.read_body(response).await?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// The whole body, refusing more than the limit before or while reading it: memory stays
    /// within the limit, whatever the server sends or claims.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, TransportError> {
        let limit = self.body_limit;
        let too_large = TransportError::TooLarge { limit };
        let claimed = response.content_length().unwrap_or(0);
        if claimed > limit as u64 {
            return Err(too_large);
        }
        let reserve = usize::try_from(claimed)
            .unwrap_or(limit)
            .min(MAX_PREALLOCATION);
        let mut body = Vec::with_capacity(reserve);
        while let Some(chunk) = response.chunk().await.map_err(|e| self.http_error(&e))? {
            if body.len().saturating_add(chunk.len()) > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// An error of the HTTP stack: a timeout, a request that cannot be sent, or a connection
    /// failure, its text scrubbed.
    fn http_error(&self, error: &reqwest::Error) -> TransportError {
        if error.is_timeout() {
            return TransportError::Timeout {
                timeout: self.timeout.unwrap_or_default(),
            };
        }
        let message = self.secrets.scrub(&error_chain(error));
        if error.is_builder() || error.is_redirect() {
            TransportError::Refused { message }
        } else {
            TransportError::Connection { message }
        }
    }

    /// A replayed outcome as if it had come over the network.
    fn replayed(&self, outcome: ExchangeOutcome) -> Result<Answer, TransportError> {
        match outcome {
            ExchangeOutcome::Response { status, .. } if !(100..=599).contains(&status) => {
                Err(TransportError::Refused {
                    message: format!(
                        "the replayed answer has status {status}, which is not an HTTP status"
                    ),
                })
            }
            ExchangeOutcome::Response {
                status,
                retry_after,
                body,
            } => Ok(Answer {
                status,
                retry_after,
                body,
            }),
            ExchangeOutcome::Failed { error } if error.starts_with(TIMED_OUT) => {
                Err(TransportError::Timeout {
                    timeout: self.timeout.unwrap_or_default(),
                })
            }
            ExchangeOutcome::Failed { error } => Err(TransportError::Connection { message: error }),
        }
    }

    /// The answer with every known secret replaced, unless it is a credential call's answer
    /// (which holds the new secrets themselves).
    fn scrubbed(&self, request: &HttpRequest<'_>, answer: Answer) -> Answer {
        if !request.answer_secret_keys.is_empty() {
            return answer;
        }
        Answer {
            status: answer.status,
            retry_after: answer.retry_after.map(|v| self.secrets.scrub(&v)),
            body: self.secrets.scrub_bytes(answer.body),
        }
    }

    /// Hands the exchange to the observer, if there is one; nothing it sees holds a secret.
    fn observe(&self, request: &HttpRequest<'_>, received: &Result<Answer, TransportError>) {
        let Some(observer) = &self.observer else {
            return;
        };
        let outcome = match received {
            Ok(answer) => ExchangeOutcome::Response {
                status: answer.status,
                retry_after: answer.retry_after.as_deref().map(|v| self.secrets.scrub(v)),
                body: if request.answer_secret_keys.is_empty() {
                    answer.body.clone()
                } else {
                    let redacted = redact_json_keys(&answer.body, request.answer_secret_keys);
                    self.secrets.scrub_bytes(redacted)
                },
            },
            Err(TransportError::Timeout { timeout }) => ExchangeOutcome::Failed {
                error: format!(
                    "{TIMED_OUT} after {} s without an answer",
                    timeout.as_secs_f64()
                ),
            },
            Err(other) => ExchangeOutcome::Failed {
                error: self.secrets.scrub(&other.to_string()),
            },
        };
        observer.observe(&Exchange {
            call: request.call.to_owned(),
            request: self.secrets.scrub_value(request.request.clone()),
            outcome,
            at: SystemTime::now(),
        });
    }
}

/// An answer as received, before it is scrubbed.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}
