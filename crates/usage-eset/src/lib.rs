//! Async client of the ESET MSP Administrator 2 REST API, for usage (billing) reports.
//!
//! [`EsetClient`] logs in with `Token/Get`, reads the access token's expiry from its JWT `exp`
//! claim, renews it with `Token/Renew` shortly before it expires, and logs in afresh when the
//! 30-minute session ends or the server refuses the token (once per call). It walks the
//! company tree ([`EsetClient::company_tree`]) and fetches the eight usage reports
//! ([`ReportScope`] x [`ReportKind`]) with complete paging, as a stream of pages
//! ([`EsetClient::usage_report_pages`]).
//!
//! This crate speaks ESET's protocol; the transport is `usage-http`, shared with the GravityZone
//! client: every request is paced (default 10 per second, on tokio's clock), has a timeout, and
//! is retried with jittered exponential backoff on 429, 500, 502, 503 (including ESET's
//! maintenance answer, code 99 subCode 2), 504, timeouts, connection errors and cut-off bodies,
//! honouring `Retry-After` up to 120 s (a longer one fails the call at once); 400, 403 and 404
//! are never retried, and answers over 64 MiB are refused unread. All failures are one error
//! type, [`EsetError`]. The password and the tokens are kept in [`secrecy::SecretString`] and
//! are scrubbed from every body, error, log line and `Debug` output, even when a server echoes
//! them back.
//!
//! The transport settings of [`EsetClientBuilder`] (timeout, attempts, size limit, base URL,
//! an observer for `msp-usage collect --record`, a source for `--replay`) come from
//! [`TransportSettings`]; the [`exchange`] types are usage-http's.
//!
//! ```no_run
//! # async fn run() -> Result<(), usage_eset::EsetError> {
//! use usage_eset::{
//!     DateRange, EsetClient, ReportKind, ReportScope, TransportSettings as _, UsageReportRequest,
//! };
//!
//! let client = EsetClient::builder("api@example.com", "secret".into()).build()?;
//! let request = UsageReportRequest::new(
//!     ReportScope::AllCompanies,
//!     ReportKind::Categories,
//!     DateRange::month(2025, 5)?,
//! );
//! for company in client.usage_report(request).await? {
//!     println!("{} {:?}", company.company_id, company.total_usage);
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod auth;
mod client;
mod company;
mod error;
mod jwt;
mod page;
mod pages;
mod paging;
mod report;
mod transport;

pub use client::{EsetClient, EsetClientBuilder};
pub use company::EsetCompany;
pub use error::EsetError;
pub use usage_http::{
    Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource, TransportSettings,
};
/// Record/replay hooks (usage-http's exchange types).
pub mod exchange {
    pub use usage_http::{Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource};
}
pub use page::{RejectedCompany, UsageReportPage};
pub use report::{DateRange, ReportKind, ReportScope, UsageReportRequest};
pub use usage_models::eset::{UsageCompany, UsageReportResponse, UserCurrentResponse};
