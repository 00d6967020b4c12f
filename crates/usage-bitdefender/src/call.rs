//! One call: pacing, the HTTP exchange (or its replay), observing it, judging the answer,
//! retries.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use backon::Retryable;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::client::Wire;
use crate::exchange::{Exchange, ExchangeOutcome, TIMED_OUT};
use crate::retry::{AttemptError, Retry, backoff, parse_retry_after};
use crate::rpc::{
    INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, Method, Request, Response,
    RpcError, TOO_MANY_REQUESTS,
};
use crate::{GravityZoneClient, GravityZoneError};

/// A successful answer: its `result` (not yet decoded) and what errors need to describe it.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The call.
    pub(crate) method: Method,
    /// The company the call was about.
    pub(crate) company: Option<String>,
    /// The HTTP status (2xx).
    pub(crate) status: u16,
    /// The `result` member.
    pub(crate) result: serde_json::Value,
    /// The whole body, for snippets.
    pub(crate) body: Vec<u8>,
}

impl GravityZoneClient {
    /// Calls `method` with `params`, retrying what may be retried, and returns the undecoded
    /// `result`.
    pub(crate) async fn call<P: Serialize + Sync>(
        &self,
        method: Method,
        company: Option<&str>,
        params: &P,
    ) -> Result<Reply, GravityZoneError> {
        let replay = self.inner.wire.is_replay();
        let attempt = || self.attempt(method, company, params);
        attempt
            .retry(backoff(self.inner.max_attempts))
            .sleep(tokio::time::sleep)
            .when(AttemptError::is_retryable)
            .adjust(|error: &AttemptError, delay| {
                // A replay does not wait: the recorded answers are already there.
                error
                    .next_delay(delay)
                    .map(|delay| if replay { Duration::ZERO } else { delay })
            })
            .notify(|error: &AttemptError, delay| {
                let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                if matches!(error.retry, Retry::RateLimited(_)) {
                    tracing::info!(
                        method = method.full_name(),
                        delay_ms,
                        "GravityZone rate limit reached, waiting before the next attempt"
                    );
                } else {
                    tracing::warn!(
                        method = method.full_name(),
                        delay_ms,
                        error = %error.error,
                        "GravityZone call failed, retrying"
                    );
                }
            })
            .await
            .map_err(|e| *e.error)
    }

    /// One attempt: wait for the rate limiter, send (or ask the replay source), read the whole
    /// body, show the exchange to the observer, judge the answer.
    async fn attempt<P: Serialize>(
        &self,
        method: Method,
        company: Option<&str>,
        params: &P,
    ) -> Result<Reply, AttemptError> {
        let inner = &*self.inner;
        if !inner.wire.is_replay() {
            inner.limiters.until_ready(method.rate_class()).await;
        }
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let request = Request {
            id,
            jsonrpc: "2.0",
            method: method.name(),
            params,
        };
        let body = serde_json::to_vec(&request).map_err(|e| unserializable(method, &e))?;
        // The params as an exchange shows them; only built when someone looks.
        let exchange_request = if inner.observer.is_some() || inner.wire.is_replay() {
            let value = serde_json::to_value(params).map_err(|e| unserializable(method, &e))?;
            inner.redactor.scrub_value(value)
        } else {
            serde_json::Value::Null
        };
        tracing::debug!(
            method = method.full_name(),
            id,
            company,
            "sending GravityZone request"
        );
        let answer = match &inner.wire {
            Wire::Http(http) => {
                let answer = self.send(http, method, body).await;
                self.observe(method, exchange_request, || self.observed(&answer));
                answer.map_err(|e| self.exchange_error(method, e))?
            }
            Wire::Replay(source) => {
                let outcome = source.answer(method.full_name(), &exchange_request);
                let replayed = self.replayed(method, &outcome);
                self.observe(method, exchange_request, || outcome);
                replayed?
            }
        };
        tracing::debug!(
            method = method.full_name(),
            id,
            status = answer.status.as_u16(),
            bytes = answer.body.len(),
            "GravityZone answered"
        );
        let retry_after = answer
            .retry_after
            .as_deref()
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        self.judge(method, company, answer.status, retry_after, answer.body)
    }

    /// The one place a request goes over the network: POST the body, read the whole answer.
    async fn send(
        &self,
        http: &reqwest::Client,
        method: Method,
        body: Vec<u8>,
    ) -> Result<Answer, reqwest::Error> {
        let inner = &*self.inner;
        let response = http
            .post(inner.url(method.service()))
            .basic_auth(inner.api_key.expose_secret(), None::<&str>)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await?.to_vec();
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// Hands one exchange to the observer, if there is one (`outcome` is only built then).
    fn observe(
        &self,
        method: Method,
        request: serde_json::Value,
        outcome: impl FnOnce() -> ExchangeOutcome,
    ) {
        if let Some(observer) = &self.inner.observer {
            observer.observe(&Exchange {
                call: method.full_name().to_string(),
                request,
                outcome: outcome(),
                at: SystemTime::now(),
            });
        }
    }

    /// A live answer or failure as an observer sees it: the body as received, with the API key
    /// (should the server ever echo it) replaced by `[REDACTED]`.
    fn observed(&self, answer: &Result<Answer, reqwest::Error>) -> ExchangeOutcome {
        let redactor = &self.inner.redactor;
        match answer {
            Ok(answer) => ExchangeOutcome::Response {
                status: answer.status.as_u16(),
                retry_after: answer.retry_after.as_deref().map(|v| redactor.scrub(v)),
                body: redactor.scrub_bytes(answer.body.clone()),
            },
            Err(error) if error.is_timeout() => ExchangeOutcome::Failed {
                error: format!("{TIMED_OUT} after {:?}", self.inner.timeout),
            },
            Err(error) => ExchangeOutcome::Failed {
                error: redactor.scrub(&crate::error::chain(error)),
            },
        }
    }

    /// A replayed outcome as if it had come over the network: a `Failed` one is a timeout (its
    /// message starts with `timed out`) or a transport error, both worth another attempt.
    fn replayed(&self, method: Method, outcome: &ExchangeOutcome) -> Result<Answer, AttemptError> {
        let name = method.full_name();
        match outcome {
            ExchangeOutcome::Response {
                status,
                retry_after,
                body,
            } => {
                let status = StatusCode::from_u16(*status).map_err(|_| {
                    AttemptError::fatal(GravityZoneError::InvalidInput {
                        reason: format!(
                            "the replayed answer to {name} has status {status}, which is not an \
                             HTTP status"
                        ),
                    })
                })?;
                Ok(Answer {
                    status,
                    retry_after: retry_after.clone(),
                    body: body.clone(),
                })
            }
            ExchangeOutcome::Failed { error } if error.starts_with(TIMED_OUT) => {
                Err(AttemptError::transient(GravityZoneError::Timeout {
                    method: name,
                    timeout: self.inner.timeout,
                }))
            }
            ExchangeOutcome::Failed { error } => {
                Err(AttemptError::transient(GravityZoneError::Transport {
                    method: name,
                    detail: self.inner.redactor.scrub(error),
                    source: None,
                }))
            }
        }
    }

    /// A reqwest error while sending or reading: a timeout, or a transport failure. Both are
    /// worth another attempt; a request that could not even be built is not.
    fn exchange_error(&self, method: Method, error: reqwest::Error) -> AttemptError {
        let name = method.full_name();
        if error.is_timeout() {
            return AttemptError::transient(GravityZoneError::Timeout {
                method: name,
                timeout: self.inner.timeout,
            });
        }
        let detail = self.inner.redactor.scrub(&crate::error::chain(&error));
        if error.is_builder() {
            return AttemptError::fatal(GravityZoneError::InvalidInput {
                reason: format!("the request for {name} cannot be built: {detail}"),
            });
        }
        AttemptError::transient(GravityZoneError::Transport {
            method: name,
            detail,
            source: Some(error),
        })
    }

    /// Reads the body first (the vendor puts the useful text of a 401 into a JSON-RPC error),
    /// then decides by status: 401/403/405 are final, 429 waits for `Retry-After`, 5xx is
    /// retried, 2xx is a result or a JSON-RPC error.
    fn judge(
        &self,
        method: Method,
        company: Option<&str>,
        status: StatusCode,
        retry_after: Option<std::time::Duration>,
        body: Vec<u8>,
    ) -> Result<Reply, AttemptError> {
        let name = method.full_name();
        let parsed = parse_envelope(&body);
        let rpc_error = parsed.as_ref().ok().and_then(|r| r.error.clone());
        let scrub = |s: &str| self.inner.redactor.scrub(s);
        let (code, message, details) = match &rpc_error {
            Some(e) => (
                Some(e.code),
                Some(scrub(&e.message)),
                e.details().map(scrub),
            ),
            None => (None, None, None),
        };
        let status_u16 = status.as_u16();
        match status_u16 {
            401 => {
                return Err(AttemptError::fatal(GravityZoneError::Unauthorized {
                    method: name,
                    status: status_u16,
                    code,
                    message,
                    details,
                }));
            }
            403 => {
                return Err(AttemptError::fatal(GravityZoneError::Forbidden {
                    method: name,
                    status: status_u16,
                    code,
                    message,
                    details,
                }));
            }
            405 => {
                return Err(AttemptError::fatal(GravityZoneError::MethodNotAllowed {
                    method: name,
                    status: status_u16,
                }));
            }
            429 => {
                return Err(AttemptError {
                    error: Box::new(GravityZoneError::RateLimited {
                        method: name,
                        retry_after,
                    }),
                    retry: Retry::RateLimited(retry_after),
                });
            }
            _ if !status.is_success() => {
                // A JSON-RPC error is kept as such whatever status carried it; 5xx is retried
                // unless the code says the request itself is bad.
                if let Some(error) = rpc_error {
                    let mut attempt = self.rpc_error(method, company, status_u16, error);
                    if status.is_server_error() && !is_bad_request(code) {
                        attempt.retry = Retry::Backoff;
                    }
                    return Err(attempt);
                }
                let error = GravityZoneError::Http {
                    method: name,
                    status: status_u16,
                    code,
                    message,
                    details,
                    snippet: self.inner.redactor.snippet(&body),
                };
                return Err(if status.is_server_error() {
                    AttemptError::transient(error)
                } else {
                    AttemptError::fatal(error)
                });
            }
            _ => {}
        }
        let envelope = match parsed {
            Ok(envelope) => envelope,
            Err((path, e)) => {
                let retry = match e.classify() {
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                        Retry::Backoff
                    }
                    _ => Retry::Never,
                };
                return Err(AttemptError {
                    error: Box::new(GravityZoneError::Decode {
                        method: name,
                        company: company.map(str::to_owned),
                        status: status_u16,
                        path,
                        reason: scrub(&e.to_string()),
                        snippet: self.inner.redactor.snippet(&body),
                    }),
                    retry,
                });
            }
        };
        if let Some(id) = &envelope.id {
            tracing::trace!(method = method.full_name(), id = %id, "echoed request id");
        }
        if let Some(error) = envelope.error {
            return Err(self.rpc_error(method, company, status_u16, error));
        }
        match envelope.result {
            Some(result) => Ok(Reply {
                method,
                company: company.map(str::to_owned),
                status: status_u16,
                result,
                body,
            }),
            None => Err(AttemptError::fatal(GravityZoneError::Decode {
                method: name,
                company: company.map(str::to_owned),
                status: status_u16,
                path: "result".to_string(),
                reason: "the response has neither a `result` nor an `error`".to_string(),
                snippet: self.inner.redactor.snippet(&body),
            })),
        }
    }

    /// A JSON-RPC error object: final for bad requests, retried for "internal error" and
    /// "too many requests".
    fn rpc_error(
        &self,
        method: Method,
        company: Option<&str>,
        status: u16,
        error: RpcError,
    ) -> AttemptError {
        let scrub = |s: &str| self.inner.redactor.scrub(s);
        let retry = match error.code {
            code if is_bad_request(Some(code)) => Retry::Never,
            TOO_MANY_REQUESTS => Retry::RateLimited(None),
            INTERNAL_ERROR => Retry::Backoff,
            _ => Retry::Never,
        };
        AttemptError {
            error: Box::new(GravityZoneError::Rpc {
                method: method.full_name(),
                company: company.map(str::to_owned),
                status,
                code: error.code,
                details: error.details().map(scrub),
                message: scrub(&error.message),
                data: error
                    .data
                    .map(|d| Box::new(self.inner.redactor.scrub_value(d))),
            }),
            retry,
        }
    }
}

/// An HTTP answer, live or replayed, before it is judged.
struct Answer {
    /// The status.
    status: StatusCode,
    /// The `Retry-After` header as sent.
    retry_after: Option<String>,
    /// The whole body.
    body: Vec<u8>,
}

/// Parameters that do not serialize: a bug, never retried.
fn unserializable(method: Method, error: &serde_json::Error) -> AttemptError {
    AttemptError::fatal(GravityZoneError::InvalidInput {
        reason: format!(
            "the parameters of {} do not serialize: {error}",
            method.full_name()
        ),
    })
}

/// JSON-RPC codes meaning the request itself is wrong: asking again cannot help.
fn is_bad_request(code: Option<i64>) -> bool {
    matches!(
        code,
        Some(INVALID_REQUEST | METHOD_NOT_FOUND | INVALID_PARAMS)
    )
}

/// The envelope with its `result` left as a JSON value; a failure comes with its JSON path
/// (`.` for the top level).
fn parse_envelope(body: &[u8]) -> Result<Response<serde_json::Value>, (String, serde_json::Error)> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let envelope: Response<serde_json::Value> =
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            (
                crate::error::short_path(e.path().to_string()),
                e.into_inner(),
            )
        })?;
    de.end().map_err(|e| (".".to_string(), e))?;
    Ok(envelope)
}
