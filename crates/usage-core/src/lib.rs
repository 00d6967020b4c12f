//! usage-core: one normalized, lossless usage record for ESET and GravityZone.
//!
//! Pure code (no HTTP, no async): the transports hand over the vendors' parsed payloads
//! (`usage_models`), and this crate turns them into [`UsageRecord`]s following SPEC section 2:
//!
//! - [`normalize_eset_company`]: one company of an ESET usage report page;
//! - [`normalize_gz_monthly`] and [`normalize_gz_per_product_type`]: one GravityZone company's
//!   `getMonthlyUsage` / `getMonthlyUsagePerProductType` result;
//! - [`product_key`]: the GravityZone counter name -> product key rule;
//! - [`sort_records`]: the deterministic output order;
//! - [`billing`]: totals that never count a GravityZone child twice, and ESET average seats;
//! - [`Month`] and [`Period`]: the `YYYY-MM` a user asks for and the days it covers.
//!
//! Numbers are never invented: a missing vendor value is an error ([`CoreError`]) for that
//! company, never a 0, and every counter the vendor returned becomes a record, zeros included.
#![deny(missing_docs)]

pub mod billing;
mod counters;
mod error;
mod eset;
mod gravityzone;
mod merge;
mod order;
mod period;
mod record;

pub use counters::product_key;
pub use error::CoreError;
pub use eset::{EsetReportKind, normalize_eset_company};
pub use gravityzone::{
    CompanyRef, GZ_MONTHLY_SOURCE, GZ_PER_PRODUCT_TYPE_SOURCE, GzMonthly, normalize_gz_monthly,
    normalize_gz_per_product_type, product_type_name,
};
pub use merge::{RowConflict, merge_repeated};
pub use order::{record_order, sort_records};
pub use period::{Month, MonthStanding, Period};
pub use record::{CompanyRole, LicenseType, Metric, Unit, UsageRecord, Vendor, record_json_schema};
