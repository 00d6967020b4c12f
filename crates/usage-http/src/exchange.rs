//! One set of exchange types for both vendors: every request a client sends and what came
//! back, handed to an observer (`msp-usage collect --record`), or answered by a source instead
//! of the network (`msp-usage collect --replay`).
//!
//! An exchange never holds a secret: every secret the run knows (password, API key, access and
//! refresh tokens, the Basic header) is replaced by [`REDACTED`] in its request, body and error
//! text, and the answers of credential calls have their token values replaced too.

use std::time::SystemTime;

use serde_json::Value;

/// The marker that stands in for every secret.
pub const REDACTED: &str = "[REDACTED]";

/// Start of the [`ExchangeOutcome::Failed`] message of a request that timed out; a replayed
/// failure with this start is a timeout, any other a connection failure.
pub const TIMED_OUT: &str = "timed out";

/// One request and what came back, as the client saw it; what `msp-usage collect --record`
/// keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The call: ESET the path after the base URL (`Token/Get`, `Company/Children`,
    /// `UsageReport/AllCompanies/categories`); GravityZone `<service>.<method>`
    /// (`licensing.getMonthlyUsage`).
    pub call: String,
    /// What was sent: ESET the JSON body ([`Value::Null`] for a GET), GravityZone the JSON-RPC
    /// `params` (no id, no envelope); secrets replaced by [`REDACTED`].
    pub request: Value,
    /// What came back.
    pub outcome: ExchangeOutcome,
    /// When the answer (or failure) arrived.
    pub at: SystemTime,
}

/// What one request got.
#[derive(Debug, Clone, PartialEq)]
pub enum ExchangeOutcome {
    /// An HTTP answer: the body as received, except that every secret the run knows is
    /// replaced by [`REDACTED`] byte for byte, and the token values of a credential call's
    /// answer (ESET `Token/Get`, `Token/Renew`) are replaced too (that JSON re-serialized
    /// compactly; such an answer that is not JSON is handed over as an empty body).
    Response {
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` header as sent, if there was one.
        retry_after: Option<String>,
        /// The body (see above).
        body: Vec<u8>,
    },
    /// No answer: a timeout (the message starts with [`TIMED_OUT`]) or a connection failure.
    /// The message never holds a secret.
    Failed {
        /// What went wrong, on one line.
        error: String,
    },
}

/// Sees every exchange (every attempt, retries included), in the order the answers arrive.
/// Called synchronously on the client's task; must be cheap.
pub trait ExchangeObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One exchange happened.
    fn observe(&self, exchange: &Exchange);
}

/// Answers requests instead of the network (replay): with a source set, a client opens no
/// socket, waits for no rate limit and sleeps no backoff.
pub trait ExchangeSource: Send + Sync + std::fmt::Debug + 'static {
    /// The answer to `call` with `request` (the shapes of [`Exchange`], secrets already
    /// replaced). A [`ExchangeOutcome::Failed`] outcome is treated like a timeout or a
    /// connection failure over the network.
    fn answer(&self, call: &str, request: &Value) -> ExchangeOutcome;
}
