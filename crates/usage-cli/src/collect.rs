//! `collect`: every company of each vendor ends in the records, in the failures, or (GravityZone)
//! among the companies without a monthly license. One company's failure never stops the others.

//! The vendors' own parts are `eset_usage` and `gz_usage`; this module holds what they share
//! and how their results are merged.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use usage_core::{EsetReportKind, Month, UsageRecord, Vendor, sort_records};

/// A company (or a whole vendor, with no company id) whose usage could not be collected.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Failure {
    /// The vendor.
    pub(crate) vendor: Vendor,
    /// The company, when the failure concerns one.
    pub(crate) company_id: Option<String>,
    /// Its name, when known.
    pub(crate) company_name: Option<String>,
    /// What went wrong and what to do, in one line.
    pub(crate) message: String,
}

/// A company without usage to bill: GravityZone answered `0` (no monthly license), or ESET listed
/// it in the usage report with no license rows. It has no records and is listed, not dropped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WithoutLicense {
    /// The vendor.
    pub(crate) vendor: Vendor,
    /// The company.
    pub(crate) company_id: String,
    /// Its name, when known.
    pub(crate) company_name: Option<String>,
    /// The company above it, when known.
    pub(crate) parent_company_id: Option<String>,
}

/// What `collect` is asked for.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The month.
    pub(crate) month: Month,
    /// Only these company ids (empty: every company).
    pub(crate) companies: BTreeSet<String>,
    /// ESET report family.
    pub(crate) eset_report: EsetReportKind,
    /// Also collect GravityZone usage per product type.
    pub(crate) product_types: bool,
}

impl Request {
    /// Whether `id` is one of the `--company` ids (compared without regard to case), or every
    /// company is wanted.
    pub(crate) fn wants(&self, id: &str) -> bool {
        self.companies.is_empty() || self.companies.iter().any(|c| c.eq_ignore_ascii_case(id))
    }
}

/// What one vendor gave.
#[derive(Debug, Default)]
pub(crate) struct VendorResult {
    /// Normalized records.
    pub(crate) records: Vec<UsageRecord>,
    /// Companies that failed.
    pub(crate) failures: Vec<Failure>,
    /// Companies without a monthly license (or, for ESET, without license rows).
    pub(crate) without_monthly_license: Vec<WithoutLicense>,
    /// Company ids found in the vendor's tree (to report `--company` ids found nowhere).
    pub(crate) known_ids: HashSet<String>,
    /// Set when the vendor gave nothing usable at all (e.g. bad credentials).
    pub(crate) fatal: Option<String>,
}

/// The whole run's result, sorted.
#[derive(Debug, Serialize)]
pub(crate) struct Collection {
    /// The month, `YYYY-MM`.
    pub(crate) month: Month,
    /// Every record, sorted by vendor, company, product type, product, metric.
    pub(crate) records: Vec<UsageRecord>,
    /// Every failure.
    pub(crate) failures: Vec<Failure>,
    /// GravityZone companies without a monthly license.
    pub(crate) without_monthly_license: Vec<WithoutLicense>,
}

impl Collection {
    /// Merges the vendors' results; `--company` ids that no vendor knows become failures.
    pub(crate) fn merge(request: &Request, results: Vec<(Vendor, VendorResult)>) -> Self {
        let mut records = Vec::new();
        let mut failures = Vec::new();
        let mut without_monthly_license = Vec::new();
        let known: HashSet<String> = results
            .iter()
            .flat_map(|(_, r)| &r.known_ids)
            .map(|id| id.to_ascii_lowercase())
            .collect();
        for (vendor, result) in &results {
            if result.fatal.is_some() {
                continue;
            }
            for id in request
                .companies
                .iter()
                .filter(|id| !known.contains(&id.to_ascii_lowercase()))
            {
                failures.push(Failure {
                    vendor: *vendor,
                    company_id: Some(id.clone()),
                    company_name: None,
                    message: format!(
                        "company `{id}` is not in the {} company tree; check the id (msp-usage companies lists them)",
                        vendor_label(*vendor)
                    ),
                });
            }
        }
        for (vendor, result) in results {
            records.extend(result.records);
            failures.extend(result.failures);
            without_monthly_license.extend(result.without_monthly_license);
            if let Some(message) = result.fatal {
                failures.push(Failure {
                    vendor,
                    company_id: None,
                    company_name: None,
                    message,
                });
            }
        }
        sort_records(&mut records);
        failures.sort();
        failures.dedup();
        without_monthly_license.sort();
        Collection {
            month: request.month,
            records,
            failures,
            without_monthly_license,
        }
    }
}

/// The vendor's name as users know it.
pub(crate) fn vendor_label(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Eset => "ESET",
        Vendor::Bitdefender => "GravityZone",
    }
}
