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

/// A company the vendor names but that reports no usage of its own, and that is not an error
/// (SPEC section 5): an ESET reseller-type company absent from the usage report, a GravityZone
/// answer without a single counter. It has no records and is listed, not dropped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WithoutUsage {
    /// The vendor.
    pub(crate) vendor: Vendor,
    /// The company.
    pub(crate) company_id: String,
    /// Its name, when known.
    pub(crate) company_name: Option<String>,
    /// The company above it, when known.
    pub(crate) parent_company_id: Option<String>,
    /// Why it has no usage.
    pub(crate) reason: String,
}

/// How one vendor's part of a run ended (`vendors` in the JSON output).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct VendorStatus {
    /// The vendor.
    pub(crate) vendor: Vendor,
    /// `complete`, `partial` (some companies failed), `failed` (unusable as a whole) or
    /// `not_configured` (skipped: none of its variables is set).
    pub(crate) status: &'static str,
    /// Companies accounted for (records, failures and both lists).
    pub(crate) companies: usize,
    /// Records written.
    pub(crate) records: usize,
    /// Failures listed.
    pub(crate) failures: usize,
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
    /// Companies that report no usage of their own, not as an error.
    pub(crate) without_usage: Vec<WithoutUsage>,
    /// Company ids the vendor named (its tree, its reports): each must end in one of the lists.
    pub(crate) known_ids: HashSet<String>,
    /// Set when the vendor gave nothing usable at all (e.g. bad credentials).
    pub(crate) fatal: Option<String>,
}

/// The whole run's result, sorted.
#[derive(Debug, Serialize)]
pub(crate) struct Collection {
    /// The month, `YYYY-MM`.
    pub(crate) month: Month,
    /// How each vendor's part ended.
    pub(crate) vendors: Vec<VendorStatus>,
    /// Every record, sorted by vendor, company, product type, product, metric.
    pub(crate) records: Vec<UsageRecord>,
    /// Every failure.
    pub(crate) failures: Vec<Failure>,
    /// GravityZone companies without a monthly license.
    pub(crate) without_monthly_license: Vec<WithoutLicense>,
    /// Companies that report no usage of their own, not as an error.
    pub(crate) without_usage: Vec<WithoutUsage>,
}

impl Collection {
    /// Merges the vendors' results; `--company` ids that no vendor knows become failures.
    pub(crate) fn merge(
        request: &Request,
        results: Vec<(Vendor, VendorResult)>,
        not_configured: &[Vendor],
    ) -> Self {
        let mut records: Vec<UsageRecord> = Vec::new();
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
        let mut without_usage = Vec::new();
        let mut vendors: Vec<VendorStatus> = not_configured
            .iter()
            .map(|vendor| VendorStatus {
                vendor: *vendor,
                status: "not_configured",
                companies: 0,
                records: 0,
                failures: 0,
            })
            .collect();
        for (vendor, mut result) in results {
            if result.fatal.is_none() {
                account_for_every_company(vendor, request, &mut result);
            }
            vendors.push(status_of(vendor, &result, &failures));
            // Records are moved, never copied twice: the larger vector takes the other's.
            let mut more = std::mem::take(&mut result.records);
            if more.len() > records.len() {
                std::mem::swap(&mut records, &mut more);
            }
            records.append(&mut more);
            failures.extend(result.failures);
            without_monthly_license.extend(result.without_monthly_license);
            without_usage.extend(result.without_usage);
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
        without_usage.sort();
        vendors.sort_by_key(|v| v.vendor);
        Collection {
            month: request.month,
            vendors,
            records,
            failures,
            without_monthly_license,
            without_usage,
        }
    }
}

impl Collection {
    /// Distinct companies with records.
    pub(crate) fn companies(&self) -> usize {
        self.records
            .iter()
            .map(|r| (r.vendor, &*r.company_id))
            .collect::<HashSet<_>>()
            .len()
    }
}

/// How a vendor's part ended; `unknown_ids` are the failures already listed for `--company` ids
/// that no vendor knows.
fn status_of(vendor: Vendor, result: &VendorResult, unknown_ids: &[Failure]) -> VendorStatus {
    let mut companies: HashSet<&str> = HashSet::new();
    companies.extend(result.records.iter().map(|r| &*r.company_id));
    companies.extend(
        result
            .failures
            .iter()
            .filter_map(|f| f.company_id.as_deref()),
    );
    companies.extend(
        result
            .without_monthly_license
            .iter()
            .map(|m| m.company_id.as_str()),
    );
    companies.extend(result.without_usage.iter().map(|m| m.company_id.as_str()));
    let failures = result.failures.len()
        + usize::from(result.fatal.is_some())
        + unknown_ids.iter().filter(|f| f.vendor == vendor).count();
    let status = if result.fatal.is_some() {
        "failed"
    } else if failures > 0 {
        "partial"
    } else {
        "complete"
    };
    VendorStatus {
        vendor,
        status,
        companies: companies.len(),
        records: result.records.len(),
        failures,
    }
}

/// The run's own proof of SPEC section 5: every company the vendor named (and the run wanted)
/// is in the records, the failures, or one of the two lists; one that is in none becomes a
/// failure here, so the run can never exit 0 without it.
fn account_for_every_company(vendor: Vendor, request: &Request, result: &mut VendorResult) {
    let mut accounted: HashSet<&str> = HashSet::new();
    accounted.extend(result.records.iter().map(|r| &*r.company_id));
    accounted.extend(
        result
            .failures
            .iter()
            .filter_map(|f| f.company_id.as_deref()),
    );
    accounted.extend(
        result
            .without_monthly_license
            .iter()
            .map(|m| m.company_id.as_str()),
    );
    accounted.extend(result.without_usage.iter().map(|m| m.company_id.as_str()));
    let mut lost: Vec<String> = result
        .known_ids
        .iter()
        .filter(|id| request.wants(id) && !accounted.contains(id.as_str()))
        .cloned()
        .collect();
    lost.sort();
    for id in lost {
        tracing::error!(vendor = vendor_label(vendor), company = %id, "company accounted for nowhere");
        result.failures.push(Failure {
            vendor,
            company_id: Some(id),
            company_name: None,
            message: format!(
                "{} named this company but the run found neither usage, nor a failure, nor a \
                 reason for none; it is listed here so that nothing is billed without it \
                 (please report this)",
                vendor_label(vendor)
            ),
        });
    }
}

/// The vendor's name as users know it.
pub(crate) fn vendor_label(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Eset => "ESET",
        Vendor::Bitdefender => "GravityZone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            month: "2026-10"
                .parse()
                .unwrap_or_else(|_| Month::last_closed(chrono::NaiveDate::MIN)),
            companies: BTreeSet::new(),
            eset_report: EsetReportKind::Categories,
            product_types: false,
        }
    }

    /// A company the vendor named that no list holds becomes a failure, so the run cannot exit
    /// 0 without it; companies that are in a list are left alone.
    #[test]
    fn a_company_in_no_list_becomes_a_failure() {
        let result = VendorResult {
            without_usage: vec![WithoutUsage {
                vendor: Vendor::Eset,
                company_id: "quiet".to_owned(),
                company_name: None,
                parent_company_id: None,
                reason: "reseller".to_owned(),
            }],
            known_ids: ["quiet", "lost"].into_iter().map(str::to_owned).collect(),
            ..VendorResult::default()
        };
        let collection = Collection::merge(&request(), vec![(Vendor::Eset, result)], &[]);
        let failed: Vec<Option<&str>> = collection
            .failures
            .iter()
            .map(|f| f.company_id.as_deref())
            .collect();
        assert_eq!(failed, vec![Some("lost")]);
        assert_eq!(collection.without_usage.len(), 1);
    }

    /// `--company` ids match without regard to case.
    #[test]
    fn wanted_companies_ignore_case() {
        let mut request = request();
        assert!(request.wants("anything"));
        request.companies.insert("ABC-1".to_owned());
        assert!(request.wants("abc-1"));
        assert!(!request.wants("abc-2"));
    }
}
