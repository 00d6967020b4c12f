//! Parse + normalize, against parsing the same bytes into `serde_json::Value`.
//!
//! - `eset_page_100x10`: one ESET `UsageReport/AllCompanies/categories` page of 100 companies
//!   with 10 category rows each (2,000 records);
//! - `gz_result_30_counters`: one GravityZone `getMonthlyUsage` result with 30 numeric
//!   counters (25 typed, 5 undocumented) and one minimum (31 records).
//!
//! Throughput is in records, so criterion's "elem/s" is records per second for every line,
//! including the `value_parse` baseline (the same bytes, for the ratio).
//!
//! Run: `cargo bench -p usage-core --bench normalize -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use usage_core::{
    CompanyRef, CompanyRole, EsetReportKind, GzMonthly, Month, Period, normalize_eset_company,
    normalize_gz_monthly,
};
use usage_models::bitdefender::GetMonthlyUsageResult;
use usage_models::eset::UsageReportResponse;

const CATEGORIES: [(&str, &str); 10] = [
    ("ENDPOINT", "Endpoint Protection"),
    ("SERVER", "Server Security"),
    ("MAIL", "Mail Security"),
    ("MOBILE", "Mobile Security"),
    ("ENCRYPTION", "Full Disk Encryption"),
    ("CLOUD_OFFICE", "Cloud Office Security"),
    ("LIVEGUARD", "LiveGuard Advanced"),
    ("INSPECT", "Inspect"),
    ("VULNERABILITY", "Vulnerability & Patch Management"),
    ("MDR", "MDR"),
];

fn october() -> Period {
    Month::new(2026, 10).unwrap().into()
}

/// An AllCompanies/categories page: 100 companies x 10 rows.
fn eset_page() -> Vec<u8> {
    let companies: Vec<Value> = (0..100u64)
        .map(|i| {
            let rows: Vec<Value> = CATEGORIES
                .iter()
                .enumerate()
                .map(|(j, (code, name))| {
                    let seats = (i * 7 + j as u64 * 3) % 200;
                    json!({
                        "code": code, "name": name, "licenseType": if j == 9 { 4 } else { 1 },
                        "seatDays": seats * 31, "seats": seats
                    })
                })
                .collect();
            let total: u64 = rows.iter().map(|r| r["seatDays"].as_u64().unwrap()).sum();
            json!({
                "companyId": format!("{i:08x}-6bb6-4b07-8f2e-9c1f59aecb7a"),
                "companyName": format!("Customer {i} GmbH"),
                "categories": rows,
                "totalUsage": total
            })
        })
        .collect();
    serde_json::to_vec(&json!({"companies": companies, "paging": {"totalCount": 230}})).unwrap()
}

/// A getMonthlyUsage result with 30 numeric counters and one minimum.
fn gz_result() -> Vec<u8> {
    let mut result = serde_json::Map::new();
    for (i, name) in [
        "endpointMonthlyUsage",
        "aLaCarteMonthlyUsage",
        "mspSecureMonthlyUsage",
        "mspSecurePlusMonthlyUsage",
        "mspSecureExtraMonthlyUsage",
        "mspSecureEssentialsMonthlyUsage",
        "emailSecurityMonthlyUsage",
        "mobileSecurityMonthlyUsage",
        "exchangeMonthlyUsage",
        "encryptionMonthlyUsage",
        "atsMonthlyUsage",
        "edrMonthlyUsage",
        "mdrFoundationsMonthlyUsage",
        "mdrResponseMonthlyUsage",
        "patchManagementMonthlyUsage",
        "containerProtectionMonthlyUsage",
        "integrityMonitoringUsage",
        "integrityMonitoring90DaysUsage",
        "integrityMonitoring180DaysUsage",
        "integrityMonitoring1YearUsage",
        "xdrIdentitySensorsMonthlyUsage",
        "xdrProductivitySensorsMonthlyUsage",
        "complianceMonthlyUsage",
        "sveVsMonthlyUsage",
        "aiSecurityMonthlyUsage",
        "easmMonthlyUsage",
        "phasrMonthlyUsage",
        "xdrNetworkSensorsMonthlyUsage",
        "spmMonthlyUsage",
    ]
    .into_iter()
    .enumerate()
    {
        result.insert(name.to_owned(), json!(i * 3));
    }
    result.insert("sveVdiMonthlyUsage".into(), json!(1487.5));
    result.insert("minimumUsage".into(), json!({"endpointMonthlyUsage": 50}));
    serde_json::to_vec(&result).unwrap()
}

fn eset_normalize(bytes: &[u8]) -> usize {
    let page: UsageReportResponse = serde_json::from_slice(bytes).unwrap();
    let mut records = 0;
    for company in &page.companies {
        let normalized = normalize_eset_company(
            company,
            EsetReportKind::Categories,
            october(),
            "UsageReport/AllCompanies/categories",
            None,
            CompanyRole::Customer,
        )
        .unwrap();
        records += normalized.len();
        black_box(normalized);
    }
    records
}

fn gz_normalize(bytes: &[u8], company: &CompanyRef) -> usize {
    let result: GetMonthlyUsageResult = serde_json::from_slice(bytes).unwrap();
    match normalize_gz_monthly(&result, company, october()).unwrap() {
        GzMonthly::Records(records) => {
            let n = records.len();
            black_box(records);
            n
        }
        GzMonthly::WithoutMonthlyLicense => 0,
    }
}

fn benches(c: &mut Criterion) {
    let eset = eset_page();
    let eset_records = eset_normalize(&eset);
    assert_eq!(eset_records, 2000);
    let mut group = c.benchmark_group("eset_page_100x10");
    group.throughput(Throughput::Elements(eset_records as u64));
    group.bench_function("typed_parse_normalize", |b| {
        b.iter(|| eset_normalize(black_box(&eset)))
    });
    group.bench_function("typed_parse_only", |b| {
        b.iter(|| serde_json::from_slice::<UsageReportResponse>(black_box(&eset)).unwrap())
    });
    group.bench_function("value_parse", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&eset)).unwrap())
    });
    group.finish();

    let gz = gz_result();
    let company = CompanyRef {
        id: "6572e499d2128b2f33892f90".into(),
        name: Some("Müller Haustechnik GmbH & Co. KG".into()),
        parent_id: Some("64f1a2c3b1a43d5e8c7b23a1".into()),
        role: CompanyRole::Customer,
    };
    let gz_records = gz_normalize(&gz, &company);
    assert_eq!(gz_records, 31);
    let mut group = c.benchmark_group("gz_result_30_counters");
    group.throughput(Throughput::Elements(gz_records as u64));
    group.bench_function("typed_parse_normalize", |b| {
        b.iter(|| gz_normalize(black_box(&gz), &company))
    });
    group.bench_function("typed_parse_only", |b| {
        b.iter(|| serde_json::from_slice::<GetMonthlyUsageResult>(black_box(&gz)).unwrap())
    });
    group.bench_function("value_parse", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&gz)).unwrap())
    });
    group.finish();
}

criterion_group!(normalize, benches);
criterion_main!(normalize);
