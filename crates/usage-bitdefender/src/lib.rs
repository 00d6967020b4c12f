//! Async client of the Bitdefender GravityZone JSON-RPC API, as much of it as an MSP needs to
//! bill its customers: the monthly license usage of every company under an API key.
//!
//! - [`GravityZoneClient`] calls `licensing.getMonthlyUsage`,
//!   `licensing.getMonthlyUsagePerProductType`, `licensing.getLicenseInfo`,
//!   `network.getCompaniesList` and `companies.getCompanyDetails`, and walks the whole company
//!   tree ([`GravityZoneClient::company_tree`]).
//! - Requests go through `usage-http`, the transport shared with the ESET client: paced below the
//!   documented per-key limits (5/s for licensing and `getCompanyDetails`, 10/s otherwise), and
//!   retried with jittered exponential backoff on 429 (honouring `Retry-After` up to 120 s; a
//!   longer one fails the call at once), 5xx, timeouts, connection errors, cut-off bodies and
//!   answers carrying another request's `id`. Bad requests (JSON-RPC -32600, -32601, -32602)
//!   and refused credentials (HTTP 401, 403, 405) are not; answers over 64 MiB are refused
//!   unread.
//! - Failures are one [`GravityZoneError`], which keeps the call, the HTTP status, the JSON-RPC
//!   code, message and `data.details`, and for bodies that do not decode the JSON path. The API
//!   key appears in no error, log line or `Debug` output.
//! - Record and replay ([`exchange`]): an [`ExchangeObserver`] set with
//!   [`TransportSettings::observer`] sees every attempt's request and raw answer; an
//!   [`ExchangeSource`] set with [`TransportSettings::replay`] answers instead of the network, so
//!   a recorded run can be repeated offline.
//!
//! Payloads are the generated types of [`usage_models::bitdefender`] (re-exported as
//! [`models`]); the JSON-RPC envelope is written by hand here.
//!
//! ```no_run
//! # async fn demo() -> Result<(), usage_bitdefender::GravityZoneError> {
//! use futures::StreamExt;
//! use usage_bitdefender::{GravityZoneClient, MonthlyUsageOutcome, TargetMonth};
//!
//! let key = secrecy::SecretString::from(std::env::var("GRAVITYZONE_API_KEY").unwrap_or_default());
//! let client = GravityZoneClient::builder(key).build()?;
//! let month = TargetMonth::new(2026, 3)?;
//! let tree = client.company_tree();
//! futures::pin_mut!(tree);
//! while let Some(company) = tree.next().await {
//!     let company = company?;
//!     match client.monthly_usage(Some(&company.id), month).await? {
//!         MonthlyUsageOutcome::Usage(usage) => println!("{}: {:?}", company.id, usage.endpoint_monthly_usage),
//!         MonthlyUsageOutcome::NoMonthlyLicense => println!("{}: no monthly license", company.id),
//!     }
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod call;
mod client;
mod decode;
mod error;
mod month;
mod rpc;
mod tree;

pub use client::{GravityZoneClient, GravityZoneClientBuilder};
pub use decode::MonthlyUsageOutcome;
pub use error::GravityZoneError;
pub use usage_http::{
    Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource, TransportSettings,
};
/// Record/replay hooks (usage-http's exchange types).
pub mod exchange {
    pub use usage_http::{Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource};
}
pub use month::TargetMonth;
pub use tree::GzCompany;
/// The generated GravityZone payload types this client returns.
pub use usage_models::bitdefender as models;
