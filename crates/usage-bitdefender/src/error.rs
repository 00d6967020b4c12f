//! The one error type of the crate.

use std::time::Duration;

/// Everything that can go wrong between this client and GravityZone.
///
/// Every variant that comes from a call names the call (`method`, e.g.
/// `licensing.getMonthlyUsage`); those that came with a JSON-RPC error keep its `code`, `message`
/// and `data.details` (the vendor puts the useful explanation there). The API key never appears in
/// any variant: strings that came over the wire are scrubbed of it before they are stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GravityZoneError {
    /// HTTP 401: the API key was refused. The vendor's body usually says
    /// "Invalid API key. Please generate an API key in Control Center."
    #[error(
        "GravityZone refused the API key on {method} (HTTP {status}{}); check GRAVITYZONE_API_KEY, \
         and that GRAVITYZONE_API_URL is the Access URL of the Control Center that issued the key \
         (a key works only on its own instance)",
        rpc_suffix(*.code, .message.as_deref(), .details.as_deref())
    )]
    Unauthorized {
        /// The call, e.g. `licensing.getMonthlyUsage`.
        method: &'static str,
        /// The HTTP status (401).
        status: u16,
        /// JSON-RPC error code of the body, when it had one.
        code: Option<i64>,
        /// JSON-RPC error message of the body, when it had one.
        message: Option<String>,
        /// `error.data.details` of the body, when it had one.
        details: Option<String>,
    },

    /// HTTP 403: the key works, but the API this call belongs to is not enabled for it.
    #[error(
        "GravityZone API key may not call {method} (HTTP {status}{}); enable the {} API for this \
         key in Control Center (My Account > API keys)",
        rpc_suffix(*.code, .message.as_deref(), .details.as_deref()),
        api_name(method)
    )]
    Forbidden {
        /// The call, e.g. `network.getCompaniesList`.
        method: &'static str,
        /// The HTTP status (403).
        status: u16,
        /// JSON-RPC error code of the body, when it had one.
        code: Option<i64>,
        /// JSON-RPC error message of the body, when it had one.
        message: Option<String>,
        /// `error.data.details` of the body, when it had one.
        details: Option<String>,
    },

    /// HTTP 405: the URL does not accept POST, which usually means it is not a JSON-RPC endpoint.
    #[error(
        "GravityZone answered HTTP {status} (method not allowed) to {method}; check that \
         GRAVITYZONE_API_URL is the Access URL shown in Control Center (it ends in /api)"
    )]
    MethodNotAllowed {
        /// The call.
        method: &'static str,
        /// The HTTP status (405).
        status: u16,
    },

    /// A JSON-RPC error object in the response (normally with HTTP 200), e.g. -32602
    /// "Invalid params". Bad-request codes (-32600, -32601, -32602) are never retried.
    #[error(
        "GravityZone {method}{} failed: JSON-RPC error {code} {message}{}",
        company_suffix(.company.as_deref()),
        details_suffix(.details.as_deref())
    )]
    Rpc {
        /// The call.
        method: &'static str,
        /// The company the call was about, when it named one.
        company: Option<String>,
        /// The HTTP status the error came with (usually 200).
        status: u16,
        /// JSON-RPC error code.
        code: i64,
        /// JSON-RPC error message.
        message: String,
        /// `error.data.details`, the vendor's explanation.
        details: Option<String>,
        /// The whole `error.data` value, when there was one.
        data: Option<Box<serde_json::Value>>,
    },

    /// HTTP 429 on every attempt (a `Retry-After` too long to wait for is [`Self::WaitTooLong`]).
    #[error(
        "GravityZone kept rate-limiting {method} (HTTP 429){}; try again later",
        retry_after_suffix(*.retry_after)
    )]
    RateLimited {
        /// The call.
        method: &'static str,
        /// The last `Retry-After` the server sent.
        retry_after: Option<Duration>,
    },

    /// Any other HTTP status (5xx after all retries, an unexpected 4xx or 3xx).
    #[error(
        "GravityZone answered HTTP {status} to {method}{}{}{}",
        rpc_suffix(*.code, .message.as_deref(), .details.as_deref()),
        snippet_suffix(.snippet),
        status_hint(*.status)
    )]
    Http {
        /// The call.
        method: &'static str,
        /// The HTTP status.
        status: u16,
        /// JSON-RPC error code of the body, when it had one.
        code: Option<i64>,
        /// JSON-RPC error message of the body, when it had one.
        message: Option<String>,
        /// `error.data.details` of the body, when it had one.
        details: Option<String>,
        /// The start of the body, when it was not a JSON-RPC error.
        snippet: String,
    },

    /// The body does not decode into what the call returns: not JSON, cut off, or a shape the
    /// client does not know. `path` is the JSON path that failed (`.` for the top level).
    #[error(
        "GravityZone {method}{}: the response does not decode at {}: {reason} \
         (HTTP {status}; body starts with: {snippet})",
        company_suffix(.company.as_deref()),
        path_text(.path)
    )]
    Decode {
        /// The call.
        method: &'static str,
        /// The company the call was about, when it named one.
        company: Option<String>,
        /// The HTTP status of the response.
        status: u16,
        /// JSON path of the failure, e.g. `result.usages[0].endpointMonthlyUsage`.
        path: String,
        /// What was wrong there.
        reason: String,
        /// The first characters of the body.
        snippet: String,
    },

    /// No complete answer within the per-request timeout, on every attempt.
    #[error("GravityZone {method} timed out after {timeout:?} on every attempt")]
    Timeout {
        /// The call.
        method: &'static str,
        /// The per-request timeout.
        timeout: Duration,
    },

    /// The request could not be sent or the answer could not be read (connection refused, reset,
    /// TLS failure, a body cut off mid-way), on every attempt; in replay, the recorded exchange
    /// was such a failure.
    #[error("could not reach GravityZone for {method}: {detail}")]
    Transport {
        /// The call.
        method: &'static str,
        /// The error and its causes, on one line.
        detail: String,
    },

    /// The answer was larger than the limit (64 MiB by default); it was not read. Never retried.
    #[error(
        "GravityZone answered {method} with more than {} MiB, the most msp-usage reads; check \
         GRAVITYZONE_API_URL",
        limit / (1024 * 1024)
    )]
    TooLarge {
        /// The call.
        method: &'static str,
        /// The limit in bytes.
        limit: usize,
    },

    /// The server asked (with `Retry-After`) to wait longer than msp-usage waits (120 s): the
    /// call failed at once instead of stalling the run.
    #[error(
        "GravityZone asked to wait {} s before retrying {method}{}, longer than the {} s \
         msp-usage waits; try again later",
        wait.as_secs(),
        status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
        usage_http::MAX_RETRY_AFTER.as_secs()
    )]
    WaitTooLong {
        /// The call.
        method: &'static str,
        /// The HTTP status that came with the `Retry-After`.
        status: Option<u16>,
        /// The wait the server asked for.
        wait: Duration,
    },

    /// The caller passed something the client cannot send (an empty id, a bad month, a bad URL,
    /// an empty key).
    #[error("invalid GravityZone input: {reason}")]
    InvalidInput {
        /// What was wrong and what to do.
        reason: String,
    },

    /// The client's settings cannot work (a zero timeout, attempts out of range, the TLS
    /// backend); nothing was sent.
    #[error("could not set up the GravityZone client: {detail}")]
    Setup {
        /// What is wrong.
        detail: String,
    },

    /// A company folder whose contents could not be listed: the companies kept in it (and in
    /// the folders inside it) are unknown. `error` is what the listing call answered.
    #[error(
        "GravityZone company folder {}{folder} (inside company {owner}) could not be listed: {error}",
        name.as_deref().map(|n| format!("{n:?} ")).unwrap_or_default()
    )]
    FolderUnreadable {
        /// The folder id.
        folder: String,
        /// The folder name, when the vendor sent one.
        name: Option<String>,
        /// The company the folder belongs to (the parent of every company inside it).
        owner: String,
        /// Why the listing failed.
        error: Box<GravityZoneError>,
    },
}

impl GravityZoneError {
    /// The call the error came from (`service.method`), if it came from one.
    pub fn method(&self) -> Option<&str> {
        if let Self::FolderUnreadable { error, .. } = self {
            return error.method();
        }
        match self {
            Self::Unauthorized { method, .. }
            | Self::Forbidden { method, .. }
            | Self::MethodNotAllowed { method, .. }
            | Self::Rpc { method, .. }
            | Self::RateLimited { method, .. }
            | Self::Http { method, .. }
            | Self::Decode { method, .. }
            | Self::Timeout { method, .. }
            | Self::Transport { method, .. }
            | Self::TooLarge { method, .. }
            | Self::WaitTooLong { method, .. } => Some(method),
            Self::InvalidInput { .. } | Self::Setup { .. } | Self::FolderUnreadable { .. } => None,
        }
    }

    /// The JSON-RPC error code, if the server sent one.
    pub fn rpc_code(&self) -> Option<i64> {
        if let Self::FolderUnreadable { error, .. } = self {
            return error.rpc_code();
        }
        match self {
            Self::Rpc { code, .. } => Some(*code),
            Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Http { code, .. } => *code,
            _ => None,
        }
    }

    /// The HTTP status of the response, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        if let Self::FolderUnreadable { error, .. } = self {
            return error.http_status();
        }
        match self {
            Self::Unauthorized { status, .. }
            | Self::Forbidden { status, .. }
            | Self::MethodNotAllowed { status, .. }
            | Self::Rpc { status, .. }
            | Self::Http { status, .. }
            | Self::Decode { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            Self::WaitTooLong { status, .. } => *status,
            _ => None,
        }
    }

    /// `error.data.details` of the server's JSON-RPC error, if it sent one.
    pub fn details(&self) -> Option<&str> {
        if let Self::FolderUnreadable { error, .. } = self {
            return error.details();
        }
        match self {
            Self::Unauthorized { details, .. }
            | Self::Forbidden { details, .. }
            | Self::Rpc { details, .. }
            | Self::Http { details, .. } => details.as_deref(),
            _ => None,
        }
    }

    /// The error with every known secret removed from the text that came over the wire. The
    /// transport already scrubs bodies byte for byte; this catches what only appears once JSON
    /// escapes are decoded (`\u002B` for `+`, `\/` for `/`).
    pub(crate) fn scrubbed(self, secrets: &usage_http::Secrets) -> Self {
        let scrub = |s: String| secrets.scrub(&s);
        let scrub_opt = |s: Option<String>| s.map(|s| secrets.scrub(&s));
        match self {
            Self::Unauthorized {
                method,
                status,
                code,
                message,
                details,
            } => Self::Unauthorized {
                method,
                status,
                code,
                message: scrub_opt(message),
                details: scrub_opt(details),
            },
            Self::Forbidden {
                method,
                status,
                code,
                message,
                details,
            } => Self::Forbidden {
                method,
                status,
                code,
                message: scrub_opt(message),
                details: scrub_opt(details),
            },
            Self::Rpc {
                method,
                company,
                status,
                code,
                message,
                details,
                data,
            } => Self::Rpc {
                method,
                company,
                status,
                code,
                message: scrub(message),
                details: scrub_opt(details),
                data: data.map(|d| Box::new(secrets.scrub_value(*d))),
            },
            Self::Http {
                method,
                status,
                code,
                message,
                details,
                snippet,
            } => Self::Http {
                method,
                status,
                code,
                message: scrub_opt(message),
                details: scrub_opt(details),
                snippet: scrub(snippet),
            },
            Self::Decode {
                method,
                company,
                status,
                path,
                reason,
                snippet,
            } => Self::Decode {
                method,
                company,
                status,
                path: scrub(path),
                reason: scrub(reason),
                snippet: scrub(snippet),
            },
            Self::Transport { method, detail } => Self::Transport {
                method,
                detail: scrub(detail),
            },
            other => other,
        }
    }

    /// True when the credentials or their rights are the problem (HTTP 401 or 403): retrying or
    /// asking about another company will not help.
    pub fn is_auth(&self) -> bool {
        if let Self::FolderUnreadable { error, .. } = self {
            return error.is_auth();
        }
        matches!(self, Self::Unauthorized { .. } | Self::Forbidden { .. })
    }
}

/// " Licensing" from "licensing.getMonthlyUsage" (the name of the checkbox in Control Center).
fn api_name(method: &str) -> String {
    let service = method.split('.').next().unwrap_or(method);
    let mut chars = service.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn rpc_suffix(code: Option<i64>, message: Option<&str>, details: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(code) = code {
        out.push_str(&format!(", JSON-RPC error {code}"));
    }
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        out.push_str(&format!(" {message}"));
    }
    if let Some(details) = details.filter(|d| !d.is_empty()) {
        out.push_str(&format!(": {details}"));
    }
    out
}

fn details_suffix(details: Option<&str>) -> String {
    details
        .filter(|d| !d.is_empty())
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn company_suffix(company: Option<&str>) -> String {
    company
        .map(|c| format!(" for company {c}"))
        .unwrap_or_default()
}

fn retry_after_suffix(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", last Retry-After {}s", d.as_secs()))
        .unwrap_or_default()
}

/// What a status that is not an API answer usually means.
fn status_hint(status: u16) -> &'static str {
    match status {
        300..=399 | 404 => {
            "; check that GRAVITYZONE_API_URL is the Access URL shown in Control Center \
             (My Account > Control Center API)"
        }
        _ => "",
    }
}

/// A JSON path for a message: `result.usages[0]` in backticks, `.` as "the top level".
fn path_text(path: &str) -> String {
    if path == "." {
        "the top level".to_string()
    } else {
        format!("`{path}`")
    }
}

fn snippet_suffix(snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!(" (body starts with: {snippet})")
    }
}
