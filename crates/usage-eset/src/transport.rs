//! ESET's side of a call on usage-http: the call's shape, what an answer means
//! ([`classify`]), and its errors. Sending, pacing, retries, limits and redaction are
//! usage-http's.

use std::num::NonZeroU32;

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use usage_http::{
    Auth, Failed, GaveUp, GiveUp, HttpRequest, HttpResponse, JsonErrorKind, Method, Pacer, Retry,
    Transport, TransportError, decode_json, redact_value_keys, snippet,
};
use usage_models::eset::{EsetErrorResponse, EsetErrorResponseCode, EsetErrorResponseSubCode};

use crate::error::EsetError;

/// Keys of request bodies whose values are secrets (Token/Get `password`, Token/Renew
/// `refreshToken`; `accessToken` for good measure).
const SECRET_REQUEST_KEYS: [&str; 3] = ["password", "refreshToken", "accessToken"];

/// Keys of token answers whose values are secrets.
const SECRET_ANSWER_KEYS: [&str; 2] = ["accessToken", "refreshToken"];

/// Largest error body read for ESET's code, subCode and message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// One call to send: its path below the base URL and its JSON body.
pub(crate) struct Call {
    /// Path below the base URL, e.g. `Company/Children`; also the call's name in errors.
    pub(crate) path: String,
    method: Method,
    /// Serialized JSON body (POST only).
    pub(crate) body: Vec<u8>,
    /// The body as an exchange shows it: JSON with secrets redacted, `Null` for a GET.
    request: serde_json::Value,
    /// A token call: its bodies hold secrets, so they are never quoted.
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
        let mut request = serde_json::from_slice(&body).map_err(encode_error)?;
        redact_value_keys(&mut request, &SECRET_REQUEST_KEYS);
        Ok(Self {
            path: path.to_owned(),
            method: Method::Post,
            body,
            request,
            secret_bodies: false,
        })
    }

    /// Marks the call as a token call (bodies never quoted, answer tokens never observed).
    pub(crate) fn secret(mut self) -> Self {
        self.secret_bodies = true;
        self
    }
}

/// The HTTP side of one client: usage-http's transport and the client's pace.
pub(crate) struct EsetTransport {
    pub(crate) http: Transport,
    pub(crate) pacer: Pacer,
}

impl EsetTransport {
    pub(crate) fn new(http: Transport, per_second: NonZeroU32) -> Self {
        Self {
            http,
            // ESET documents no limit: the pace is the client's own, so a burst of one second's
            // worth is fine.
            pacer: Pacer::with_burst(per_second, per_second),
        }
    }

    /// Sends `call` once (after the pace allows it) and decodes a 2xx answer as `T`.
    pub(crate) async fn send_once<T: DeserializeOwned>(
        &self,
        call: &Call,
        bearer: Option<&SecretString>,
        attempt: u32,
    ) -> Result<T, Failed<EsetError>> {
        let url = format!("{}/{}", self.http.base_url(), call.path);
        let request = HttpRequest {
            call: &call.path,
            url: &url,
            method: call.method,
            body: &call.body,
            request: &call.request,
            auth: bearer.map_or(Auth::None, Auth::Bearer),
            answer_secret_keys: if call.secret_bodies {
                &SECRET_ANSWER_KEYS
            } else {
                &[]
            },
            pacer: Some(&self.pacer),
        };
        let secrets = self.http.secrets();
        match self.http.send(&request).await {
            Ok(response) => classify(call, &response, attempt)
                .map_err(|failed| failed.map(|e| e.scrubbed(secrets))),
            Err(error) => Err(self.transport_failure(call, error, attempt)),
        }
    }

    /// Runs `attempt` with usage-http's retries and turns a request given up into its error.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        call: &Call,
        attempt: F,
    ) -> Result<T, EsetError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Failed<EsetError>>>,
    {
        usage_http::with_retries(self.http.policy(), &call.path, attempt)
            .await
            .map_err(|gave_up| given_up(call, gave_up))
    }

    fn transport_failure(
        &self,
        call: &Call,
        error: TransportError,
        attempt: u32,
    ) -> Failed<EsetError> {
        let retry = error.retry();
        let error = match error {
            TransportError::Timeout { timeout } => EsetError::Timeout {
                call: call.path.clone(),
                timeout,
                attempts: attempt,
            },
            TransportError::TooLarge { limit } => EsetError::TooLarge {
                call: call.path.clone(),
                limit,
            },
            TransportError::Connection { message } | TransportError::Refused { message } => {
                EsetError::Transport {
                    call: call.path.clone(),
                    message,
                    attempts: attempt,
                }
            }
        };
        Failed::new(error, retry)
    }
}

/// The error of a request given up: the last attempt's, or that the server asked to wait too
/// long.
fn given_up(call: &Call, gave_up: GaveUp<EsetError>) -> EsetError {
    match gave_up.reason {
        GiveUp::WaitTooLong(wait) => EsetError::WaitTooLong {
            call: call.path.clone(),
            status: match *gave_up.error {
                EsetError::Http { status, .. } => Some(status),
                _ => None,
            },
            wait,
        },
        GiveUp::Final | GiveUp::AttemptsUsed => *gave_up.error,
    }
}

/// What an answer means: a 2xx body decoded as `T`, or an error with its retry verdict (429,
/// 408 and 5xx retried, honouring `Retry-After`; a cut-off or empty 2xx body retried; 401 final
/// here, the client logs in again once).
pub(crate) fn classify<T: DeserializeOwned>(
    call: &Call,
    response: &HttpResponse,
    attempt: u32,
) -> Result<T, Failed<EsetError>> {
    if response.is_success() {
        decode(call, &response.body, attempt)
    } else {
        Err(Failed::new(
            http_error(call, response.status, &response.body, attempt),
            Retry::for_status(response.status, response.retry_after),
        ))
    }
}

/// The error of a non-2xx answer, with ESET's code, subCode and message when the body has them.
fn http_error(call: &Call, status: u16, body: &[u8], attempt: u32) -> EsetError {
    // An error body is a few hundred bytes; a huge one is not parsed (its unknown keys would
    // each become a value in memory), only quoted.
    let parsed = (body.len() <= MAX_ERROR_BODY)
        .then(|| serde_json::from_slice::<EsetErrorResponse>(body).ok())
        .flatten();
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
    EsetError::Http {
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

/// Decodes a 2xx body as `T`, naming the JSON path on failure. A body that is empty or ends
/// early (cut off) is retried; any other bad body is not.
pub(crate) fn decode<T: DeserializeOwned>(
    call: &Call,
    body: &[u8],
    attempt: u32,
) -> Result<T, Failed<EsetError>> {
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
        return Err(Failed::backoff(decode_error(
            ".".to_owned(),
            "the body is empty".to_owned(),
        )));
    }
    if trimmed.first() == Some(&b'<') {
        return Err(Failed::never(decode_error(
            ".".to_owned(),
            "expected JSON but the body is an HTML or XML page; check that ESET_MSP_API_URL \
             points at the ESET MSP Administrator API (it ends in /api)"
                .to_owned(),
        )));
    }
    decode_json(body).map_err(|e| match e.kind {
        JsonErrorKind::CutOff if call.secret_bodies => Failed::backoff(decode_error(
            ".".to_owned(),
            "the body was cut off before the JSON ended".to_owned(),
        )),
        JsonErrorKind::CutOff => Failed::backoff(decode_error(
            e.path,
            format!("the body was cut off before the JSON ended ({})", e.message),
        )),
        // A token answer is never quoted, not even through the path or message of a failure
        // (a key could be a secret).
        _ if call.secret_bodies => Failed::never(decode_error(
            ".".to_owned(),
            "the token answer is not the JSON expected (details not shown: it may hold \
             secrets)"
                .to_owned(),
        )),
        JsonErrorKind::Shape | JsonErrorKind::Syntax => {
            Failed::never(decode_error(e.path, e.message))
        }
    })
}
