//! The client, its builder, and the calls that need no paging.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use usage_models::eset::UserCurrentResponse;

use crate::auth::Auth;
use crate::error::EsetError;
use crate::exchange::{ExchangeObserver, ExchangeSource};
use crate::transport::{Backend, Call, Failure, Next, Transport, USER_AGENT_VALUE};

/// Async client of the ESET MSP Administrator 2 REST API.
///
/// Cheap to clone: clones share the session (one login for all of them) and the rate limiter.
/// Every call carries `Authorization: Bearer`, is rate limited, has a timeout, and is retried
/// with exponential backoff on 429, 5xx, timeouts, connection errors and cut-off bodies.
#[derive(Clone)]
pub struct EsetClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    auth: Auth,
}

impl fmt::Debug for EsetClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.inner.transport;
        f.debug_struct("EsetClient")
            .field("base_url", &t.base_url)
            .field("username", &self.inner.auth.username)
            .field("timeout", &t.timeout)
            .field("requests_per_second", &t.requests_per_second)
            .field("max_attempts", &t.max_attempts)
            .field("replay", &t.is_replay())
            .field("observed", &t.is_observed())
            .finish_non_exhaustive()
    }
}

impl EsetClient {
    /// The production API.
    pub const DEFAULT_BASE_URL: &'static str = "https://mspapi.eset.com/api";

    /// Starts building a client for an ESET MSP Administrator 2 API user.
    pub fn builder(username: impl Into<String>, password: SecretString) -> EsetClientBuilder {
        EsetClientBuilder {
            username: username.into(),
            password,
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            requests_per_second: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            max_attempts: 5,
            http: None,
            observer: None,
            replay: None,
        }
    }

    /// `GET User/Current`: the API user and its company.
    pub async fn current_user(&self) -> Result<UserCurrentResponse, EsetError> {
        self.call(&Call::get("User/Current")).await
    }

    /// The caller's company id (User/Current `company.companyId`, falling back to
    /// `company.id`): the root of [`company_tree`](Self::company_tree).
    pub async fn own_company_id(&self) -> Result<String, EsetError> {
        let user = self.current_user().await?;
        user.company
            .company_id
            .filter(|id| !id.trim().is_empty())
            .or(user.company.id.filter(|id| !id.trim().is_empty()))
            .ok_or_else(|| EsetError::Decode {
                call: "User/Current".to_owned(),
                path: "company.companyId".to_owned(),
                message: "neither company.companyId nor company.id holds a company id".to_owned(),
                snippet: "(not shown)".to_owned(),
                attempts: 1,
            })
    }

    /// Sends an authenticated call and decodes its answer: gets a token (logging in or
    /// renewing as needed), retries what may be retried, and after a 401 logs in afresh and
    /// tries once more, never more.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, EsetError> {
        let transport = &self.inner.transport;
        let auth = &self.inner.auth;
        let mut logged_in_again = false;
        loop {
            let generation = AtomicU64::new(0);
            let generation = &generation;
            let result = transport
                .with_retries(&call.path, |attempt| async move {
                    // A login failure was already retried inside: never retry it again here.
                    let bearer = auth.bearer(transport).await.map_err(Failure::stop)?;
                    generation.store(bearer.generation, Ordering::Relaxed);
                    transport
                        .send_once(call, Some(&bearer.token), attempt)
                        .await
                })
                .await;
            match result {
                Ok(value) => return Ok(value),
                Err(Failure {
                    next: Next::Unauthorized,
                    ..
                }) if !logged_in_again => {
                    logged_in_again = true;
                    auth.relogin(transport, generation.load(Ordering::Relaxed))
                        .await?;
                }
                Err(failure) => return Err(*failure.error),
            }
        }
    }
}

/// Settings of an [`EsetClient`]; made by [`EsetClient::builder`].
pub struct EsetClientBuilder {
    username: String,
    password: SecretString,
    base_url: String,
    timeout: Duration,
    requests_per_second: NonZeroU32,
    max_attempts: u32,
    http: Option<reqwest::Client>,
    observer: Option<Arc<dyn ExchangeObserver>>,
    replay: Option<Arc<dyn ExchangeSource>>,
}

impl fmt::Debug for EsetClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EsetClientBuilder")
            .field("username", &self.username)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("requests_per_second", &self.requests_per_second)
            .field("max_attempts", &self.max_attempts)
            .field("observer", &self.observer)
            .field("replay", &self.replay)
            .finish_non_exhaustive()
    }
}

impl EsetClientBuilder {
    /// The API base, e.g. `http://127.0.0.1:1234/api`; paths such as `Token/Get` are appended.
    /// Plain `http://` is accepted only for loopback hosts, so the password never crosses a
    /// network unencrypted. Default [`EsetClient::DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Timeout of each request (each attempt), default 30 s. `Duration::ZERO` means no
    /// timeout, e.g. for tests on a paused tokio clock where a pending timer would fire at once.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Client-side rate limit shared by all clones, default 10 requests per second (ESET
    /// documents none; peers stay below 10).
    pub fn requests_per_second(mut self, n: NonZeroU32) -> Self {
        self.requests_per_second = n;
        self
    }

    /// How many times one call is sent at most (first try included), default 5.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Sends through this `reqwest` client instead of a new one (for proxies, extra root
    /// certificates, or tests). The timeout, `User-Agent` and `Accept` headers are still set
    /// on every request; redirects follow that client's policy (the default client follows
    /// none, so neither the password nor a token is ever sent elsewhere).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Hands every exchange (each attempt of each call, retries and token calls included) to
    /// `observer`, in the order the answers arrive, with the password and the tokens replaced
    /// by `"[REDACTED]"`: what `msp-usage collect --record` writes. Works in replay mode too.
    pub fn observer(mut self, observer: Arc<dyn ExchangeObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Replay mode: `source` answers every request instead of the network (no socket is
    /// opened; [`http_client`](Self::http_client) is then unused). The answers go through the
    /// same status, retry, decode and token handling as real ones, but the rate limit and the
    /// waits between retries are skipped. The replayed access token is `"[REDACTED]"`, not a
    /// JWT, so it is given the fallback lifetime of 60 s; a `Token/Renew` answered with
    /// [`Failed`](crate::ExchangeOutcome::Failed) falls back to `Token/Get`, as over HTTP.
    pub fn replay(mut self, source: Arc<dyn ExchangeSource>) -> Self {
        self.replay = Some(source);
        self
    }

    /// Checks the settings and builds the client. Sends nothing: the first call logs in.
    pub fn build(self) -> Result<EsetClient, EsetError> {
        if self.username.trim().is_empty() {
            return Err(EsetError::InvalidInput(
                "the ESET user name is empty; set ESET_MSP_USERNAME".to_owned(),
            ));
        }
        if self.max_attempts == 0 {
            return Err(EsetError::InvalidInput(
                "max_attempts must be at least 1".to_owned(),
            ));
        }
        let base_url = check_base_url(&self.base_url)?;
        let backend = match (self.replay, self.http) {
            (Some(source), _) => Backend::Replay(source),
            (None, Some(http)) => Backend::Http(http),
            (None, None) => Backend::Http(
                reqwest::Client::builder()
                    .user_agent(USER_AGENT_VALUE)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| EsetError::Transport {
                        call: "(client setup)".to_owned(),
                        message: e.to_string(),
                        attempts: 0,
                    })?,
            ),
        };
        let transport = Transport::new(
            backend,
            self.observer,
            base_url,
            self.timeout,
            self.max_attempts,
            self.requests_per_second,
        );
        Ok(EsetClient {
            inner: Arc::new(Inner {
                transport,
                auth: Auth::new(self.username, self.password),
            }),
        })
    }
}

/// The base URL without a trailing slash, if it is usable.
fn check_base_url(raw: &str) -> Result<String, EsetError> {
    let invalid = |why: &str| {
        EsetError::InvalidInput(format!(
            "the ESET API URL `{raw}` {why}; use e.g. {}",
            EsetClient::DEFAULT_BASE_URL
        ))
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(&format!("is not a URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not hold credentials"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                "uses plain http:// to a host that is not on this machine (the password would \
                 travel unencrypted)",
            ));
        }
        _ => return Err(invalid("must start with https://")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://mspapi.eset.com/api/").unwrap(),
            "https://mspapi.eset.com/api"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080/api").unwrap(),
            "http://127.0.0.1:8080/api"
        );
        assert!(check_base_url("http://[::1]:8080/api").is_ok());
        assert!(check_base_url("http://localhost/api").is_ok());
        assert!(check_base_url("http://mspapi.eset.com/api").is_err());
        assert!(check_base_url("ftp://127.0.0.1/api").is_err());
        assert!(check_base_url("mspapi.eset.com").is_err());
        assert!(check_base_url("https://u:p@mspapi.eset.com/api").is_err());
    }
}
