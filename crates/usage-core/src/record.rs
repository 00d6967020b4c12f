//! The normalized usage record of SPEC section 2: one company, one period, one product, one metric.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The vendor a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// ESET MSP Administrator 2.
    Eset,
    /// Bitdefender GravityZone.
    Bitdefender,
}

/// What a record's quantity measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// ESET `seatDays`: days of use summed over all devices in the period.
    SeatDays,
    /// ESET `seats`: ordered units on the last day of the period (0 when suspended).
    Seats,
    /// A GravityZone monthly usage counter.
    MonthlyUsage,
    /// A GravityZone contractual monthly minimum (`minimumUsage`).
    MinimumUsage,
}

/// What one unit of a record's quantity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// One seat used for one day (ESET seat-days).
    SeatDay,
    /// One ordered seat (ESET seats).
    Seat,
    /// One protected endpoint.
    Endpoint,
    /// One protected mailbox.
    Mailbox,
    /// One mobile device.
    Device,
    /// One virtual server.
    Server,
    /// One hour of virtual-desktop scanning.
    Hour,
    /// One sensor.
    Sensor,
    /// A counter nobody has documented yet: the unit is unknown.
    Unit,
}

/// ESET license type of a row (`licenseType` 1 full, 4 trial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LicenseType {
    /// `licenseType` 1.
    Full,
    /// `licenseType` 4.
    Trial,
}

/// One measured quantity: one company, one period, one product, one metric.
///
/// Field order is the CSV column order of the contract; records sort by
/// (vendor, company_id, product_type, product, metric).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "UsageRecord")]
pub struct UsageRecord {
    /// The vendor the quantity comes from.
    pub vendor: Vendor,
    /// The vendor's company id, as the vendor spells it.
    pub company_id: String,
    /// The company's name, when known.
    pub company_name: Option<String>,
    /// The company directly above in the vendor's tree, when known.
    pub parent_company_id: Option<String>,
    /// First day covered, inclusive (`YYYY-MM-DD`).
    pub period_start: NaiveDate,
    /// Last day covered, inclusive (`YYYY-MM-DD`).
    pub period_end: NaiveDate,
    /// Stable product key: ESET category or product code; GravityZone counter key in snake_case.
    pub product: String,
    /// The vendor's product name, or the built-in name of a known key.
    pub product_name: Option<String>,
    /// GravityZone product type of a per-product-type entry (`endpoint_security`, `edr`, `phasr`,
    /// else the number); null elsewhere.
    pub product_type: Option<String>,
    /// ESET license type; null when absent and for GravityZone.
    pub license_type: Option<LicenseType>,
    /// What the quantity measures.
    pub metric: Metric,
    /// What one unit of the quantity counts.
    pub unit: Unit,
    /// The quantity: a whole number for every unit but `hour`.
    pub quantity: serde_json::Number,
    /// The call that produced the record, e.g. `eset:UsageReport/AllCompanies/categories`.
    pub source: String,
}

/// The JSON Schema of one record (what `schemas/usage-record.json` holds).
pub fn record_json_schema() -> schemars::Schema {
    schemars::schema_for!(UsageRecord)
}
