//! The normalized usage record of SPEC section 2: one company, one period, one product, one metric.

use std::sync::Arc;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The vendor a record comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// ESET MSP Administrator 2.
    Eset,
    /// Bitdefender GravityZone.
    Bitdefender,
}

/// What a record's quantity measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
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

/// Where a company sits in the vendor's tree (SPEC section 2), so that a total never counts a
/// reseller's roll-up and its customers twice.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CompanyRole {
    /// The API user's (ESET) or API key's (GravityZone) own company: the root of the tree.
    Msp,
    /// Any other company that has, or by its type can have, companies below it (a GravityZone
    /// partner, an ESET company of type 1001-1006).
    Reseller,
    /// Every other company.
    Customer,
}

impl CompanyRole {
    /// The role of an ESET company: `Msp` for the API user's own company, `Reseller` for the
    /// entity types that can have companies below them (1001-1006: distributor, reseller, MSP,
    /// managed MSP, ...), `Customer` for every other type (1007 included) and for a company
    /// whose type is unknown.
    pub fn of_eset(is_root: bool, entity_type: Option<i64>) -> Self {
        if is_root {
            CompanyRole::Msp
        } else if entity_type.is_some_and(|t| (1001..=1006).contains(&t)) {
            CompanyRole::Reseller
        } else {
            CompanyRole::Customer
        }
    }

    /// The role of a GravityZone company: `Msp` for the API key's own company, `Reseller` for a
    /// partner company, else `Customer`.
    pub fn of_gravityzone(is_root: bool, partner: bool) -> Self {
        match (is_root, partner) {
            (true, _) => CompanyRole::Msp,
            (false, true) => CompanyRole::Reseller,
            (false, false) => CompanyRole::Customer,
        }
    }
}

/// ESET license type of a row (`licenseType` 1 full, 4 trial).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LicenseType {
    /// `licenseType` 1.
    Full,
    /// `licenseType` 4.
    Trial,
}

macro_rules! as_str_and_display {
    ($ty:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// The string this value serializes as (the contract's spelling).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

as_str_and_display!(Vendor { Eset => "eset", Bitdefender => "bitdefender" });
as_str_and_display!(Metric {
    SeatDays => "seat_days",
    Seats => "seats",
    MonthlyUsage => "monthly_usage",
    MinimumUsage => "minimum_usage",
});
as_str_and_display!(Unit {
    SeatDay => "seat_day",
    Seat => "seat",
    Endpoint => "endpoint",
    Mailbox => "mailbox",
    Device => "device",
    Server => "server",
    Hour => "hour",
    Sensor => "sensor",
    Unit => "unit",
});
as_str_and_display!(CompanyRole {
    Msp => "msp",
    Reseller => "reseller",
    Customer => "customer",
});
as_str_and_display!(LicenseType { Full => "full", Trial => "trial" });

/// One measured quantity: one company, one period, one product, one metric.
///
/// Field order is the CSV column order of the contract; records sort by
/// (vendor, company_id, product_type, product, metric).
///
/// Every field is always written (absent values as `null`), so the JSON Schema lists all of
/// them as required.
///
/// The text fields are `Arc<str>` rather than `String`: every record of one company shares its
/// `company_id`, `company_name`, `parent_company_id` and `source`, both records of an ESET row
/// share its `product` and `product_name`, and the key and name of a known GravityZone counter
/// are shared by every record that has them. A clone is then a reference-count increment
/// instead of an allocation and a copy, which is what normalizing used to spend most of its time
/// on (see `BENCHMARKS.md`). An `Arc<str>` serializes, deserializes and has a JSON Schema exactly
/// like a `String`, so the output and `schemas/usage-record.json` are unchanged; read a field as
/// `&str` with `&*record.company_id` or `record.company_name.as_deref()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "UsageRecord",
    description = SCHEMA_DESCRIPTION,
    transform = every_field_required
)]
pub struct UsageRecord {
    /// The vendor the quantity comes from.
    pub vendor: Vendor,
    /// The vendor's company id, as the vendor spells it.
    pub company_id: Arc<str>,
    /// The company's name, when known.
    pub company_name: Option<Arc<str>>,
    /// The company directly above in the vendor's tree, when known.
    pub parent_company_id: Option<Arc<str>>,
    /// `msp` (the root of the tree), `reseller` (a company that has, or by its type can have,
    /// companies below it) or `customer`.
    pub company_role: CompanyRole,
    /// First day covered, inclusive (`YYYY-MM-DD`).
    pub period_start: NaiveDate,
    /// Last day covered, inclusive (`YYYY-MM-DD`).
    pub period_end: NaiveDate,
    /// Stable product key: ESET category or product code; GravityZone counter key in snake_case.
    pub product: Arc<str>,
    /// The vendor's product name, or the built-in name of a known key.
    pub product_name: Option<Arc<str>>,
    /// GravityZone product type of a per-product-type entry (`endpoint_security`, `edr`, `phasr`,
    /// else the number); null elsewhere.
    pub product_type: Option<Arc<str>>,
    /// ESET license type; null when absent and for GravityZone.
    pub license_type: Option<LicenseType>,
    /// What the quantity measures.
    pub metric: Metric,
    /// What one unit of the quantity counts.
    pub unit: Unit,
    /// The quantity, never negative: a whole number (written as an integer) for every unit but
    /// `hour`, which may be fractional.
    #[schemars(range(min = 0))]
    pub quantity: serde_json::Number,
    /// The call that produced the record, e.g. `eset:UsageReport/AllCompanies/categories`.
    pub source: Arc<str>,
}

/// The schema's description of a record: the first three paragraphs of [`UsageRecord`]'s doc
/// comment, word for word. The rest of that comment is about the Rust types, which the JSON
/// does not show, so `schemas/usage-record.json` leaves it out.
const SCHEMA_DESCRIPTION: &str = concat!(
    "One measured quantity: one company, one period, one product, one metric.\n",
    "\n",
    "Field order is the CSV column order of the contract; records sort by\n",
    "(vendor, company_id, product_type, product, metric).\n",
    "\n",
    "Every field is always written (absent values as `null`), so the JSON Schema lists all of\n",
    "them as required.",
);

impl UsageRecord {
    /// The field names in contract order: the JSON key order and the CSV header.
    pub const FIELDS: [&'static str; 15] = [
        "vendor",
        "company_id",
        "company_name",
        "parent_company_id",
        "company_role",
        "period_start",
        "period_end",
        "product",
        "product_name",
        "product_type",
        "license_type",
        "metric",
        "unit",
        "quantity",
        "source",
    ];
}

/// Lists every field as required: a record always carries all of them, nullable ones as `null`.
fn every_field_required(schema: &mut schemars::Schema) {
    let required = UsageRecord::FIELDS
        .iter()
        .map(|field| serde_json::Value::from(*field))
        .collect();
    schema.insert("required".to_owned(), serde_json::Value::Array(required));
}

/// The JSON Schema of one record (what `schemas/usage-record.json` holds).
pub fn record_json_schema() -> schemars::Schema {
    schemars::schema_for!(UsageRecord)
}
