//! The settings every vendor client shares, written once: timeout, attempts, size limit, a
//! caller's own HTTP client, an observer (record) or a source (replay).

use std::sync::Arc;
use std::time::Duration;

use crate::exchange::{ExchangeObserver, ExchangeSource};
use crate::redact::Secrets;
use crate::retry::MAX_ATTEMPTS_LIMIT;
use crate::transport::{MAX_BODY_BYTES, Transport, USER_AGENT, Wire};
use crate::url::{BaseUrlError, check_base_url};

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default attempts of one request, the first included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Settings of a [`Transport`]; a vendor client's builder holds one and exposes it through
/// [`TransportSettings`].
pub struct TransportBuilder {
    base_url: String,
    timeout: Option<Duration>,
    max_attempts: u32,
    body_limit: usize,
    http: Option<reqwest::Client>,
    observer: Option<Arc<dyn ExchangeObserver>>,
    replay: Option<Arc<dyn ExchangeSource>>,
}

impl Default for TransportBuilder {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            timeout: Some(DEFAULT_TIMEOUT),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            body_limit: MAX_BODY_BYTES,
            http: None,
            observer: None,
            replay: None,
        }
    }
}

impl std::fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("body_limit", &self.body_limit)
            .field("observed", &self.observer.is_some())
            .field("replay", &self.replay.is_some())
            .finish_non_exhaustive()
    }
}

/// Settings that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The base URL is not usable; `why` reads after "the URL `...`".
    #[error("the URL `{url}` {why}")]
    BaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: BaseUrlError,
    },
    /// Another setting cannot work.
    #[error("{0}")]
    Invalid(String),
}

impl TransportBuilder {
    /// Settings for a vendor whose API lives at `default_url` unless the caller says otherwise.
    pub fn with_base_url(default_url: &str) -> Self {
        Self {
            base_url: default_url.to_owned(),
            ..Self::default()
        }
    }

    /// Checks the settings and builds the transport of `vendor`'s client (`ESET`,
    /// `GravityZone`: named in log lines); `secrets` are the client's (its password or API key
    /// already added).
    pub fn build(self, vendor: &'static str, secrets: Secrets) -> Result<Transport, SetupError> {
        let base_url = check_base_url(&self.base_url).map_err(|why| SetupError::BaseUrl {
            url: shown_url(&self.base_url),
            why,
        })?;
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(SetupError::Invalid(
                "the request timeout must be longer than zero".to_owned(),
            ));
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&self.max_attempts) {
            return Err(SetupError::Invalid(format!(
                "the attempts per request must be from 1 to {MAX_ATTEMPTS_LIMIT}, not {}",
                self.max_attempts
            )));
        }
        let wire = match (self.replay, self.http) {
            (Some(source), _) => Wire::Replay(source),
            (None, Some(http)) => Wire::Live(http),
            (None, None) => Wire::Live(
                reqwest::Client::builder()
                    .user_agent(USER_AGENT)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| {
                        SetupError::Invalid(format!(
                            "could not set up the HTTP client: {}",
                            crate::json::error_chain(&e)
                        ))
                    })?,
            ),
        };
        Ok(Transport {
            base_url,
            wire,
            observer: self.observer,
            secrets,
            timeout: self.timeout,
            max_attempts: self.max_attempts,
            body_limit: self.body_limit,
            vendor,
        })
    }
}

/// A URL as an error may show it: without a user name or password, escaped.
fn shown_url(raw: &str) -> String {
    match url::Url::parse(raw.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        // Not even a URL: still never show what stands before an `@`.
        _ => match raw.rsplit_once('@') {
            Some((_, host)) => format!("…@{}", host.escape_debug()),
            None => raw.escape_debug().to_string(),
        },
    }
}

/// The transport settings of a vendor client's builder, written once for both vendors: a
/// builder implements [`transport_mut`](Self::transport_mut) and gets every method.
pub trait TransportSettings: Sized {
    /// The builder's transport settings.
    fn transport_mut(&mut self) -> &mut TransportBuilder;

    /// The API's base URL, e.g. `https://mspapi.eset.com/api` or a loopback
    /// `http://127.0.0.1:8080/api`, to which each call's path is appended. Plain `http://` is
    /// refused unless the host is a loopback address, so no secret crosses a network
    /// unencrypted.
    fn base_url(mut self, url: impl Into<String>) -> Self {
        self.transport_mut().base_url = url.into();
        self
    }

    /// Timeout of each request (each attempt), from sending it to reading the whole answer;
    /// default 30 s. Zero is refused by `build`.
    fn timeout(mut self, timeout: Duration) -> Self {
        self.transport_mut().timeout = Some(timeout);
        self
    }

    /// No request timeout at all: for tests on a paused tokio clock, where a pending timer
    /// would fire at once.
    fn no_timeout(mut self) -> Self {
        self.transport_mut().timeout = None;
        self
    }

    /// Attempts of one request, the first included (default 5, at most 20); 1 turns retries off.
    fn max_attempts(mut self, attempts: u32) -> Self {
        self.transport_mut().max_attempts = attempts;
        self
    }

    /// Largest answer read, in bytes (default and most: 64 MiB); a larger one fails that
    /// request.
    fn body_limit(mut self, bytes: usize) -> Self {
        self.transport_mut().body_limit = bytes.min(MAX_BODY_BYTES);
        self
    }

    /// Sends through this `reqwest` client instead of a new one (proxies, extra root
    /// certificates, tests). Timeouts and headers are still set per request; redirects follow
    /// that client's policy (the default client follows none, so no secret is ever sent
    /// elsewhere).
    fn http_client(mut self, client: reqwest::Client) -> Self {
        self.transport_mut().http = Some(client);
        self
    }

    /// Hands every exchange (each attempt of each call, retries and credential calls
    /// included) to `observer`, in the order the answers arrive, with every secret replaced
    /// by `"[REDACTED]"`: what `msp-usage collect --record` writes. Works in replay too.
    fn observer(mut self, observer: Arc<dyn ExchangeObserver>) -> Self {
        self.transport_mut().observer = Some(observer);
        self
    }

    /// Replay: `source` answers every request instead of the network (no socket is opened).
    /// The answers go through the same status, retry, decode and error handling as real ones,
    /// but without pacing or waiting between attempts.
    fn replay(mut self, source: Arc<dyn ExchangeSource>) -> Self {
        self.transport_mut().replay = Some(source);
        self
    }
}

impl TransportSettings for TransportBuilder {
    fn transport_mut(&mut self) -> &mut TransportBuilder {
        self
    }
}
