//! The client, its builder, and the calls that need no paging.

use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use usage_http::{Secrets, SetupError, TransportBuilder, TransportSettings};
use usage_models::eset::UserCurrentResponse;

use crate::auth::Auth;
use crate::company::EsetCompany;
use crate::error::EsetError;
use crate::transport::{Call, EsetTransport};

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
    transport: EsetTransport,
    auth: Auth,
    /// Pages of one listing asked for at once.
    pages_in_flight: usize,
}

impl fmt::Debug for EsetClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.inner.transport;
        f.debug_struct("EsetClient")
            .field("base_url", &t.http.base_url())
            .field("username", &self.inner.auth.username)
            .field("requests_per_second", &t.pacer.rate())
            .field("transport", &t.http)
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
            requests_per_second: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            pages_in_flight: None,
            transport: TransportBuilder::with_base_url(Self::DEFAULT_BASE_URL),
        }
    }

    /// `GET User/Current`: the API user and its company.
    pub async fn current_user(&self) -> Result<UserCurrentResponse, EsetError> {
        self.call(&Call::get("User/Current")).await
    }

    /// The caller's company id (User/Current `company.companyId`, falling back to
    /// `company.id`): the root of [`company_tree`](Self::company_tree).
    pub async fn own_company_id(&self) -> Result<String, EsetError> {
        self.own_company().await.map(|company| company.id)
    }

    /// The caller's company (User/Current `company`): its id (as in
    /// [`own_company_id`](Self::own_company_id)), name and entity type; it has no parent.
    pub async fn own_company(&self) -> Result<EsetCompany, EsetError> {
        let company = self.current_user().await?.company;
        let id = company
            .company_id
            .filter(|id| !id.trim().is_empty())
            .or(company.id.filter(|id| !id.trim().is_empty()))
            .ok_or_else(|| EsetError::Decode {
                call: "User/Current".to_owned(),
                path: "company.companyId".to_owned(),
                message: "neither company.companyId nor company.id holds a company id".to_owned(),
                snippet: "(not shown)".to_owned(),
                attempts: 1,
            })?;
        Ok(EsetCompany {
            id,
            name: company.name,
            parent_id: None,
            entity_type: company.type_,
        })
    }

    /// Sends an authenticated call and decodes its answer: gets a token (logging in or
    /// renewing as needed), retries what may be retried, and after a 401 logs in afresh and
    /// tries once more, never more.
    /// How many pages of one listing are asked for at once (see
    /// [`EsetClientBuilder::pages_in_flight`]).
    pub(crate) fn pages_ahead(&self) -> usize {
        self.inner.pages_in_flight
    }

    pub(crate) async fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, EsetError> {
        let transport = &self.inner.transport;
        let auth = &self.inner.auth;
        let mut logged_in_again = false;
        loop {
            let generation = AtomicU64::new(0);
            let generation = &generation;
            let result = transport
                .with_retries(call, |attempt| async move {
                    // A login failure was already retried inside: never retry it again here.
                    let bearer = auth
                        .bearer(transport)
                        .await
                        .map_err(usage_http::Failed::never)?;
                    generation.store(bearer.generation, Ordering::Relaxed);
                    transport
                        .send_once(call, Some(&bearer.token), attempt)
                        .await
                })
                .await;
            match result {
                Err(EsetError::Http { status: 401, .. }) if !logged_in_again => {
                    logged_in_again = true;
                    auth.relogin(transport, generation.load(Ordering::Relaxed))
                        .await?;
                }
                other => return other,
            }
        }
    }
}

/// Settings of an [`EsetClient`]; made by [`EsetClient::builder`].
pub struct EsetClientBuilder {
    username: String,
    password: SecretString,
    requests_per_second: NonZeroU32,
    pages_in_flight: Option<NonZeroUsize>,
    transport: TransportBuilder,
}

impl fmt::Debug for EsetClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EsetClientBuilder")
            .field("username", &self.username)
            .field("transport", &self.transport)
            .field("requests_per_second", &self.requests_per_second)
            .field("pages_in_flight", &self.pages_in_flight)
            .finish_non_exhaustive()
    }
}

impl EsetClientBuilder {
    /// Client-side rate limit shared by all clones, default 10 requests per second (ESET
    /// documents none; peers stay below 10).
    pub fn requests_per_second(mut self, n: NonZeroU32) -> Self {
        self.requests_per_second = n;
        self
    }

    /// Pages of one listing (a usage report, a company's children) asked for at once after
    /// the first page is back; they are still read in order, and the pace above still holds.
    /// Default: the pace per second, at most 16 (enough to keep the pace saturated with round
    /// trips of up to a second). 1 reads every listing one page at a time.
    pub fn pages_in_flight(mut self, n: NonZeroUsize) -> Self {
        self.pages_in_flight = Some(n);
        self
    }

    /// Checks the settings and builds the client. Sends nothing: the first call logs in.
    pub fn build(self) -> Result<EsetClient, EsetError> {
        if self.username.trim().is_empty() {
            return Err(EsetError::InvalidInput(
                "the ESET user name is empty; set ESET_MSP_USERNAME".to_owned(),
            ));
        }
        let secrets = Secrets::new();
        secrets.add(&self.password);
        let http = self.transport.build("ESET", secrets).map_err(|e| match e {
            SetupError::BaseUrl { url, why } => EsetError::InvalidInput(format!(
                "the ESET API URL `{url}` {why}; use e.g. {}",
                EsetClient::DEFAULT_BASE_URL
            )),
            other => EsetError::Setup(other.to_string()),
        })?;
        let transport = EsetTransport::new(http, self.requests_per_second);
        let pages_in_flight = self.pages_in_flight.map_or_else(
            || {
                usize::try_from(self.requests_per_second.get())
                    .unwrap_or(16)
                    .clamp(1, 16)
            },
            NonZeroUsize::get,
        );
        Ok(EsetClient {
            inner: Arc::new(Inner {
                transport,
                pages_in_flight,
                auth: Auth::new(self.username, self.password),
            }),
        })
    }
}

/// Timeout, attempts, size limit, HTTP client, observer and replay source, as for every
/// vendor client (usage-http). In replay the access token is `"[REDACTED]"`, not a JWT, so it
/// is given the fallback lifetime of 60 s; a `Token/Renew` answered with a failure falls back
/// to `Token/Get`, as over HTTP.
impl TransportSettings for EsetClientBuilder {
    fn transport_mut(&mut self) -> &mut TransportBuilder {
        &mut self.transport
    }
}
