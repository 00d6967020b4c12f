//! GravityZone's part of `collect`: the tree walk and each company's usage at the same time,
//! every company ending in the records, the failures or the companies without a monthly license.

use futures::{StreamExt, pin_mut, stream};
use indicatif::ProgressBar;
use usage_bitdefender::{GravityZoneClient, GzCompany, TargetMonth};
use usage_core::{
    CompanyRef, CompanyRole, GzMonthly, Period, UsageRecord, Vendor, normalize_gz_monthly,
    normalize_gz_per_product_type,
};
use usage_models::bitdefender::GetMonthlyUsageResult;

use crate::collect::{Failure, Request, VendorResult, WithoutLicense, WithoutUsage};
use crate::progress;

/// GravityZone usage calls kept in flight; the client's limiter does the pacing, this only keeps
/// it saturated while the tree walk goes on.
const GRAVITYZONE_IN_FLIGHT: usize = 16;

/// What one GravityZone company gave.
enum GzOutcome {
    Records(Vec<UsageRecord>),
    WithoutLicense(WithoutLicense),
    WithoutUsage(WithoutUsage),
    Failed(Failure),
}

/// GravityZone: walk the tree and fetch each company's usage at the same time, keeping the
/// licensing limiter saturated.
pub(crate) async fn collect(
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
    let (found, filter) = (bar.clone(), request.clone());
    let walk = tokio::spawn(async move {
        let tree = walker.company_tree();
        pin_mut!(tree);
        while let Some(item) = tree.next().await {
            if matches!(&item, Ok(company) if filter.wants(&company.id)) {
                found.inc_length(1);
            }
            if sender.send(item).is_err() {
                break;
            }
        }
        // The whole tree is known: the spinner becomes a bar with the real total.
        progress::discovered(&found, found.length().unwrap_or(0));
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
                        request.wants(&company.id);
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
            bar.inc(1);
        }
        for outcome in outcomes {
            match outcome {
                GzOutcome::Records(records) => out.records.extend(records),
                GzOutcome::WithoutLicense(mark) => out.without_monthly_license.push(mark),
                GzOutcome::WithoutUsage(mark) => out.without_usage.push(mark),
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
        role: CompanyRole::of_gravityzone(company.parent_id.is_none(), company.partner),
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
            // An object without a single counter (`{}`, or every counter null): the company is
            // named but reports nothing; listed, never dropped, never invented zeros.
            Ok(GzMonthly::Records(records)) if records.is_empty() => {
                GzOutcome::WithoutUsage(WithoutUsage {
                    vendor: Vendor::Bitdefender,
                    company_id: company.id.clone(),
                    company_name: company.name.clone(),
                    parent_company_id: company.parent_id.clone(),
                    reason: "GravityZone answered no usage counter for this month (an empty \
                             object, or every counter null)"
                        .to_string(),
                })
            }
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
