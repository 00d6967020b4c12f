//! The client, its builder and the public calls.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use secrecy::{ExposeSecret, SecretString};
use usage_http::{Pacer, Secrets, SetupError, Transport, TransportBuilder, TransportSettings};
use usage_models::bitdefender::{
    CompaniesListFilters, CompanyDetails, CompanyFolderEntry, CompanyListEntry,
    GetCompaniesListParams, GetCompanyDetailsParams, GetCompanyFoldersListParams,
    GetLicenseInfoParams, GetMonthlyUsageParams, GetMonthlyUsagePerProductTypeParams,
    GetMonthlyUsagePerProductTypeResult, LicenseInfo,
};

use crate::decode::MonthlyUsageOutcome;
use crate::rpc::{Method, RateClass, Service};
use crate::{GravityZoneError, TargetMonth};

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

/// What the clones of a client share.
pub(crate) struct Inner {
    pub(crate) transport: Transport,
    pub(crate) api_key: SecretString,
    pub(crate) base_url: String,
    licensing_url: String,
    network_url: String,
    companies_url: String,
    pub(crate) next_id: AtomicU64,
    /// 5 requests/s: the licensing methods and `getCompanyDetails`.
    licensing: Pacer,
    /// 10 requests/s: every other method.
    default: Pacer,
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

    /// The documented per-key budget `method` counts against. The pacers allow no burst: a
    /// burst of 5 on top of 5/s would put 9 requests into the first second, and the vendor's
    /// "queue of 5" is on its side, not an allowance.
    pub(crate) fn pacer(&self, method: Method) -> &Pacer {
        match method.rate_class() {
            RateClass::Licensing => &self.licensing,
            RateClass::Default => &self.default,
        }
    }
}

impl fmt::Debug for GravityZoneClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GravityZoneClient")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &"[REDACTED]")
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl GravityZoneClient {
    /// The Access URL of GravityZone Cloud (`GRAVITYZONE_API_URL`'s default). Other instances
    /// show theirs in Control Center (My Account > Control Center API).
    pub const DEFAULT_BASE_URL: &'static str = "https://cloud.gravityzone.bitdefender.com/api";

    /// A builder for a client using `api_key` (`GRAVITYZONE_API_KEY`).
    pub fn builder(api_key: SecretString) -> GravityZoneClientBuilder {
        GravityZoneClientBuilder {
            api_key,
            transport: TransportBuilder::with_base_url(Self::DEFAULT_BASE_URL),
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

    /// `network.getCompaniesList` with `filters.companyType` 0: the direct children of `parent_id`
    /// that are partners (companies that can have companies below them).
    pub async fn partner_children(
        &self,
        parent_id: Option<&str>,
    ) -> Result<Vec<CompanyListEntry>, GravityZoneError> {
        let parent = checked_company(parent_id)?;
        let params = GetCompaniesListParams {
            filters: Some(CompaniesListFilters {
                company_type: Some(0),
                license_type: None,
            }),
            parent_id: parent.map(str::to_owned),
        };
        let reply = self.call(Method::CompaniesList, parent, &params).await?;
        self.decode_result(&reply)
    }

    /// `network.getCompanyFoldersList`: the company folders directly inside `parent_id` (a
    /// company or a folder; the key's company when `None`). A folder is a container, never a
    /// company: the companies in it have the company above the folder as their parent.
    pub async fn company_folders(
        &self,
        parent_id: Option<&str>,
    ) -> Result<Vec<CompanyFolderEntry>, GravityZoneError> {
        let parent = checked_company(parent_id)?;
        let params = GetCompanyFoldersListParams {
            parent_id: parent.map(str::to_owned),
        };
        let reply = self
            .call(Method::CompanyFoldersList, parent, &params)
            .await?;
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

/// The Access URL (`/v1.0/jsonrpc/{service}` is appended), timeout, attempts, size limit, HTTP client, observer and replay source, as for every
/// vendor client (usage-http).
impl TransportSettings for GravityZoneClientBuilder {
    fn transport_mut(&mut self) -> &mut TransportBuilder {
        &mut self.transport
    }
}

/// Builds a [`GravityZoneClient`]; see [`GravityZoneClient::builder`].
pub struct GravityZoneClientBuilder {
    api_key: SecretString,
    transport: TransportBuilder,
}

impl fmt::Debug for GravityZoneClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GravityZoneClientBuilder")
            .field("api_key", &"[REDACTED]")
            .field("transport", &self.transport)
            .finish()
    }
}

impl GravityZoneClientBuilder {
    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<GravityZoneClient, GravityZoneError> {
        check_key(&self.api_key)?;
        let secrets = Secrets::new();
        secrets.add(&self.api_key);
        let transport = self
            .transport
            .build("GravityZone", secrets)
            .map_err(|e| match e {
                SetupError::BaseUrl { url, why } => GravityZoneError::InvalidInput {
                    reason: format!(
                        "GRAVITYZONE_API_URL `{url}` {why}; use the Access URL shown in \
                         Control Center (it ends in /api), e.g. {}",
                        GravityZoneClient::DEFAULT_BASE_URL
                    ),
                },
                other => GravityZoneError::Setup {
                    detail: other.to_string(),
                },
            })?;
        let base_url = transport.base_url().to_owned();
        let url = |service: Service| format!("{base_url}/v1.0/jsonrpc/{}", service.path());
        let inner = Inner {
            transport,
            licensing_url: url(Service::Licensing),
            network_url: url(Service::Network),
            companies_url: url(Service::Companies),
            base_url,
            api_key: self.api_key,
            next_id: AtomicU64::new(1),
            licensing: Pacer::per_second(FIVE),
            default: Pacer::per_second(TEN),
        };
        Ok(GravityZoneClient {
            inner: Arc::new(inner),
        })
    }
}

const FIVE: NonZeroU32 = NonZeroU32::new(5).expect("5 is not zero");
const TEN: NonZeroU32 = NonZeroU32::new(10).expect("10 is not zero");

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
