//! Record/replay hooks: every request the client makes, and what came back, as one [`Exchange`].
//!
//! `msp-usage collect --record` hands the client an [`ExchangeObserver`] (see
//! [`GravityZoneClientBuilder::observer`](crate::GravityZoneClientBuilder::observer)) and keeps
//! what it sees; `--replay` hands it an [`ExchangeSource`] (see
//! [`GravityZoneClientBuilder::replay`](crate::GravityZoneClientBuilder::replay)) that answers
//! from those records instead of the network.
//!
//! For GravityZone, [`Exchange::call`] is `<service>.<method>` (e.g.
//! `licensing.getMonthlyUsage`, `network.getCompaniesList`, `companies.getCompanyDetails`) and
//! [`Exchange::request`] is the JSON-RPC `params` object as sent (no id, no envelope). The API key
//! travels only in the `Authorization` header, so it is in no `request`; it is also removed from
//! every body, header value and error text an exchange carries, in case a server echoes it.

/// One request and what came back, as the client saw it; what `msp-usage collect --record` keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// ESET: the path after the base URL, e.g. "Token/Get", "User/Current", "Company/Children",
    /// "UsageReport/AllCompanies/categories". GravityZone: `"<service>.<method>"`, e.g.
    /// `"licensing.getMonthlyUsage"`.
    pub call: String,
    /// ESET: the JSON body sent (`serde_json::Value::Null` for GET). GravityZone: the JSON-RPC
    /// `params` only (no id, no envelope). Secrets replaced by the string `"[REDACTED]"`: ESET
    /// Token/Get `password`, Token/Renew `refreshToken`.
    pub request: serde_json::Value,
    /// What came back.
    pub outcome: ExchangeOutcome,
    /// When the answer (or failure) arrived.
    pub at: std::time::SystemTime,
}

/// What one request got.
#[derive(Debug, Clone, PartialEq)]
pub enum ExchangeOutcome {
    /// An HTTP answer. `body` is the body exactly as received, EXCEPT for ESET Token/Get and
    /// Token/Renew answers, whose `accessToken` and `refreshToken` values are replaced by
    /// `"[REDACTED]"` so no token is ever handed to an observer. (GravityZone has no tokens; should
    /// a GravityZone body or `Retry-After` value echo the API key, the key is replaced by
    /// `"[REDACTED]"` byte for byte and everything else is kept.)
    Response {
        /// The HTTP status, e.g. 200 or 503.
        status: u16,
        /// The `Retry-After` header as sent (seconds or an HTTP date), if any.
        retry_after: Option<String>,
        /// The body bytes.
        body: Vec<u8>,
    },
    /// No answer: timeout or connection failure (the message never holds a secret).
    ///
    /// The GravityZone client writes `timed out after <timeout>` for a timeout and the error
    /// chain for anything else; replayed, a message starting with `timed out` becomes
    /// [`GravityZoneError::Timeout`](crate::GravityZoneError::Timeout), any other
    /// [`GravityZoneError::Transport`](crate::GravityZoneError::Transport).
    Failed {
        /// What went wrong, on one line.
        error: String,
    },
}

/// Sees every exchange (every attempt, retries included). Called synchronously; must be cheap.
pub trait ExchangeObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One exchange happened.
    fn observe(&self, exchange: &Exchange);
}

/// Answers requests instead of the network (replay): with a source set, the client opens no
/// socket.
pub trait ExchangeSource: Send + Sync + std::fmt::Debug + 'static {
    /// The answer to `call` with `request` (same `call`/`request` shapes as in `Exchange`, secrets
    /// already replaced by `"[REDACTED]"`). A `Failed` outcome is treated like a timeout/connection
    /// error.
    fn answer(&self, call: &str, request: &serde_json::Value) -> ExchangeOutcome;
}

/// How a live timeout is written into [`ExchangeOutcome::Failed`], and recognised on replay.
pub(crate) const TIMED_OUT: &str = "timed out";
