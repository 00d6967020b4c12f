//! ESET's part of `collect`: the company tree, then the usage report, every company of the tree
//! ending in the records, the failures or the companies without license rows.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use futures::{StreamExt, pin_mut};
use indicatif::ProgressBar;
use usage_core::{
    CompanyRole, EsetReportKind, Period, UsageRecord, Vendor, merge_repeated,
    normalize_eset_company,
};
use usage_eset::{
    DateRange, EsetClient, ReportKind, ReportScope, UsageCompany, UsageReportRequest,
};

use crate::collect::{Failure, Request, VendorResult, WithoutLicense, WithoutUsage};
use crate::progress;

/// ESET SelectedCompanies takes this many company ids per report.
const ESET_IDS_PER_REPORT: usize = 100;

fn eset_kind(kind: EsetReportKind) -> ReportKind {
    match kind {
        EsetReportKind::Categories => ReportKind::Categories,
        EsetReportKind::Products => ReportKind::Products,
    }
}

/// ESET: walk the company tree (for parents and completeness), then fetch the bulk report,
/// 100 companies a call, and normalize page by page.
pub(crate) async fn collect(
    client: &EsetClient,
    request: &Request,
    bar: &ProgressBar,
) -> VendorResult {
    let mut out = VendorResult::default();
    let fatal = |e: &dyn std::fmt::Display| Some(format!("ESET: {e}"));
    let own = match client.own_company().await {
        Ok(own) => own,
        Err(e) => {
            out.fatal = fatal(&e);
            return out;
        }
    };
    let root = own.id.clone();
    let tree = match client.company_tree(&root).await {
        Ok(tree) => tree,
        Err(e) => {
            out.fatal = fatal(&e);
            return out;
        }
    };
    let mut parents: Places = HashMap::new();
    parents.insert(root.clone(), (own.name.clone(), None, CompanyRole::Msp));
    for company in &tree {
        parents.insert(
            company.id.clone(),
            (
                company.name.clone(),
                company.parent_id.clone(),
                CompanyRole::of_eset(false, company.entity_type),
            ),
        );
    }
    out.known_ids = parents.keys().cloned().collect();

    let wanted: Vec<String> = if request.companies.is_empty() {
        tree.iter().map(|c| c.id.clone()).collect()
    } else {
        // `--company` ids as the tree spells them (ids are matched without regard to case).
        parents
            .keys()
            .filter(|id| request.wants(id))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    if !request.companies.is_empty() && wanted.is_empty() {
        return out;
    }
    progress::discovered(bar, wanted.len() as u64);

    let period = match DateRange::month(request.month.year(), request.month.month()) {
        Ok(p) => p,
        Err(e) => {
            out.fatal = fatal(&e);
            return out;
        }
    };
    let mut scopes: VecDeque<ReportScope> = if request.companies.is_empty() {
        VecDeque::from([ReportScope::AllCompanies])
    } else {
        wanted
            .chunks(ESET_IDS_PER_REPORT)
            .map(|ids| ReportScope::SelectedCompanies(ids.to_vec()))
            .collect()
    };

    let core_period = Period::from(request.month);
    let mut seen: HashSet<String> = HashSet::new();
    let mut report_error: Option<String> = None;
    while let Some(scope) = scopes.pop_front() {
        let pages = client.usage_report_pages(UsageReportRequest::new(
            scope.clone(),
            eset_kind(request.eset_report),
            period,
        ));
        pin_mut!(pages);
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = match page {
                // One failing company must not take the others of a selected report with it:
                // a report of several that fails before its first page is asked again for each.
                Err(_)
                    if first
                        && matches!(&scope, ReportScope::SelectedCompanies(ids) if ids.len() > 1) =>
                {
                    if let ReportScope::SelectedCompanies(ids) = scope {
                        scopes.extend(
                            ids.into_iter()
                                .map(|id| ReportScope::SelectedCompanies(vec![id])),
                        );
                    }
                    break;
                }
                Ok(page) => page,
                Err(e) => {
                    // A lost page is itself a failure, so the run never exits 0 without it,
                    // even when the companies it held are unknown.
                    out.failures.push(Failure {
                        vendor: Vendor::Eset,
                        company_id: match &scope {
                            ReportScope::SelectedCompanies(ids) if ids.len() == 1 => {
                                ids.first().cloned()
                            }
                            _ => None,
                        },
                        company_name: None,
                        message: format!("ESET usage report could not be read: {e}"),
                    });
                    report_error = Some(e.to_string());
                    break;
                }
            };
            first = false;
            // An entry that does not read fails its company alone.
            for rejected in &page.rejected {
                if let Some(id) = &rejected.company_id {
                    seen.insert(id.clone());
                    // An entry that does not read fails its company, even when another entry
                    // of it did read: what that one gave is withdrawn, never billed alone.
                    out.records.retain(|r| &*r.company_id != id.as_str());
                    out.without_monthly_license.retain(|m| &m.company_id != id);
                    if out
                        .failures
                        .iter()
                        .any(|f| f.company_id.as_deref() == Some(id.as_str()))
                    {
                        continue;
                    }
                }
                let tree_name = rejected
                    .company_id
                    .as_ref()
                    .and_then(|id| parents.get(id))
                    .and_then(|(name, _, _)| name.clone());
                out.failures.push(Failure {
                    vendor: Vendor::Eset,
                    company_id: rejected.company_id.clone(),
                    company_name: rejected.company_name.clone().or(tree_name),
                    message: rejected.error.to_string(),
                });
                bar.inc(1);
            }
            for company in &page.response.companies {
                if !seen.insert(company.company_id.clone()) {
                    continue;
                }
                let (tree_name, parent, role) = place(&parents, &company.company_id);
                match normalize_eset_company(
                    company,
                    request.eset_report,
                    core_period,
                    &page.endpoint,
                    parent.as_deref(),
                    role,
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
            for company in &page.repeated {
                merge_repeat(
                    &mut out,
                    company,
                    request,
                    core_period,
                    &page.endpoint,
                    &parents,
                );
            }
        }
    }

    if seen.is_empty()
        && !wanted.is_empty()
        && request.companies.is_empty()
        && let Some(e) = report_error
    {
        out.failures.clear();
        out.fatal = Some(format!("ESET: {e}"));
        return out;
    }
    let failed: HashSet<String> = out
        .failures
        .iter()
        .filter_map(|f| f.company_id.clone())
        .collect();
    // The API user's own company, and reseller-type companies, that the report does not list
    // have no usage of their own: that is not an error (unless the report broke off).
    let accountable: Vec<&str> = std::iter::once(root.as_str())
        .filter(|id| request.wants(id) && !wanted.iter().any(|w| w == id))
        .chain(wanted.iter().map(String::as_str))
        .collect();
    if report_error.is_none() {
        let quiet: Vec<&str> = accountable
            .iter()
            .copied()
            .filter(|id| *id == root || place(&parents, id).2 == CompanyRole::Reseller)
            .filter(|id| !seen.contains(*id) && !failed.contains(*id))
            .collect();
        for id in quiet {
            let (name, parent, _) = place(&parents, id);
            seen.insert(id.to_owned());
            out.without_usage.push(WithoutUsage {
                vendor: Vendor::Eset,
                company_id: id.to_owned(),
                company_name: name,
                parent_company_id: parent,
                reason: if id == root {
                    "the API user's own company, absent from the usage report: no usage of its own"
                        .to_owned()
                } else {
                    "a reseller-type company absent from the usage report: no usage of its own"
                        .to_owned()
                },
            });
        }
    }
    for id in accountable
        .into_iter()
        .filter(|id| !seen.contains(*id) && !failed.contains(*id))
    {
        let name = parents.get(id).and_then(|(name, _, _)| name.clone());
        let message = match &report_error {
            Some(e) => format!("ESET usage report stopped before this company: {e}"),
            None => format!(
                "company is in the ESET company tree but absent from the usage report for {}; check it in ESET MSP Administrator and run again",
                request.month
            ),
        };
        out.failures.push(Failure {
            vendor: Vendor::Eset,
            company_id: Some(id.to_owned()),
            company_name: name,
            message,
        });
    }
    bar.finish();
    out
}

/// What the tree says of each company: (name, parent, role).
type Places = HashMap<String, (Option<String>, Option<String>, CompanyRole)>;

/// The tree's name, parent and role of `id`; a company the tree did not name (a report can list
/// one) is a customer with no known parent.
fn place(parents: &Places, id: &str) -> (Option<String>, Option<String>, CompanyRole) {
    parents
        .get(id)
        .cloned()
        .unwrap_or((None, None, CompanyRole::Customer))
}

/// A company ESET listed again (on the same page or a later one): its rows are merged into what
/// was collected for it; the same row with another number makes the company a failure.
fn merge_repeat(
    out: &mut VendorResult,
    company: &UsageCompany,
    request: &Request,
    period: Period,
    endpoint: &str,
    parents: &Places,
) {
    let id = company.company_id.as_str();
    if out
        .failures
        .iter()
        .any(|f| f.company_id.as_deref() == Some(id))
    {
        return;
    }
    let (tree_name, parent, role) = place(parents, id);
    let fail = |out: &mut VendorResult, message: String| {
        out.records.retain(|r| &*r.company_id != id);
        out.without_monthly_license.retain(|m| m.company_id != id);
        out.failures.push(Failure {
            vendor: Vendor::Eset,
            company_id: Some(id.to_owned()),
            company_name: company.company_name.clone().or(tree_name.clone()),
            message,
        });
    };
    let records = match normalize_eset_company(
        company,
        request.eset_report,
        period,
        endpoint,
        parent.as_deref(),
        role,
    ) {
        Ok(records) => records,
        Err(e) => {
            return fail(
                out,
                format!("ESET answered usage that cannot be billed: {e}"),
            );
        }
    };
    let existing: Vec<&UsageRecord> = out
        .records
        .iter()
        .filter(|r| &*r.company_id == id)
        .collect();
    match merge_repeated(&existing, records) {
        Ok(added) if added.is_empty() => {}
        Ok(added) => {
            tracing::info!(company = %id, rows = added.len(), "ESET listed a company twice; rows merged");
            out.without_monthly_license.retain(|m| m.company_id != id);
            out.records.extend(added);
        }
        Err(conflict) => fail(out, format!("ESET {conflict}")),
    }
}
