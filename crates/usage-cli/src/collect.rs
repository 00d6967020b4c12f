//! `collect`: every company of each vendor ends in the records, in the failures, or (GravityZone)
//! among the companies without a monthly license. One company's failure never stops the others.

use std::collections::{BTreeSet, HashMap, HashSet};

use futures::{StreamExt, pin_mut, stream};
use indicatif::ProgressBar;
use serde::Serialize;
use usage_bitdefender::{GravityZoneClient, GzCompany, TargetMonth};
use usage_core::{
    CompanyRef, EsetReportKind, GzMonthly, Month, Period, UsageRecord, Vendor,
    normalize_eset_company, normalize_gz_monthly, normalize_gz_per_product_type, sort_records,
};
use usage_eset::{DateRange, EsetClient, ReportKind, ReportScope, UsageReportRequest};
use usage_models::bitdefender::GetMonthlyUsageResult;

/// GravityZone usage calls kept in flight; the client's limiter does the pacing, this only keeps
/// it saturated while the tree walk goes on.
const GRAVITYZONE_IN_FLIGHT: usize = 16;
/// ESET SelectedCompanies takes this many company ids per report.
const ESET_IDS_PER_REPORT: usize = 100;

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
        let known: HashSet<&String> = results.iter().flat_map(|(_, r)| &r.known_ids).collect();
        for (vendor, result) in &results {
            if result.fatal.is_some() {
                continue;
            }
            for id in request.companies.iter().filter(|id| !known.contains(id)) {
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

fn eset_kind(kind: EsetReportKind) -> ReportKind {
    match kind {
        EsetReportKind::Categories => ReportKind::Categories,
        EsetReportKind::Products => ReportKind::Products,
    }
}

/// ESET: walk the company tree (for parents and completeness), then fetch the bulk report,
/// 100 companies a call, and normalize page by page.
pub(crate) async fn eset(
    client: &EsetClient,
    request: &Request,
    bar: &ProgressBar,
) -> VendorResult {
    let mut out = VendorResult::default();
    let fatal = |e: &dyn std::fmt::Display| Some(format!("ESET: {e}"));
    let root = match client.own_company_id().await {
        Ok(root) => root,
        Err(e) => {
            out.fatal = fatal(&e);
            return out;
        }
    };
    let tree = match client.company_tree(&root).await {
        Ok(tree) => tree,
        Err(e) => {
            out.fatal = fatal(&e);
            return out;
        }
    };
    let mut parents: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    parents.insert(root.clone(), (None, None));
    for company in &tree {
        parents.insert(
            company.id.clone(),
            (company.name.clone(), company.parent_id.clone()),
        );
    }
    out.known_ids = parents.keys().cloned().collect();

    let wanted: Vec<String> = if request.companies.is_empty() {
        tree.iter().map(|c| c.id.clone()).collect()
    } else {
        request
            .companies
            .iter()
            .filter(|id| parents.contains_key(*id))
            .cloned()
            .collect()
    };
    if !request.companies.is_empty() && wanted.is_empty() {
        return out;
    }
    bar.set_length(wanted.len() as u64);

    let period = match DateRange::month(request.month.year(), request.month.month()) {
        Ok(p) => p,
        Err(e) => {
            out.fatal = fatal(&e);
            return out;
        }
    };
    let scopes: Vec<ReportScope> = if request.companies.is_empty() {
        vec![ReportScope::AllCompanies]
    } else {
        wanted
            .chunks(ESET_IDS_PER_REPORT)
            .map(|ids| ReportScope::SelectedCompanies(ids.to_vec()))
            .collect()
    };

    let core_period = Period::from(request.month);
    let mut seen: HashSet<String> = HashSet::new();
    let mut report_error: Option<String> = None;
    for scope in scopes {
        let pages = client.usage_report_pages(UsageReportRequest::new(
            scope,
            eset_kind(request.eset_report),
            period,
        ));
        pin_mut!(pages);
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    report_error = Some(e.to_string());
                    break;
                }
            };
            for company in &page.response.companies {
                if !seen.insert(company.company_id.clone()) {
                    continue;
                }
                let (tree_name, parent) = parents
                    .get(&company.company_id)
                    .cloned()
                    .unwrap_or((None, None));
                match normalize_eset_company(
                    company,
                    request.eset_report,
                    core_period,
                    &page.endpoint,
                    parent.as_deref(),
                ) {
                    // The report lists the company with no license rows: it used nothing
                    // this month. It is accounted for, not dropped.
                    Ok(records) if records.is_empty() => {
                        out.without_monthly_license.push(WithoutLicense {
                            vendor: Vendor::Eset,
                            company_id: company.company_id.clone(),
                            company_name: company.company_name.clone().or(tree_name),
                            parent_company_id: parent,
                        })
                    }
                    Ok(records) => out.records.extend(records),
                    Err(e) => out.failures.push(Failure {
                        vendor: Vendor::Eset,
                        company_id: Some(company.company_id.clone()),
                        company_name: company.company_name.clone().or(tree_name),
                        message: format!("ESET answered usage that cannot be billed: {e}"),
                    }),
                }
                bar.inc(1);
            }
        }
    }

    if seen.is_empty()
        && !wanted.is_empty()
        && let Some(e) = report_error
    {
        out.fatal = Some(format!("ESET: {e}"));
        return out;
    }
    for id in wanted.iter().filter(|id| !seen.contains(*id)) {
        let name = parents.get(id).and_then(|(name, _)| name.clone());
        let message = match &report_error {
            Some(e) => format!("ESET usage report stopped before this company: {e}"),
            None => format!(
                "company is in the ESET company tree but absent from the usage report for {}; check it in ESET MSP Administrator and run again",
                request.month
            ),
        };
        out.failures.push(Failure {
            vendor: Vendor::Eset,
            company_id: Some(id.clone()),
            company_name: name,
            message,
        });
    }
    bar.finish();
    out
}

/// What one GravityZone company gave.
enum GzOutcome {
    Records(Vec<UsageRecord>),
    WithoutLicense(WithoutLicense),
    Failed(Failure),
}

/// GravityZone: walk the tree and fetch each company's usage at the same time, keeping the
/// licensing limiter saturated.
pub(crate) async fn gravityzone(
    client: &GravityZoneClient,
    request: &Request,
    bar: &ProgressBar,
) -> VendorResult {
    let mut out = VendorResult::default();
    let month = match TargetMonth::new(request.month.year(), request.month.month()) {
        Ok(m) => m,
        Err(e) => {
            out.fatal = Some(format!("GravityZone: {e}"));
            return out;
        }
    };
    // The walk runs in a task of its own, so listing the tree never waits for usage calls
    // (and the walk's last listings never trail behind the last usage call).
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let walker = client.clone();
    let walk = tokio::spawn(async move {
        let tree = walker.company_tree();
        pin_mut!(tree);
        while let Some(item) = tree.next().await {
            if sender.send(item).is_err() {
                break;
            }
        }
    });
    let mut tree = stream::poll_fn(move |cx| receiver.poll_recv(cx));
    let first = match tree.next().await {
        Some(Ok(company)) => company,
        Some(Err(e)) => {
            out.fatal = Some(format!("GravityZone: {e}"));
            return out;
        }
        None => {
            out.fatal = Some("GravityZone returned no company for this API key".to_string());
            return out;
        }
    };
    let period = Period::from(request.month);
    let companies = stream::once(async { Ok(first) }).chain(tree);
    let work = companies
        .map(|item| async move {
            match item {
                Ok(company) => {
                    let wanted =
                        request.companies.is_empty() || request.companies.contains(&company.id);
                    let outcomes = if wanted {
                        gz_company(client, &company, month, period, request.product_types).await
                    } else {
                        Vec::new()
                    };
                    (Some(company.id), wanted, outcomes)
                }
                Err(e) => (
                    None,
                    false,
                    vec![GzOutcome::Failed(Failure {
                        vendor: Vendor::Bitdefender,
                        company_id: None,
                        company_name: None,
                        message: format!(
                            "GravityZone company tree incomplete (the companies below this point are missing): {e}"
                        ),
                    })],
                ),
            }
        })
        .buffer_unordered(GRAVITYZONE_IN_FLIGHT);
    pin_mut!(work);
    while let Some((id, wanted, outcomes)) = work.next().await {
        if let Some(id) = id {
            out.known_ids.insert(id);
        }
        if wanted {
            bar.inc_length(1);
            bar.inc(1);
        }
        for outcome in outcomes {
            match outcome {
                GzOutcome::Records(records) => out.records.extend(records),
                GzOutcome::WithoutLicense(mark) => out.without_monthly_license.push(mark),
                GzOutcome::Failed(failure) => out.failures.push(failure),
            }
        }
    }
    if let Err(e) = walk.await {
        out.failures.push(Failure {
            vendor: Vendor::Bitdefender,
            company_id: None,
            company_name: None,
            message: format!("GravityZone company tree walk stopped unexpectedly: {e}"),
        });
    }
    bar.finish();
    out
}

async fn gz_company(
    client: &GravityZoneClient,
    company: &GzCompany,
    month: TargetMonth,
    period: Period,
    product_types: bool,
) -> Vec<GzOutcome> {
    let reference = CompanyRef {
        id: company.id.clone(),
        name: company.name.clone(),
        parent_id: company.parent_id.clone(),
    };
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        GzOutcome::Failed(Failure {
            vendor: Vendor::Bitdefender,
            company_id: Some(company.id.clone()),
            company_name: company.name.clone(),
            message: format!("{what}: {e}"),
        })
    };
    let monthly = async {
        let result: GetMonthlyUsageResult =
            match client.monthly_usage(Some(&company.id), month).await {
                Ok(outcome) => outcome.into(),
                Err(e) => return failed("licensing.getMonthlyUsage failed", &e),
            };
        match normalize_gz_monthly(&result, &reference, period) {
            Ok(GzMonthly::Records(records)) => GzOutcome::Records(records),
            Ok(GzMonthly::WithoutMonthlyLicense) => GzOutcome::WithoutLicense(WithoutLicense {
                vendor: Vendor::Bitdefender,
                company_id: company.id.clone(),
                company_name: company.name.clone(),
                parent_company_id: company.parent_id.clone(),
            }),
            Err(e) => failed("GravityZone answered usage that cannot be billed", &e),
        }
    };
    let per_type = async {
        if !product_types {
            return None;
        }
        Some(
            match client
                .monthly_usage_per_product_type(Some(&company.id), month)
                .await
            {
                Ok(result) => match normalize_gz_per_product_type(&result, &reference, period) {
                    Ok(records) => GzOutcome::Records(records),
                    Err(e) => failed(
                        "GravityZone answered per-product-type usage that cannot be billed",
                        &e,
                    ),
                },
                Err(e) => failed("licensing.getMonthlyUsagePerProductType failed", &e),
            },
        )
    };
    let (monthly, per_type) = futures::join!(monthly, per_type);
    let mut outcomes = vec![monthly];
    outcomes.extend(per_type);
    outcomes
}
