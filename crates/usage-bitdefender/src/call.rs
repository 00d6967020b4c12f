//! One call on usage-http: the JSON-RPC envelope, what an answer means (`classify`), and the
//! errors. Sending, pacing, retries, limits and redaction are usage-http's.

use std::sync::atomic::Ordering;

use serde::Serialize;
use serde_json::value::RawValue;
use usage_http::{
    Auth, Failed, GaveUp, GiveUp, HttpRequest, HttpResponse, JsonErrorKind, Method as HttpMethod,
    Retry, TransportError, decode_json, snippet,
};

use crate::rpc::{
    INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, Method, Request, Response,
    RpcError, TOO_MANY_REQUESTS,
};
use crate::{GravityZoneClient, GravityZoneError};

/// A failed attempt.
type AttemptError = Failed<GravityZoneError>;

/// A successful answer: its `result` (not yet decoded) and what errors need to describe it.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The call.
    pub(crate) method: Method,
    /// The company the call was about.
    pub(crate) company: Option<String>,
    /// The HTTP status (2xx).
    pub(crate) status: u16,
    /// The `result` member, as raw JSON text.
    pub(crate) result: Box<RawValue>,
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
        let transport = &self.inner.transport;
        usage_http::with_retries(transport.policy(), method.full_name(), |_| {
            self.attempt(method, company, params)
        })
        .await
        .map_err(|gave_up| given_up(method, gave_up))
    }

    /// One attempt: number the request, wait for its budget, send it through usage-http, judge
    /// the answer.
    async fn attempt<P: Serialize>(
        &self,
        method: Method,
        company: Option<&str>,
        params: &P,
    ) -> Result<Reply, AttemptError> {
        let inner = &*self.inner;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let request = Request {
            id,
            jsonrpc: "2.0",
            method: method.name(),
            params,
        };
        let body = serde_json::to_vec(&request).map_err(|e| unserializable(method, &e))?;
        // The params as an exchange shows them; only built when someone looks.
        let shown = if inner.transport.is_observed() || inner.transport.is_replay() {
            serde_json::to_value(params).map_err(|e| unserializable(method, &e))?
        } else {
            serde_json::Value::Null
        };
        // Paced here rather than in the transport, so the log line below marks when the
        // request leaves (a replay is not paced).
        if !inner.transport.is_replay() {
            inner.pacer(method).until_ready().await;
        }
        tracing::debug!(
            method = method.full_name(),
            id,
            company,
            "sending GravityZone request"
        );
        let request = HttpRequest {
            call: method.full_name(),
            url: inner.url(method.service()),
            method: HttpMethod::Post,
            body: &body,
            request: &shown,
            auth: Auth::Basic(&inner.api_key),
            answer_secret_keys: &[],
            pacer: None,
        };
        match inner.transport.send(&request).await {
            Ok(response) => {
                tracing::debug!(
                    method = method.full_name(),
                    id,
                    status = response.status,
                    bytes = response.body.len(),
                    "GravityZone answered"
                );
                self.classify(method, company, id, response)
                    .map_err(|failed| failed.map(|e| e.scrubbed(inner.transport.secrets())))
            }
            Err(error) => Err(transport_failure(method, error)),
        }
    }

    /// Reads the body first (the vendor puts the useful text of a 401 into a JSON-RPC error),
    /// then decides by status: 401/403/405 are final, 429 waits for `Retry-After`, 5xx is
    /// retried, 2xx is a result or a JSON-RPC error.
    fn classify(
        &self,
        method: Method,
        company: Option<&str>,
        id: u64,
        response: HttpResponse,
    ) -> Result<Reply, AttemptError> {
        let name = method.full_name();
        let body = &response.body;
        let retry_after = response.retry_after;
        let parsed = decode_json::<Response<Box<RawValue>>>(body);
        let rpc_error = parsed.as_ref().ok().and_then(|r| r.error.clone());
        let (code, message, details) = match &rpc_error {
            Some(e) => (Some(e.code), Some(e.message.clone()), e.details()),
            None => (None, None, None),
        };
        let status_u16 = response.status;
        let is_server_error = (500..600).contains(&status_u16);
        match status_u16 {
            401 => {
                return Err(Failed::never(GravityZoneError::Unauthorized {
                    method: name,
                    status: status_u16,
                    code,
                    message,
                    details,
                }));
            }
            403 => {
                return Err(Failed::never(GravityZoneError::Forbidden {
                    method: name,
                    status: status_u16,
                    code,
                    message,
                    details,
                }));
            }
            405 => {
                return Err(Failed::never(GravityZoneError::MethodNotAllowed {
                    method: name,
                    status: status_u16,
                }));
            }
            429 => {
                return Err(Failed::new(
                    GravityZoneError::RateLimited {
                        method: name,
                        retry_after,
                    },
                    Retry::RateLimited(retry_after),
                ));
            }
            _ if !response.is_success() => {
                // A JSON-RPC error is kept as such whatever status carried it; 5xx is retried
                // unless the code says the request itself is bad.
                if let Some(error) = rpc_error {
                    let mut attempt = self.rpc_error(method, company, status_u16, error);
                    if is_server_error && !is_bad_request(code) {
                        attempt.retry = Retry::Backoff(retry_after);
                    }
                    return Err(attempt);
                }
                let error = GravityZoneError::Http {
                    method: name,
                    status: status_u16,
                    code,
                    message,
                    details,
                    snippet: snippet(body),
                };
                return Err(Failed::new(
                    error,
                    Retry::for_status(status_u16, retry_after),
                ));
            }
            _ => {}
        }
        let envelope = match parsed {
            Ok(envelope) => envelope,
            Err(e) => {
                // Malformed or cut off on the way: worth another attempt; another shape: not.
                let retry = match e.kind {
                    JsonErrorKind::CutOff | JsonErrorKind::Syntax => Retry::Backoff(None),
                    JsonErrorKind::Shape => Retry::Never,
                };
                return Err(Failed::new(
                    GravityZoneError::Decode {
                        method: name,
                        company: company.map(str::to_owned),
                        status: status_u16,
                        path: e.path,
                        reason: e.message,
                        snippet: snippet(body),
                    },
                    retry,
                ));
            }
        };
        self.check_id(method, company, id, &response, envelope.id.as_ref())?;
        if let Some(error) = envelope.error {
            return Err(self.rpc_error(method, company, status_u16, error));
        }
        match envelope.result {
            Some(result) => Ok(Reply {
                method,
                company: company.map(str::to_owned),
                status: status_u16,
                result,
                body: response.body,
            }),
            None => Err(Failed::never(GravityZoneError::Decode {
                method: name,
                company: company.map(str::to_owned),
                status: status_u16,
                path: "result".to_string(),
                reason: "the response has neither a `result` nor an `error`".to_string(),
                snippet: snippet(body),
            })),
        }
    }

    /// The answer must carry the request's `id` (JSON-RPC 2.0): one that carries another id, or
    /// none, belongs to some other request (a confused proxy or cache) and is retried. A replay
    /// is not checked: ids depend on the order concurrent requests were numbered in.
    fn check_id(
        &self,
        method: Method,
        company: Option<&str>,
        id: u64,
        response: &HttpResponse,
        echoed: Option<&serde_json::Value>,
    ) -> Result<(), AttemptError> {
        if self.inner.transport.is_replay() || echoed.and_then(id_number) == Some(id) {
            return Ok(());
        }
        let found = echoed.map_or_else(|| "no id".to_owned(), |v| format!("id {v}"));
        Err(Failed::backoff(GravityZoneError::Decode {
            method: method.full_name(),
            company: company.map(str::to_owned),
            status: response.status,
            path: "id".to_owned(),
            reason: format!("the answer has {found}, not the request's id {id}"),
            snippet: snippet(&response.body),
        }))
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
        let retry = match error.code {
            code if is_bad_request(Some(code)) => Retry::Never,
            TOO_MANY_REQUESTS => Retry::RateLimited(None),
            INTERNAL_ERROR => Retry::Backoff(None),
            _ => Retry::Never,
        };
        let details = error.details();
        let data = error.data_value().map(Box::new);
        Failed::new(
            GravityZoneError::Rpc {
                method: method.full_name(),
                company: company.map(str::to_owned),
                status,
                code: error.code,
                details,
                message: error.message,
                data,
            },
            retry,
        )
    }
}

/// Parameters that do not serialize: a bug, never retried.
fn unserializable(method: Method, error: &serde_json::Error) -> AttemptError {
    Failed::never(GravityZoneError::InvalidInput {
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

/// The error of a request given up: the last attempt's, or that the server asked to wait too
/// long.
fn given_up(method: Method, gave_up: GaveUp<GravityZoneError>) -> GravityZoneError {
    match gave_up.reason {
        GiveUp::WaitTooLong(wait) => GravityZoneError::WaitTooLong {
            method: method.full_name(),
            status: gave_up.error.http_status(),
            wait,
        },
        GiveUp::Final | GiveUp::AttemptsUsed => *gave_up.error,
    }
}

/// No usable answer: a timeout, a connection failure, an oversized or unsendable request.
fn transport_failure(method: Method, error: TransportError) -> AttemptError {
    let retry = error.retry();
    let name = method.full_name();
    let error = match error {
        TransportError::Timeout { timeout } => GravityZoneError::Timeout {
            method: name,
            timeout,
        },
        TransportError::TooLarge { limit } => GravityZoneError::TooLarge {
            method: name,
            limit,
        },
        TransportError::Connection { message } => GravityZoneError::Transport {
            method: name,
            detail: message,
        },
        TransportError::Refused { message } => GravityZoneError::InvalidInput {
            reason: format!("the request for {name} cannot be sent: {message}"),
        },
    };
    Failed::new(error, retry)
}

/// An id as a number, whether the server echoed it as `7` or `"7"`.
fn id_number(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}
