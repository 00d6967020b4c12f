//! The one error type of this crate.

use std::time::Duration;

/// Everything that can go wrong talking to ESET MSP Administrator 2.
///
/// Every message says what happened and what to do about it. None of them (and no `Debug`
/// output) ever holds the password or a token: bodies of token calls are never quoted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EsetError {
    /// `Token/Get` answered 401: the user name or password is wrong, or the user may not use
    /// the API. Never retried.
    #[error(
        "ESET MSP Administrator refused the user name or password of API user `{username}` \
         (HTTP 401 on Token/Get); check ESET_MSP_USERNAME and ESET_MSP_PASSWORD and that \
         the user is enabled for API access in ESET MSP Administrator"
    )]
    BadCredentials {
        /// The user name that was refused (not a secret).
        username: String,
    },

    /// ESET answered with an HTTP error status (after any retries the status allows).
    #[error("{}", http_message(call, *status, *code, *sub_code, message.as_deref(), body, *attempts))]
    Http {
        /// The call, e.g. `UsageReport/AllCompanies/categories`.
        call: String,
        /// The HTTP status code.
        status: u16,
        /// ESET's application error `code`, when the body carried one.
        code: Option<i64>,
        /// ESET's application error `subCode`, when the body carried one.
        sub_code: Option<i64>,
        /// ESET's error message, when the body carried one.
        message: Option<String>,
        /// The start of the raw body (empty for token calls, whose bodies are never quoted).
        body: String,
        /// How many times the call was sent.
        attempts: u32,
    },

    /// ESET answered 200 with a body that is not the JSON this client expects.
    #[error(
        "ESET answered {call} with a body that could not be read at JSON path `{path}`: \
         {message} (body starts with: {snippet}); if this persists, the ESET API may have \
         changed: report it with this message"
    )]
    Decode {
        /// The call, e.g. `Company/Children`.
        call: String,
        /// The JSON path that failed, e.g. `companies[3].seatDays` (`.` for the whole body).
        path: String,
        /// What was wrong there.
        message: String,
        /// The start of the body (never shown for token calls).
        snippet: String,
        /// How many times the call was sent.
        attempts: u32,
    },

    /// No answer within the per-request timeout, on every attempt.
    #[error(
        "ESET did not answer {call} within {} s ({attempts} attempt(s)); check the network \
         connection or try again later",
        timeout.as_secs_f64()
    )]
    Timeout {
        /// The call that timed out.
        call: String,
        /// The per-request timeout.
        timeout: Duration,
        /// How many times the call was sent.
        attempts: u32,
    },

    /// The request could not be sent or its answer not received (DNS, TCP, TLS, a connection
    /// closed mid-body), on every attempt.
    #[error(
        "could not reach ESET for {call}: {message} ({attempts} attempt(s)); check the \
         network connection, any proxy, and ESET_MSP_API_URL"
    )]
    Transport {
        /// The call that failed.
        call: String,
        /// What the HTTP stack reported, with its causes.
        message: String,
        /// How many times the call was sent.
        attempts: u32,
    },

    /// ESET answered with a body larger than the limit (64 MiB by default); it was not read.
    /// Never retried.
    #[error(
        "ESET answered {call} with more than {} MiB, the most msp-usage reads (a usage page is a \
         few hundred kilobytes); check ESET_MSP_API_URL",
        limit / (1024 * 1024)
    )]
    TooLarge {
        /// The call.
        call: String,
        /// The limit in bytes.
        limit: usize,
    },

    /// ESET asked (with `Retry-After`) to wait longer than msp-usage waits (120 s): the call
    /// failed at once instead of stalling the run.
    #[error(
        "ESET asked to wait {} s before retrying {call}{}, longer than the {} s msp-usage waits; \
         try again later",
        wait.as_secs(),
        status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
        usage_http::MAX_RETRY_AFTER.as_secs()
    )]
    WaitTooLong {
        /// The call.
        call: String,
        /// The HTTP status that came with the `Retry-After`.
        status: Option<u16>,
        /// The wait the server asked for.
        wait: Duration,
    },

    /// Pages kept coming back full far past any total ESET announced: the walk was stopped
    /// rather than run forever, and its result is incomplete.
    #[error(
        "ESET kept answering {call} with full pages ({pages} pages, {companies} companies so far, \
         far past the total it announced); the listing was stopped and is incomplete; try again \
         later or report it to ESET"
    )]
    EndlessPaging {
        /// The call.
        call: String,
        /// Pages read.
        pages: u64,
        /// Distinct companies seen.
        companies: u64,
    },

    /// The client's settings cannot work (a zero timeout, attempts out of range); nothing was
    /// sent.
    #[error("invalid ESET client settings: {0}")]
    Setup(String),

    /// The caller asked for something that cannot be sent (e.g. `take` outside 1..=100, an
    /// empty company id, a date range that ends before it starts). Nothing was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl EsetError {
    /// True for ESET's maintenance answer: HTTP 503 with `code` 99 and `subCode` 2.
    pub fn is_maintenance(&self) -> bool {
        matches!(
            self,
            EsetError::Http {
                status: 503,
                code: Some(99),
                sub_code: Some(2),
                ..
            }
        )
    }

    /// The error with every known secret removed from the text that came over the wire. The
    /// transport already scrubs bodies byte for byte; this catches what only appears once JSON
    /// escapes are decoded (`\u002B` for `+`, `\/` for `/`).
    pub(crate) fn scrubbed(self, secrets: &usage_http::Secrets) -> Self {
        let scrub = |s: String| secrets.scrub(&s);
        match self {
            EsetError::Http {
                call,
                status,
                code,
                sub_code,
                message,
                body,
                attempts,
            } => EsetError::Http {
                call,
                status,
                code,
                sub_code,
                message: message.map(scrub),
                body: scrub(body),
                attempts,
            },
            EsetError::Decode {
                call,
                path,
                message,
                snippet,
                attempts,
            } => EsetError::Decode {
                call,
                path: scrub(path),
                message: scrub(message),
                snippet: scrub(snippet),
                attempts,
            },
            other => other,
        }
    }

    /// The call the error belongs to, if it came from a call.
    pub fn call(&self) -> Option<&str> {
        match self {
            EsetError::BadCredentials { .. } => Some("Token/Get"),
            // An answer that could not be used.
            EsetError::Http { call, .. } | EsetError::Decode { call, .. } => Some(call),
            // No usable answer at all.
            EsetError::Timeout { call, .. } | EsetError::Transport { call, .. } => Some(call),
            EsetError::TooLarge { call, .. } | EsetError::WaitTooLong { call, .. } => Some(call),
            EsetError::EndlessPaging { call, .. } => Some(call),
            EsetError::InvalidInput(_) | EsetError::Setup(_) => None,
        }
    }
}

/// The text of [`EsetError::Http`].
fn http_message(
    call: &str,
    status: u16,
    code: Option<i64>,
    sub_code: Option<i64>,
    message: Option<&str>,
    body: &str,
    attempts: u32,
) -> String {
    let mut text = format!("ESET answered {call} with HTTP {status}");
    match (code, sub_code) {
        (Some(c), Some(s)) => text.push_str(&format!(" (ESET code {c}, subCode {s})")),
        (Some(c), None) => text.push_str(&format!(" (ESET code {c})")),
        (None, Some(s)) => text.push_str(&format!(" (ESET subCode {s})")),
        (None, None) => {}
    }
    match message {
        Some(m) if !m.is_empty() => text.push_str(&format!(": {m}")),
        _ if !body.is_empty() => text.push_str(&format!(" (body: {body})")),
        _ => {}
    }
    if attempts > 1 {
        text.push_str(&format!(" after {attempts} attempts"));
    }
    text.push_str("; ");
    text.push_str(http_hint(status, code, sub_code));
    text
}

/// What to do about an HTTP error status.
fn http_hint(status: u16, code: Option<i64>, sub_code: Option<i64>) -> &'static str {
    match (status, code, sub_code) {
        (503, Some(99), Some(2)) => {
            "ESET MSP Administrator is down for maintenance; try again later"
        }
        (403, Some(99), Some(1)) => {
            "ESET does not know this route; check that ESET_MSP_API_URL ends in /api"
        }
        (300..=399, _, _) => {
            "ESET redirected the call; check ESET_MSP_API_URL (https://mspapi.eset.com/api)"
        }
        (400, _, _) => {
            "ESET refused the request as invalid; check the company ids, the dates and the \
             product or category codes"
        }
        (401, _, _) => {
            "ESET refused the access token even after a fresh login; check that the API user \
             may read this company"
        }
        (403, _, _) => {
            "the API user is not allowed to do this; check its rights in ESET MSP Administrator"
        }
        (404, _, _) => {
            "ESET does not know this resource; check the company id and ESET_MSP_API_URL"
        }
        (429, _, _) => {
            "ESET is rate-limiting this client; lower the request rate or try again later"
        }
        (500..=599, _, _) => "ESET had a server error; try again later",
        _ => "check ESET_MSP_API_URL and try again",
    }
}
