//! The comparison point of `BENCHMARKS.md`: the same collection done one request at a time,
//! as the usual scripts do it (ESET Monthly report per company, GravityZone usage per company,
//! each call awaited before the next). Reads the same variables as `msp-usage`.
//!
//! `cargo run --release -p usage-cli --example one_at_a_time -- 2026-10`

use futures::StreamExt;
use secrecy::SecretString;
use usage_bitdefender::{GravityZoneClient, TargetMonth};
use usage_eset::{DateRange, EsetClient, ReportKind, ReportScope, UsageReportRequest};
use usage_http::TransportSettings as _;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (e.g. from `msp-usage sandbox`)"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let month = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "2026-10".to_string());
    let (year, number) = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .ok_or("give the month as YYYY-MM")?;
    let started = std::time::Instant::now();

    let eset = EsetClient::builder(
        var("ESET_MSP_USERNAME")?,
        SecretString::from(var("ESET_MSP_PASSWORD")?),
    )
    .base_url(var("ESET_MSP_API_URL")?)
    .build()
    .map_err(|e| e.to_string())?;
    let period = DateRange::month(year, number).map_err(|e| e.to_string())?;
    let root = eset.own_company_id().await.map_err(|e| e.to_string())?;
    let companies = eset.company_tree(&root).await.map_err(|e| e.to_string())?;
    let mut eset_rows = 0;
    for company in &companies {
        let scope = ReportScope::Monthly {
            company_id: company.id.clone(),
            codes: Vec::new(),
        };
        let report = eset
            .usage_report(UsageReportRequest::new(
                scope,
                ReportKind::Categories,
                period,
            ))
            .await
            .map_err(|e| e.to_string())?;
        eset_rows += report.iter().map(|c| c.categories.len()).sum::<usize>();
    }

    let gz = GravityZoneClient::builder(SecretString::from(var("GRAVITYZONE_API_KEY")?))
        .base_url(var("GRAVITYZONE_API_URL")?)
        .build()
        .map_err(|e| e.to_string())?;
    let target = TargetMonth::new(year, number).map_err(|e| e.to_string())?;
    let tree: Vec<_> = gz.company_tree().collect().await;
    let mut gz_companies = 0;
    for company in tree {
        let company = company.map_err(|e| e.to_string())?;
        gz.monthly_usage(Some(&company.id), target)
            .await
            .map_err(|e| e.to_string())?;
        gz_companies += 1;
    }
    println!(
        "one request at a time: {} ESET companies ({eset_rows} rows), {gz_companies} GravityZone companies in {:.2} s",
        companies.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
