//! Async client of the ESET MSP Administrator 2 REST API, for usage (billing) reports.
//!
//! [`EsetClient`] logs in with `Token/Get`, reads the access token's expiry from its JWT `exp`
//! claim, renews it with `Token/Renew` shortly before it expires, and logs in afresh when the
//! 30-minute session ends or the server refuses the token (once per call). It walks the
//! company tree ([`EsetClient::company_tree`]) and fetches the eight usage reports
//! ([`ReportScope`] x [`ReportKind`]) with complete paging, as a stream of pages
//! ([`EsetClient::usage_report_pages`]).
//!
//! Every request is rate limited (governor, default 10 per second, on tokio's clock), has a
//! timeout, and is retried with exponential backoff and jitter (backon) on 429 (honouring
//! `Retry-After`), 500, 502, 503 (including ESET's maintenance answer, code 99 subCode 2),
//! 504, timeouts, connection errors and cut-off bodies; 400, 403 and 404 are never retried.
//! All failures are one error type, [`EsetError`]. The password and the tokens are kept in
//! [`secrecy::SecretString`] and never appear in errors, logs or `Debug` output.
//!
//! For `msp-usage collect --record` / `--replay`, the [`exchange`] hooks hand every request
//! and its answer to an [`ExchangeObserver`] (with the password and tokens redacted), or take
//! the answers from an [`ExchangeSource`] instead of the network
//! ([`EsetClientBuilder::observer`], [`EsetClientBuilder::replay`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), usage_eset::EsetError> {
//! use usage_eset::{DateRange, EsetClient, ReportKind, ReportScope, UsageReportRequest};
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
mod clock;
mod company;
mod error;
pub mod exchange;
mod jwt;
mod paging;
mod report;
mod transport;

pub use client::{EsetClient, EsetClientBuilder};
pub use company::EsetCompany;
pub use error::EsetError;
pub use exchange::{Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource};
pub use report::{DateRange, ReportKind, ReportScope, UsageReportPage, UsageReportRequest};
pub use usage_models::eset::{UsageCompany, UsageReportResponse, UserCurrentResponse};
