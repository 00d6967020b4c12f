//! Record/replay hooks: every request the client sends and what came back, handed to an
//! observer (`msp-usage collect --record`), or answered by a source instead of the network
//! (`msp-usage collect --replay`).
//!
//! An exchange never holds a secret: the password and the refresh token in request bodies, and
//! the access and refresh tokens in the answers of `Token/Get` and `Token/Renew`, are replaced
//! by `"[REDACTED]"`.

use std::time::SystemTime;

use serde_json::Value;

/// The marker that stands in for every secret in an [`Exchange`].
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Keys of request bodies whose values are secrets (Token/Get `password`, Token/Renew
/// `refreshToken`; `accessToken` for good measure).
const SECRET_REQUEST_KEYS: [&str; 3] = ["password", "refreshToken", "accessToken"];

/// Keys of token answers whose values are secrets.
const SECRET_ANSWER_KEYS: [&str; 2] = ["accessToken", "refreshToken"];

/// Start of the [`ExchangeOutcome::Failed`] message of a request that timed out; a replayed
/// failure with this start is surfaced as [`EsetError::Timeout`](crate::EsetError::Timeout),
/// any other as [`EsetError::Transport`](crate::EsetError::Transport).
pub(crate) const TIMEOUT_PREFIX: &str = "timed out";

/// One request and what came back, as the client saw it; what `msp-usage collect --record`
/// keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The path after the base URL, e.g. `"Token/Get"`, `"User/Current"`,
    /// `"Company/Children"`, `"UsageReport/AllCompanies/categories"`.
    pub call: String,
    /// The JSON body sent ([`Value::Null`] for a GET). Secrets are replaced by
    /// `"[REDACTED]"`: Token/Get `password`, Token/Renew `refreshToken`.
    pub request: Value,
    /// What came back.
    pub outcome: ExchangeOutcome,
    /// When the answer (or failure) arrived.
    pub at: SystemTime,
}

/// What one request got.
#[derive(Debug, Clone, PartialEq)]
pub enum ExchangeOutcome {
    /// An HTTP answer. `body` is the body exactly as received, except for the answers of
    /// Token/Get and Token/Renew, whose `accessToken` and `refreshToken` values are replaced by
    /// `"[REDACTED]"` (the JSON re-serialized compactly; a token answer that is not JSON is
    /// handed over as an empty body), so no token ever reaches an observer.
    Response {
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` header as sent, if there was one.
        retry_after: Option<String>,
        /// The body (see above for token answers).
        body: Vec<u8>,
    },
    /// No answer: timeout or connection failure (the message never holds a secret). A message
    /// starting with `"timed out"` is a timeout.
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// Sees every exchange (every attempt, retries included), in the order the answers arrive.
/// Called synchronously on the client's task; must be cheap.
pub trait ExchangeObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One exchange happened.
    fn observe(&self, exchange: &Exchange);
}

/// Answers requests instead of the network (replay): with a source set, the client opens no
/// socket, waits for no rate limit and sleeps no backoff.
pub trait ExchangeSource: Send + Sync + std::fmt::Debug + 'static {
    /// The answer to `call` with `request` (same `call`/`request` shapes as in [`Exchange`],
    /// secrets already replaced by `"[REDACTED]"`). A [`ExchangeOutcome::Failed`] outcome is
    /// treated like a timeout (message starting with `"timed out"`) or connection error.
    fn answer(&self, call: &str, request: &Value) -> ExchangeOutcome;
}

/// `request` with the values of secret keys replaced by [`REDACTED`], at any depth.
pub(crate) fn redact_request(mut request: Value) -> Value {
    redact_keys(&mut request, &SECRET_REQUEST_KEYS);
    request
}

/// The body of a token answer as an observer may see it: its `accessToken` and
/// `refreshToken` string values replaced by [`REDACTED`], re-serialized compactly. A body
/// that is not JSON becomes empty (it might hold a token in some other form); an empty body
/// stays empty.
pub(crate) fn redact_token_answer(body: &[u8]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    redact_keys(&mut value, &SECRET_ANSWER_KEYS);
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Replaces the string values of `keys` (compared without regard to case) by [`REDACTED`],
/// in every object of `value`.
fn redact_keys(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if item.is_string() && keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                    *item = Value::String(REDACTED.to_owned());
                } else {
                    redact_keys(item, keys);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                redact_keys(item, keys);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn token_answer_tokens_are_replaced() {
        let body = br#"{ "accessToken": "eyJ.abc.def", "refreshToken": "r-1", "expiresIn": 60 }"#;
        let redacted: Value = serde_json::from_slice(&redact_token_answer(body)).unwrap();
        assert_eq!(
            redacted,
            json!({"accessToken": "[REDACTED]", "refreshToken": "[REDACTED]", "expiresIn": 60})
        );
        let text = String::from_utf8(redact_token_answer(body)).unwrap();
        assert!(!text.contains(' '), "not compact: {text}");
    }

    #[test]
    fn nested_and_differently_cased_tokens_are_replaced() {
        let body = br#"{"data":[{"AccessToken":"secret-a"}],"refreshtoken":"secret-r"}"#;
        let text = String::from_utf8(redact_token_answer(body)).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn token_error_answer_keeps_its_codes() {
        let body = br#"{"code":401,"message":"Invalid credentials"}"#;
        let redacted: Value = serde_json::from_slice(&redact_token_answer(body)).unwrap();
        assert_eq!(
            redacted,
            json!({"code": 401, "message": "Invalid credentials"})
        );
    }

    #[test]
    fn token_answer_that_is_not_json_becomes_empty() {
        assert!(redact_token_answer(b"accessToken=eyJ.abc.def").is_empty());
        assert!(redact_token_answer(b"").is_empty());
    }

    #[test]
    fn request_secrets_are_replaced() {
        let get = redact_request(json!({"username": "u@example.test", "password": "pw"}));
        assert_eq!(
            get,
            json!({"username": "u@example.test", "password": "[REDACTED]"})
        );
        let renew = redact_request(json!({"refreshToken": "r-1"}));
        assert_eq!(renew, json!({"refreshToken": "[REDACTED]"}));
        let other = json!({"companyId": "c1", "skip": 0, "take": 100});
        assert_eq!(redact_request(other.clone()), other);
    }
}
