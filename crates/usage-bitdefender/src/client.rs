//! The client, its builder and the public calls.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use usage_models::bitdefender::{
    CompanyDetails, CompanyListEntry, GetCompaniesListParams, GetCompanyDetailsParams,
    GetLicenseInfoParams, GetMonthlyUsageParams, GetMonthlyUsagePerProductTypeParams,
    GetMonthlyUsagePerProductTypeResult, LicenseInfo,
};

use crate::decode::MonthlyUsageOutcome;
use crate::exchange::{ExchangeObserver, ExchangeSource};
use crate::rate_limit::Limiters;
use crate::redact::Redactor;
use crate::rpc::{Method, Service};
use crate::{GravityZoneError, TargetMonth};

/// `User-Agent` of every request.
const USER_AGENT: &str = concat!("msp-usage/", env!("CARGO_PKG_VERSION"));

/// An async client of the GravityZone JSON-RPC API (Licensing, Network and Companies services)
/// for one API key.
///
/// Every request is `POST {access URL}/v1.0/jsonrpc/{service}` with HTTP Basic authentication
/// (the key as user name, an empty password), paced by the documented per-key rate limits and
/// retried on 429, 5xx, timeouts, connection errors and cut-off bodies.
///
/// Cheap to clone; clones share the HTTP connections, the request-id counter and the rate
/// limiters, so build one client per API key and clone it. Clones also share the
/// [observer](GravityZoneClientBuilder::observer) and the [replay
/// source](GravityZoneClientBuilder::replay), if the builder was given one.
#[derive(Clone)]
pub struct GravityZoneClient {
    pub(crate) inner: Arc<Inner>,
}

/// Where requests go: the network, or (replay) an [`ExchangeSource`] that answers instead.
pub(crate) enum Wire {
    /// Real HTTP.
    Http(reqwest::Client),
    /// Recorded answers; no socket is ever opened.
    Replay(Arc<dyn ExchangeSource>),
}

impl Wire {
    /// Whether answers come from a source (no pacing, no waiting between attempts).
    pub(crate) fn is_replay(&self) -> bool {
        matches!(self, Self::Replay(_))
    }
}

/// What the clones of a client share.
pub(crate) struct Inner {
    pub(crate) wire: Wire,
    pub(crate) observer: Option<Arc<dyn ExchangeObserver>>,
    pub(crate) api_key: SecretString,
    pub(crate) redactor: Redactor,
    pub(crate) base_url: String,
    licensing_url: String,
    network_url: String,
    companies_url: String,
    pub(crate) timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) next_id: AtomicU64,
    pub(crate) limiters: Limiters,
}

impl Inner {
    /// The endpoint of a service.
    pub(crate) fn url(&self, service: Service) -> &str {
        match service {
            Service::Licensing => &self.licensing_url,
            Service::Network => &self.network_url,
            Service::Companies => &self.companies_url,
        }
    }
}

impl fmt::Debug for GravityZoneClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GravityZoneClient")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &"[REDACTED]")
            .field("timeout", &self.inner.timeout)
            .field("max_attempts", &self.inner.max_attempts)
            .field("observed", &self.inner.observer.is_some())
            .field("replay", &self.inner.wire.is_replay())
            .finish_non_exhaustive()
    }
}

impl GravityZoneClient {
    /// The Access URL of GravityZone Cloud (`GRAVITYZONE_API_URL`'s default). Other instances
    /// show theirs in Control Center (My Account > Control Center API).
    pub const DEFAULT_BASE_URL: &'static str = "https://cloud.gravityzone.bitdefender.com/api";

    /// The default per-request timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// The default number of attempts per call (the first one included).
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

    /// A builder for a client using `api_key` (`GRAVITYZONE_API_KEY`).
    pub fn builder(api_key: SecretString) -> GravityZoneClientBuilder {
        GravityZoneClientBuilder {
            api_key,
            base_url: Self::DEFAULT_BASE_URL.to_string(),
            timeout: Self::DEFAULT_TIMEOUT,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            observer: None,
            source: None,
        }
    }

    /// The Access URL the client talks to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// `licensing.getMonthlyUsage`: the Endpoint Security usage counters of one company in one
    /// month, or [`MonthlyUsageOutcome::NoMonthlyLicense`] when the vendor answers `0`.
    /// `company_id` `None` asks about the API key's own company.
    pub async fn monthly_usage(
        &self,
        company_id: Option<&str>,
        month: TargetMonth,
    ) -> Result<MonthlyUsageOutcome, GravityZoneError> {
        let company = checked_company(company_id)?;
        let params = GetMonthlyUsageParams {
            company_id: company.map(str::to_owned),
            target_month: Some(month.to_string()),
            ..GetMonthlyUsageParams::default()
        };
        let reply = self.call(Method::MonthlyUsage, company, &params).await?;
        self.decode_monthly_usage(&reply)
    }

    /// `licensing.getMonthlyUsagePerProductType`: the month's counters of one company, one entry
    /// per product type.
    pub async fn monthly_usage_per_product_type(
        &self,
        company_id: Option<&str>,
        month: TargetMonth,
    ) -> Result<GetMonthlyUsagePerProductTypeResult, GravityZoneError> {
        let company = checked_company(company_id)?;
        let params = GetMonthlyUsagePerProductTypeParams {
            company_id: company.map(str::to_owned),
            target_month: Some(month.to_string()),
        };
        let reply = self
            .call(Method::MonthlyUsagePerProductType, company, &params)
            .await?;
        self.decode_result(&reply)
    }

    /// `licensing.getLicenseInfo`: the license of one company. The vendor answers an object or
    /// (as documented) an array; a one-element array is accepted, an empty or longer one is an
    /// error.
    pub async fn license_info(
        &self,
        company_id: Option<&str>,
    ) -> Result<LicenseInfo, GravityZoneError> {
        let company = checked_company(company_id)?;
        let params = GetLicenseInfoParams {
            company_id: company.map(str::to_owned),
            return_all_products: None,
        };
        let reply = self.call(Method::LicenseInfo, company, &params).await?;
        self.decode_license_info(&reply)
    }

    /// `network.getCompaniesList`: the direct children of `parent_id` (of the key's company when
    /// `None`); one level, no paging. For a customer company the vendor answers error -32602
    /// ("Invalid value for 'parentId'"), returned here as [`GravityZoneError::Rpc`].
    pub async fn companies_list(
        &self,
        parent_id: Option<&str>,
    ) -> Result<Vec<CompanyListEntry>, GravityZoneError> {
        let parent = checked_company(parent_id)?;
        let params = GetCompaniesListParams {
            filters: None,
            parent_id: parent.map(str::to_owned),
        };
        let reply = self.call(Method::CompaniesList, parent, &params).await?;
        self.decode_result(&reply)
    }

    /// `companies.getCompanyDetails`: one company (the key's own when `None`).
    pub async fn company_details(
        &self,
        company_id: Option<&str>,
    ) -> Result<CompanyDetails, GravityZoneError> {
        let company = checked_company(company_id)?;
        let params = GetCompanyDetailsParams {
            company_id: company.map(str::to_owned),
        };
        let reply = self.call(Method::CompanyDetails, company, &params).await?;
        self.decode_result(&reply)
    }
}

/// A company id must not be blank: the vendor would take it for a bad parameter.
fn checked_company(id: Option<&str>) -> Result<Option<&str>, GravityZoneError> {
    match id {
        Some(id) if id.trim().is_empty() => Err(GravityZoneError::InvalidInput {
            reason: "a company id is empty".to_string(),
        }),
        other => Ok(other),
    }
}

/// Builds a [`GravityZoneClient`]; see [`GravityZoneClient::builder`].
pub struct GravityZoneClientBuilder {
    api_key: SecretString,
    base_url: String,
    timeout: Duration,
    max_attempts: u32,
    observer: Option<Arc<dyn ExchangeObserver>>,
    source: Option<Arc<dyn ExchangeSource>>,
}

impl fmt::Debug for GravityZoneClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GravityZoneClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("observed", &self.observer.is_some())
            .field("replay", &self.source.is_some())
            .finish()
    }
}

impl GravityZoneClientBuilder {
    /// The Access URL, e.g. `https://cloudgz.gravityzone.bitdefender.com/api` or a loopback
    /// `http://127.0.0.1:8080/api`; `/v1.0/jsonrpc/{service}` is appended. Plain `http://` is
    /// refused unless the host is a loopback address.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The timeout of one request, from sending it to reading the whole answer (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Attempts per call, the first one included (default 5); 1 turns retries off.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Hands every exchange (every attempt, retries included, in the order the answers arrive)
    /// to `observer`, e.g. to record a run (`msp-usage collect --record`). The API key is in no
    /// exchange. Works in replay mode too: the observer then sees the replayed exchanges.
    pub fn observer(mut self, observer: Arc<dyn ExchangeObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Replay: every request is answered by `source` instead of the network, and the client
    /// opens no socket (no HTTP client is even built). Replayed answers go through the same
    /// handling as real ones (retries, decoding, errors), but without pacing or waiting between
    /// attempts, so a replay runs as fast as the source answers.
    pub fn replay(mut self, source: Arc<dyn ExchangeSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<GravityZoneClient, GravityZoneError> {
        check_key(&self.api_key)?;
        let base_url = checked_base_url(&self.base_url)?;
        if self.timeout.is_zero() {
            return Err(GravityZoneError::InvalidInput {
                reason: "the request timeout must be longer than zero".to_string(),
            });
        }
        if self.max_attempts == 0 {
            return Err(GravityZoneError::InvalidInput {
                reason: "the number of attempts must be at least 1".to_string(),
            });
        }
        let wire = match self.source {
            Some(source) => Wire::Replay(source),
            None => Wire::Http(
                reqwest::Client::builder()
                    .user_agent(USER_AGENT)
                    .timeout(self.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|source| GravityZoneError::Setup {
                        detail: crate::error::chain(&source),
                        source,
                    })?,
            ),
        };
        let redactor = Redactor::new(self.api_key.expose_secret());
        let inner = Inner {
            wire,
            observer: self.observer,
            licensing_url: format!("{base_url}/v1.0/jsonrpc/{}", Service::Licensing.path()),
            network_url: format!("{base_url}/v1.0/jsonrpc/{}", Service::Network.path()),
            companies_url: format!("{base_url}/v1.0/jsonrpc/{}", Service::Companies.path()),
            base_url,
            api_key: self.api_key,
            redactor,
            timeout: self.timeout,
            max_attempts: self.max_attempts,
            next_id: AtomicU64::new(1),
            limiters: Limiters::new(),
        };
        Ok(GravityZoneClient {
            inner: Arc::new(inner),
        })
    }
}

/// The key must be something an HTTP header can carry; the message never shows it.
fn check_key(key: &SecretString) -> Result<(), GravityZoneError> {
    let key = key.expose_secret();
    if key.is_empty() {
        return Err(GravityZoneError::InvalidInput {
            reason: "the API key is empty; set GRAVITYZONE_API_KEY".to_string(),
        });
    }
    if !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(GravityZoneError::InvalidInput {
            reason: "the API key contains spaces, control or non-ASCII characters; check \
                     GRAVITYZONE_API_KEY"
                .to_string(),
        });
    }
    Ok(())
}

/// The Access URL without a trailing slash, after checking that it is an `https://` URL (or
/// `http://` to a loopback host) with no credentials, query or fragment.
fn checked_base_url(raw: &str) -> Result<String, GravityZoneError> {
    let invalid = |why: &str| GravityZoneError::InvalidInput {
        reason: format!("GRAVITYZONE_API_URL {why}"),
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| {
        invalid(&format!(
            "is not a URL ({e}); use the Access URL shown in Control Center, e.g. {}",
            GravityZoneClient::DEFAULT_BASE_URL
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(&format!(
            "`{url}` must not have a query or fragment"
        )));
    }
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(invalid(&format!(
                "`{url}` uses plain http:// to a host that is not a loopback address; use https://"
            )));
        }
        other => {
            return Err(invalid(&format!(
                "`{url}` has scheme `{other}`; use https://"
            )));
        }
    }
    if host.is_empty() {
        return Err(invalid(&format!("`{url}` has no host")));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// `localhost`, `127.x.x.x` or `[::1]`.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            checked_base_url("https://cloud.gravityzone.bitdefender.com/api/").ok(),
            Some("https://cloud.gravityzone.bitdefender.com/api".to_string())
        );
        assert!(checked_base_url("http://127.0.0.1:8080/api").is_ok());
        assert!(checked_base_url("http://localhost:8080/api").is_ok());
        assert!(checked_base_url("http://[::1]:8080/api").is_ok());
        assert!(checked_base_url("http://example.com/api").is_err());
        assert!(checked_base_url("ftp://example.com/api").is_err());
        assert!(checked_base_url("https://u:p@example.com/api").is_err());
        assert!(checked_base_url("https://example.com/api?x=1").is_err());
        assert!(checked_base_url("not a url").is_err());
    }

    #[test]
    fn credentials_in_url_are_not_echoed() {
        let err = checked_base_url("https://user:hunter2@example.com/api")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
