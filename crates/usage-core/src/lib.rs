//! usage-core: one normalized, lossless usage record for ESET and GravityZone.
#![deny(missing_docs)]

mod record;

pub use record::{LicenseType, Metric, Unit, UsageRecord, Vendor, record_json_schema};
