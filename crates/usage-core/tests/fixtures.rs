//! Every usage fixture in `tests/fixtures` normalized, as an insta snapshot (one record per line,
//! as `msp-usage collect --format ndjson` prints them), plus an independent check of every
//! record against the raw JSON.
//!
//! A new fixture file fails `every_fixture_is_snapshotted` until it has a snapshot (or is listed
//! in `NOT_USAGE` with the reason it is not a usage payload).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use usage_core::{
    CompanyRef, CompanyRole, EsetReportKind, GzMonthly, Month, Period, UsageRecord,
    normalize_eset_company, normalize_gz_monthly, normalize_gz_per_product_type, product_key,
};
use usage_models::bitdefender::{GetMonthlyUsagePerProductTypeResult, GetMonthlyUsageResult};
use usage_models::eset::UsageReportResponse;

/// Fixture files that are not usage payloads, and what they are.
const NOT_USAGE: &[(&str, &str)] = &[
    (
        "bitdefender/error-invalid-api-key-401.json",
        "JSON-RPC error",
    ),
    ("bitdefender/error-invalid-parent-id.json", "JSON-RPC error"),
    ("bitdefender/get-companies-list.json", "company tree"),
    ("bitdefender/get-company-details.json", "company details"),
    ("bitdefender/get-license-info-array.json", "license info"),
    ("bitdefender/get-license-info.json", "license info"),
    ("eset/company-children.json", "company tree"),
    ("eset/error-maintenance-503.json", "error body"),
    ("eset/error-validation-400.json", "error body"),
    ("eset/token-response.json", "token"),
    ("eset/user-current.json", "user"),
];

/// The fixtures' report month (see tests/fixtures/README.md).
fn october() -> Period {
    Month::new(2026, 10).unwrap().into()
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn read_json(relative: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(relative)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every `*.json` under the fixture directories, as `vendor/file.json`, sorted.
fn fixture_files() -> Vec<String> {
    let mut files = Vec::new();
    for vendor in ["bitdefender", "eset"] {
        for entry in std::fs::read_dir(fixtures_dir().join(vendor)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".json") {
                files.push(format!("{vendor}/{name}"));
            }
        }
    }
    files.sort();
    files
}

/// How a usage fixture is normalized, read from its file name.
#[derive(Debug, Clone, Copy)]
enum Usage {
    Eset {
        kind: EsetReportKind,
        endpoint: &'static str,
    },
    GzMonthly,
    GzPerProductType,
}

fn usage_of(file: &str) -> Option<Usage> {
    if let Some(name) = file.strip_prefix("bitdefender/") {
        return if name.starts_with("get-monthly-usage-per-product-type") {
            Some(Usage::GzPerProductType)
        } else if name.starts_with("get-monthly-usage") {
            Some(Usage::GzMonthly)
        } else {
            None
        };
    }
    let name = file.strip_prefix("eset/usage-report-")?;
    let reports: [(&str, EsetReportKind, &str); 8] = [
        (
            "all-companies-categories",
            EsetReportKind::Categories,
            "UsageReport/AllCompanies/categories",
        ),
        (
            "all-companies-products",
            EsetReportKind::Products,
            "UsageReport/AllCompanies/products",
        ),
        (
            "selected-companies-categories",
            EsetReportKind::Categories,
            "UsageReport/SelectedCompanies/categories",
        ),
        (
            "selected-companies-products",
            EsetReportKind::Products,
            "UsageReport/SelectedCompanies/products",
        ),
        (
            "monthly-categories",
            EsetReportKind::Categories,
            "UsageReport/Monthly/categories",
        ),
        (
            "monthly-products",
            EsetReportKind::Products,
            "UsageReport/Monthly/products",
        ),
        (
            "daily-categories",
            EsetReportKind::Categories,
            "UsageReport/Daily/categories",
        ),
        (
            "daily-products",
            EsetReportKind::Products,
            "UsageReport/Daily/products",
        ),
    ];
    reports
        .into_iter()
        .find(|(prefix, _, _)| name.starts_with(prefix))
        .map(|(_, kind, endpoint)| Usage::Eset { kind, endpoint })
}

/// ESET parents known from the other fixtures: the children listed in `company-children.json`
/// sit directly below the user's company of `user-current.json`.
fn eset_parents() -> HashMap<String, String> {
    let me = read_json("eset/user-current.json")["company"]["companyId"]
        .as_str()
        .unwrap()
        .to_owned();
    read_json("eset/company-children.json")["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["publicId"].as_str().unwrap().to_owned(), me.clone()))
        .collect()
}

/// The GravityZone company of `get-company-details.json`, used for every GravityZone fixture.
fn gz_company() -> CompanyRef {
    let details = &read_json("bitdefender/get-company-details.json")["result"];
    CompanyRef {
        id: details["id"].as_str().unwrap().to_owned(),
        name: details["name"].as_str().map(str::to_owned),
        parent_id: details["parentCompanyId"].as_str().map(str::to_owned),
        role: CompanyRole::Customer,
    }
}

/// What a usage fixture normalizes to: records (one JSON line each), a "without monthly
/// license" mark, or an error line per company that failed.
enum Outcome {
    Records(Vec<UsageRecord>),
    WithoutMonthlyLicense(String),
    Error(Option<String>, String),
}

fn normalize(file: &str, usage: Usage) -> Vec<Outcome> {
    let body = std::fs::read(fixtures_dir().join(file)).unwrap();
    match usage {
        Usage::Eset { kind, endpoint } => {
            let page: UsageReportResponse = serde_json::from_slice(&body).unwrap();
            let parents = eset_parents();
            page.companies
                .iter()
                .map(|company| {
                    let parent = parents.get(&company.company_id).map(String::as_str);
                    match normalize_eset_company(
                        company,
                        kind,
                        october(),
                        endpoint,
                        parent,
                        CompanyRole::Customer,
                    ) {
                        Ok(records) => Outcome::Records(records),
                        Err(err) => {
                            Outcome::Error(Some(company.company_id.clone()), err.to_string())
                        }
                    }
                })
                .collect()
        }
        Usage::GzMonthly => {
            let envelope: Value = serde_json::from_slice(&body).unwrap();
            let result: GetMonthlyUsageResult =
                serde_json::from_value(envelope["result"].clone()).unwrap();
            let company = gz_company();
            vec![match normalize_gz_monthly(&result, &company, october()) {
                Ok(GzMonthly::Records(records)) => Outcome::Records(records),
                Ok(GzMonthly::WithoutMonthlyLicense) => Outcome::WithoutMonthlyLicense(company.id),
                Err(err) => Outcome::Error(Some(company.id), err.to_string()),
            }]
        }
        Usage::GzPerProductType => {
            let envelope: Value = serde_json::from_slice(&body).unwrap();
            let result: GetMonthlyUsagePerProductTypeResult =
                serde_json::from_value(envelope["result"].clone()).unwrap();
            let company = gz_company();
            vec![
                match normalize_gz_per_product_type(&result, &company, october()) {
                    Ok(records) => Outcome::Records(records),
                    Err(err) => Outcome::Error(Some(company.id), err.to_string()),
                },
            ]
        }
    }
}

fn ndjson(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let lines: Vec<String> = match outcome {
            Outcome::Records(records) => records
                .iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect(),
            Outcome::WithoutMonthlyLicense(company) => {
                vec![serde_json::json!({"without_monthly_license": company}).to_string()]
            }
            Outcome::Error(company, message) => {
                vec![serde_json::json!({"company_id": company, "error": message}).to_string()]
            }
        };
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn snapshot_name(file: &str) -> String {
    file.trim_end_matches(".json").replace('/', "__")
}

#[test]
fn every_fixture_is_snapshotted() {
    let files = fixture_files();
    assert!(
        files.len() >= 10,
        "fixtures not found in {}",
        fixtures_dir().display()
    );
    for (skipped, _) in NOT_USAGE {
        assert!(
            files.iter().any(|f| f == skipped),
            "NOT_USAGE lists a missing fixture {skipped}"
        );
    }
    let mut snapshots = BTreeSet::new();
    for file in &files {
        if NOT_USAGE.iter().any(|(skipped, _)| skipped == file) {
            continue;
        }
        let usage = usage_of(file).unwrap_or_else(|| {
            panic!(
                "new fixture {file}: teach tests/fixtures.rs how to normalize it, or list it in \
                 NOT_USAGE with the reason it is not usage"
            )
        });
        let name = snapshot_name(file);
        insta::assert_snapshot!(name.clone(), ndjson(&normalize(file, usage)));
        snapshots.insert(format!("fixtures__{name}.snap"));
    }
    // No snapshot outlives its fixture.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with("fixtures__") && name.ends_with(".snap") {
            assert!(
                snapshots.contains(&name),
                "snapshot {name} has no fixture any more: delete it"
            );
        }
    }
}

/// Checks every record of every usage fixture against the raw JSON, without the models:
/// the snapshot shows the output, this proves each number is the vendor's.
#[test]
fn fixture_records_carry_the_raw_numbers() {
    for file in fixture_files() {
        let Some(usage) = usage_of(&file) else {
            continue;
        };
        let raw = read_json(&file);
        let outcomes = normalize(&file, usage);
        match usage {
            Usage::Eset { kind, endpoint } => {
                let companies = raw["companies"].as_array().unwrap();
                assert_eq!(companies.len(), outcomes.len(), "{file}");
                for (company, outcome) in companies.iter().zip(&outcomes) {
                    let Outcome::Records(records) = outcome else {
                        panic!("{file}: {} failed", company["companyId"]);
                    };
                    check_eset_company(&file, company, kind, endpoint, records);
                }
            }
            Usage::GzMonthly => match (&raw["result"], &outcomes[..]) {
                (Value::Number(n), [Outcome::WithoutMonthlyLicense(_)]) => {
                    assert_eq!(n.as_u64(), Some(0))
                }
                (result, [Outcome::Records(records)]) => {
                    check_gz_entry(&file, result, None, records)
                }
                _ => panic!("{file}: unexpected outcome"),
            },
            Usage::GzPerProductType => {
                let [Outcome::Records(records)] = &outcomes[..] else {
                    panic!("{file}: failed");
                };
                let mut seen = 0;
                for entry in raw["result"]["usages"].as_array().unwrap() {
                    let product_type = match entry["productType"].as_i64().unwrap() {
                        0 => "endpoint_security".to_owned(),
                        3 => "edr".to_owned(),
                        5 => "phasr".to_owned(),
                        other => other.to_string(),
                    };
                    let mine: Vec<UsageRecord> = records
                        .iter()
                        .filter(|r| r.product_type.as_deref() == Some(&product_type))
                        .cloned()
                        .collect();
                    seen += mine.len();
                    check_gz_entry(&file, entry, Some(&product_type), &mine);
                }
                assert_eq!(seen, records.len(), "{file}: records without an entry");
            }
        }
    }
}

fn check_eset_company(
    file: &str,
    company: &Value,
    kind: EsetReportKind,
    endpoint: &str,
    records: &[UsageRecord],
) {
    let rows = company[kind.rows_key()].as_array().unwrap();
    assert_eq!(records.len(), rows.len() * 2, "{file}: two records per row");
    for row in rows {
        let code = match &row["code"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("{file}: code {other}"),
        };
        let license = match &row["licenseType"] {
            Value::Number(n) if n.as_u64() == Some(1) => Some("full"),
            Value::String(s) if s == "1" => Some("full"),
            Value::Number(n) if n.as_u64() == Some(4) => Some("trial"),
            Value::String(s) if s == "4" => Some("trial"),
            _ => None,
        };
        for (metric, unit, key) in [
            ("seat_days", "seat_day", "seatDays"),
            ("seats", "seat", "seats"),
        ] {
            let record = records
                .iter()
                .find(|r| {
                    *r.product == *code
                        && r.metric.as_str() == metric
                        && r.license_type.map(|l| l.as_str()) == license
                })
                .unwrap_or_else(|| panic!("{file}: no {metric} record for {code}"));
            assert_eq!(record.unit.as_str(), unit);
            assert_eq!(
                record.quantity.as_u64(),
                row[key].as_u64(),
                "{file} {code} {metric}"
            );
            assert_eq!(&*record.company_id, company["companyId"].as_str().unwrap());
            assert_eq!(
                record.company_name.as_deref(),
                company["companyName"].as_str()
            );
            assert_eq!(record.product_name.as_deref(), row["name"].as_str());
            assert_eq!(*record.source, format!("eset:{endpoint}"));
            assert_eq!(
                (record.period_start, record.period_end),
                (october().start, october().end)
            );
            assert_eq!(record.product_type, None);
        }
    }
}

fn check_gz_entry(file: &str, entry: &Value, product_type: Option<&str>, records: &[UsageRecord]) {
    let mut expected = 0;
    for (name, value) in entry.as_object().unwrap() {
        if name == "productType" {
            continue;
        }
        if name == "minimumUsage" {
            for (counter, minimum) in value.as_object().unwrap() {
                expected += 1;
                check_gz_record(
                    file,
                    records,
                    &product_key(counter),
                    "minimum_usage",
                    minimum,
                    product_type,
                );
            }
        } else if value.is_number() {
            expected += 1;
            check_gz_record(
                file,
                records,
                &product_key(name),
                "monthly_usage",
                value,
                product_type,
            );
        }
    }
    assert_eq!(records.len(), expected, "{file}: one record per counter");
}

fn check_gz_record(
    file: &str,
    records: &[UsageRecord],
    product: &str,
    metric: &str,
    value: &Value,
    product_type: Option<&str>,
) {
    let record = records
        .iter()
        .find(|r| &*r.product == product && r.metric.as_str() == metric)
        .unwrap_or_else(|| panic!("{file}: no {metric} record for {product}"));
    assert_eq!(
        record.quantity.as_f64(),
        value.as_f64(),
        "{file} {product} {metric}"
    );
    assert_eq!(record.product_type.as_deref(), product_type);
    assert_eq!(record.license_type, None);
    let company = gz_company();
    assert_eq!(
        (
            &*record.company_id,
            record.company_name.as_deref(),
            record.parent_company_id.as_deref()
        ),
        (
            company.id.as_str(),
            company.name.as_deref(),
            company.parent_id.as_deref()
        )
    );
}
