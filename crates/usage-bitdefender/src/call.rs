//! One call: pacing, the HTTP exchange, judging the answer, retries.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use backon::Retryable;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use secrecy::ExposeSecret;
use serde::Serialize;

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
        let attempt = || self.attempt(method, company, params);
        attempt
            .retry(backoff(self.inner.max_attempts))
            .sleep(tokio::time::sleep)
            .when(AttemptError::is_retryable)
            .adjust(|error: &AttemptError, delay| error.next_delay(delay))
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

    /// One attempt: wait for the rate limiter, send, read the whole body, judge it.
    async fn attempt<P: Serialize>(
        &self,
        method: Method,
        company: Option<&str>,
        params: &P,
    ) -> Result<Reply, AttemptError> {
        let inner = &*self.inner;
        inner.limiters.until_ready(method.rate_class()).await;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let request = Request {
            id,
            jsonrpc: "2.0",
            method: method.name(),
            params,
        };
        let body = serde_json::to_vec(&request).map_err(|e| {
            AttemptError::fatal(GravityZoneError::InvalidInput {
                reason: format!(
                    "the parameters of {} do not serialize: {e}",
                    method.full_name()
                ),
            })
        })?;
        tracing::debug!(
            method = method.full_name(),
            id,
            company,
            "sending GravityZone request"
        );
        let response = inner
            .http
            .post(inner.url(method.service()))
            .basic_auth(inner.api_key.expose_secret(), None::<&str>)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.exchange_error(method, e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = response
            .bytes()
            .await
            .map_err(|e| self.exchange_error(method, e))?
            .to_vec();
        tracing::debug!(
            method = method.full_name(),
            id,
            status = status.as_u16(),
            bytes = body.len(),
            "GravityZone answered"
        );
        self.judge(method, company, status, retry_after, body)
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
            source: error,
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
