//! An embedded loopback emulator of the ESET MSP Administrator 2 REST API and the Bitdefender
//! GravityZone JSON-RPC API, serving a deterministic, seeded MSP dataset.
//!
//! It is what `msp-usage collect --sandbox` and `msp-usage sandbox` run on, what the end-to-end
//! tests and benchmarks talk to, and a way to try an integration without a vendor account. It
//! serves the shapes documented in the workspace's vendor references, so a client written from
//! the same documentation works against it unchanged.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use usage_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default().with_seed(7)).await?;
//! for (name, value) in sandbox.env_exports() {
//!     println!("export {name}={value}");
//! }
//! println!("{:?}", sandbox.request_counts());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What is served
//!
//! - ESET under `/api`: `Token/Get`, `Token/Renew`, `Token/Check`, `User/Current`,
//!   `Company/Children`, `Company/Descendants` and the eight `UsageReport/{AllCompanies,
//!   SelectedCompanies, Monthly, Daily}/{categories, products}` calls. Access tokens are
//!   JWT-shaped and their `exp` is enforced (401 once expired). Errors are
//!   `{"code": 99, "subCode": n, "message": "..."}` (sub-codes in [`eset_error_codes`]).
//! - GravityZone under `/api/v1.0/jsonrpc/{service}` (a trailing slash accepted):
//!   `licensing.getMonthlyUsage`, `licensing.getMonthlyUsagePerProductType`,
//!   `licensing.getLicenseInfo`, `network.getCompaniesList`, `network.getCompanyFoldersList` and
//!   `companies.getCompanyDetails`,
//!   with HTTP Basic (the API key as user name, an empty password).
//!
//! The dataset is described on [`Dataset`]; the knobs on [`SandboxConfig`]. The trees have 150
//! ESET and 60 GravityZone companies by default; [`SandboxConfig::eset_companies`] and
//! [`SandboxConfig::gz_companies`] make them larger (or smaller) in the same shape, to try a
//! large MSP.
//!
//! # Drift
//!
//! With [`SandboxConfig::drift`] on (off by default) the sandbox behaves like a vendor whose
//! payloads moved away from the documentation, to test and show `msp-usage drift`. Exactly these
//! answers change; everything else stays byte for byte the same, and no existing value changes:
//!
//! 1. ESET `UsageReport/*` (all eight endpoints): `companies[*].resellerId` (a GUID-shaped string,
//!    [`Dataset::drift_reseller_id`]) and `companies[*].categories[*].billingGroup` /
//!    `companies[*].products[*].billingGroup` (`"standard"`) are added.
//! 2. ESET `User/Current`: `mfaMethod` (`"authenticator"`) is added at the top level.
//! 3. GravityZone `licensing.getMonthlyUsage`, object answers only (not the `0` answer):
//!    `result.aiSecurityMonthlyUsage` (a small integer) is added.
//! 4. The one changed type: `licensing.getMonthlyUsage` of
//!    [`Dataset::drift_type_change_company`] answers `result.sveVdiMonthlyUsage` as a JSON
//!    string (`"12.5"`) instead of a number.
//!
//! The key names are constants in [`drift`].
//!
//! # Demo credentials
//!
//! ESET user `api@sandbox.example` with password `sandbox-password`; GravityZone API key
//! `sandbox-gravityzone-api-key` ([`Credentials::demo`]). Both vendors share one base URL,
//! `http://127.0.0.1:PORT/api` ([`Sandbox::env_exports`] gives the five configuration variables).
//!
//! ```text
//! curl -s -X POST "$ESET_MSP_API_URL/Token/Get" -H 'Content-Type: application/json' \
//!      -d '{"username":"api@sandbox.example","password":"sandbox-password"}'
//! curl -s -u "$GRAVITYZONE_API_KEY:" -H 'Content-Type: application/json' \
//!      -d '{"id":1,"jsonrpc":"2.0","method":"getCompaniesList","params":{}}' \
//!      "$GRAVITYZONE_API_URL/v1.0/jsonrpc/network"
//! ```

#![deny(missing_docs)]

mod config;
mod credentials;
mod dataset;
pub mod drift;
mod eset_api;
mod eset_companies;
mod eset_data;
mod eset_report;
mod eset_tree;
mod faults;
mod gz_api;
mod gz_data;
mod gz_tree;
mod index;
mod mix;
mod names;
mod ratelimit;
mod reply;
mod server;
mod shape;
mod tokens;

pub use config::{FaultKind, ParseFaultKindError, SandboxConfig};
pub use credentials::Credentials;
pub use dataset::Dataset;
pub use eset_data::{ESET_CATEGORIES, ESET_PRODUCTS, EsetCategory, EsetProduct};
pub use eset_tree::{ESET_TYPE_CUSTOMER, ESET_TYPE_MANAGED_MSP, ESET_TYPE_MSP, EsetCompany};
pub use gz_data::{GZ_COUNTERS, GZ_PHASR_COUNTER, GZ_PRODUCT_TYPES, GZ_VDI_COUNTER};
pub use gz_tree::{GzCompany, GzFolder};
pub use server::Sandbox;
pub use shape::SizeError;

/// The `subCode`s of the sandbox's ESET error bodies (all with `code` 99).
pub mod eset_error_codes {
    /// 403: unknown route ("page not found"), as documented by ESET.
    pub const NOT_FOUND: i64 = 1;
    /// 503: API maintenance, as documented by ESET.
    pub const MAINTENANCE: i64 = 2;
    /// 401: missing, invalid or expired token, or wrong credentials.
    pub const UNAUTHORIZED: i64 = 3;
    /// 400: invalid request (body, dates, paging, filters).
    pub const BAD_REQUEST: i64 = 4;
    /// 500: internal error (injected faults and the failing company).
    pub const INTERNAL: i64 = 5;
    /// 429: too many requests (injected faults only).
    pub const TOO_MANY_REQUESTS: i64 = 6;
    /// 405: wrong HTTP method for a known route.
    pub const METHOD_NOT_ALLOWED: i64 = 7;
}
