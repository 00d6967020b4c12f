//! End to end: the built `msp-usage` binary against the sandbox.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{MONTH, companies, json, run, run_async, sandbox_env};
use serde_json::Value;
use usage_sandbox::{Sandbox, SandboxConfig};

fn records(doc: &Value) -> Vec<Value> {
    doc["records"].as_array().unwrap().clone()
}

/// A sandbox run's accounting, one line per company (short enough to read line by line): the
/// `vendors` statuses, the `without_usage` and `without_monthly_license` lists, the failures,
/// then every company with records: vendor, role, id, parent, name and how many records, in the
/// tree's order (by vendor, role, parent, name).
fn accounting(doc: &Value) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    let text = |v: &Value| v.as_str().map_or_else(|| "-".to_owned(), str::to_owned);
    let mut out = String::new();
    writeln!(out, "vendors:").unwrap();
    for v in doc["vendors"].as_array().unwrap() {
        writeln!(
            out,
            "  {} {} companies={} records={} failures={}",
            text(&v["vendor"]),
            text(&v["status"]),
            v["companies"],
            v["records"],
            v["failures"]
        )
        .unwrap();
    }
    for key in ["without_usage", "without_monthly_license", "failures"] {
        writeln!(out, "{key}:").unwrap();
        for w in doc[key].as_array().unwrap() {
            let detail = w.get("reason").or(w.get("message")).map(text);
            writeln!(
                out,
                "  {} {} parent={} {:?}{}",
                text(&w["vendor"]),
                text(&w["company_id"]),
                text(&w["parent_company_id"]),
                text(&w["company_name"]),
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            )
            .unwrap();
        }
    }
    let rank = |role: &str| {
        ["msp", "reseller", "customer"]
            .iter()
            .position(|r| *r == role)
    };
    let mut by_company: BTreeMap<(String, Option<usize>, String, String, String), usize> =
        BTreeMap::new();
    for r in doc["records"].as_array().unwrap() {
        let role = text(&r["company_role"]);
        *by_company
            .entry((
                text(&r["vendor"]),
                rank(&role),
                text(&r["parent_company_id"]),
                text(&r["company_name"]),
                text(&r["company_id"]),
            ))
            .or_default() += 1;
    }
    writeln!(
        out,
        "companies with records (vendor role id parent name: records):"
    )
    .unwrap();
    for ((vendor, rank, parent, name, id), n) in by_company {
        let role = rank
            .and_then(|r| ["msp", "reseller", "customer"].get(r))
            .unwrap_or(&"?");
        writeln!(out, "  {vendor} {role} {id} parent={parent} {name:?}: {n}").unwrap();
    }
    out
}

#[test]
fn every_format_holds_the_same_records_and_runs_are_byte_identical() {
    let home = tempfile::tempdir().unwrap();
    let args =
        |format: &'static str| ["collect", "--sandbox", "--month", MONTH, "--format", format];

    let first = run(home.path(), &args("json"), &[]);
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    let doc = json(&first);
    assert_eq!(doc["month"], MONTH);
    insta::assert_snapshot!("sandbox_run_accounting", accounting(&doc));
    // The GravityZone companies kept in company folders (three customers and a partner, two
    // folders deep) are collected with the company above the folders as their parent.
    let data = usage_sandbox::Dataset::new(SandboxConfig::default().seed);
    let root = &data.gravityzone_root().id;
    let in_folders: Vec<&usage_sandbox::GzCompany> = data
        .gravityzone_companies()
        .iter()
        .filter(|c| c.folder_id.is_some())
        .collect();
    assert_eq!(in_folders.len(), 4);
    for company in in_folders {
        let record = doc["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["company_id"] == company.id.as_str())
            .unwrap_or_else(|| panic!("{} (in a folder) has no record", company.id));
        assert_eq!(record["parent_company_id"], root.as_str());
        let role = if company.company_type == 0 {
            "reseller"
        } else {
            "customer"
        };
        assert_eq!(record["company_role"], role);
    }
    let expected = records(&doc);
    assert!(expected.len() > 500, "only {} records", expected.len());
    assert!(doc["failures"].as_array().unwrap().is_empty());
    assert!(
        !doc["without_monthly_license"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let vendors: BTreeSet<&str> = expected
        .iter()
        .map(|r| r["vendor"].as_str().unwrap())
        .collect();
    assert_eq!(vendors, BTreeSet::from(["bitdefender", "eset"]));

    // Every company of the sandbox is accounted for: in the records or listed without usage
    // (the ESET API user's own company and a managed MSP: no usage of their own).
    let dataset = usage_sandbox::Dataset::new(SandboxConfig::default().seed);
    let expected_companies: BTreeSet<(String, String)> = std::iter::once(dataset.eset_root())
        .chain(dataset.eset_companies())
        .map(|c| ("eset".to_string(), c.id.clone()))
        .chain(
            dataset
                .gravityzone_companies()
                .iter()
                .map(|c| ("bitdefender".to_string(), c.id.clone())),
        )
        .collect();
    assert_eq!(expected_companies.len(), 211);
    // Without usage: the API user's own company and the managed MSP without licenses, both
    // absent from ESET's usage report, never failures.
    let without_usage: BTreeSet<&str> = doc["without_usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["company_id"].as_str().unwrap())
        .collect();
    let managed_msp = dataset.eset_managed_msp_without_usage().unwrap();
    assert_eq!(
        without_usage,
        BTreeSet::from([dataset.eset_root().id.as_str(), managed_msp.id.as_str()])
    );
    assert_eq!(companies(&doc), expected_companies);

    let second = run(home.path(), &args("json"), &[]);
    assert_eq!(first.stdout, second.stdout, "two runs differ");

    let ndjson = run(home.path(), &args("ndjson"), &[]);
    assert_eq!(ndjson.code, 0, "stderr: {}", ndjson.stderr);
    let lines: Vec<Value> = ndjson
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, expected);

    let csv_run = run(home.path(), &args("csv"), &[]);
    assert_eq!(csv_run.code, 0, "stderr: {}", csv_run.stderr);
    let mut reader = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
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
            "source"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected.len());
    for (row, record) in rows.iter().zip(&expected) {
        for (field, cell) in header.iter().zip(row.iter()) {
            let want = match &record[field.as_str()] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(cell, want, "field {field} of {record}");
        }
    }

    let table = run(home.path(), &args("table"), &[]);
    assert_eq!(table.code, 0, "stderr: {}", table.stderr);
    assert!(table.stdout.contains("Totals"));
    assert!(table.stdout.contains("Without a monthly license"));
}

#[test]
fn skip_zero_drops_only_zero_quantities() {
    let home = tempfile::tempdir().unwrap();
    let all = json(&run(
        home.path(),
        &["collect", "--sandbox", "--month", MONTH, "--format", "json"],
        &[],
    ));
    let skipped = json(&run(
        home.path(),
        &[
            "collect",
            "--sandbox",
            "--month",
            MONTH,
            "--format",
            "json",
            "--skip-zero",
        ],
        &[],
    ));
    let nonzero: Vec<Value> = records(&all)
        .into_iter()
        .filter(|r| r["quantity"].as_f64() != Some(0.0))
        .collect();
    assert!(
        nonzero.len() < records(&all).len(),
        "the sandbox has zero rows"
    );
    assert_eq!(records(&skipped), nonzero);
}

#[test]
fn product_types_add_separate_records() {
    let home = tempfile::tempdir().unwrap();
    let doc = json(&run(
        home.path(),
        &[
            "collect",
            "--sandbox",
            "--month",
            MONTH,
            "--vendor",
            "bitdefender",
            "--product-types",
            "--format",
            "json",
        ],
        &[],
    ));
    let typed: BTreeSet<String> = records(&doc)
        .iter()
        .filter_map(|r| r["product_type"].as_str().map(String::from))
        .collect();
    assert!(typed.contains("endpoint_security"), "{typed:?}");
    assert!(typed.contains("edr"), "{typed:?}");
    assert!(records(&doc).iter().any(|r| r["product_type"].is_null()));
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_and_short_tokens_lose_and_duplicate_nothing() {
    let home = tempfile::tempdir().unwrap();
    let clean = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let args = [
        "collect", "--month", MONTH, "--format", "json", "--vendor", "all",
    ];
    let baseline = run_async(home.path(), &args, &sandbox_env(&clean)).await;
    assert_eq!(baseline.code, 0, "stderr: {}", baseline.stderr);
    clean.shutdown().await;

    let faulty = Sandbox::start(SandboxConfig {
        fault_rate: 0.2,
        fault_seed: 2026,
        eset_token_lifetime: Duration::from_secs(2),
        slow_response: Duration::from_secs(3),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mut vars = sandbox_env(&faulty);
    vars.push(("MSP_USAGE_TIMEOUT_SECS".into(), "1".into()));
    // One request in five fails: 5 attempts would all fail about once in 3,000 requests (and a
    // run makes about 250), so give each request 10 (about once in 10 million).
    vars.push(("MSP_USAGE_MAX_ATTEMPTS".into(), "10".into()));
    let stressed = run_async(home.path(), &args, &vars).await;
    assert_eq!(stressed.code, 0, "stderr: {}", stressed.stderr);
    let faults: u64 = faulty
        .request_counts()
        .iter()
        .filter(|(k, _)| k.starts_with("fault:"))
        .map(|(_, v)| *v)
        .sum();
    faulty.shutdown().await;
    assert!(faults > 10, "only {faults} faults were injected");
    assert_eq!(json(&stressed), json(&baseline));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanently_failing_company_is_listed_and_nothing_else_is_lost() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "collect", "--month", MONTH, "--format", "json", "--vendor", "all",
    ];
    let clean = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let baseline = json(&run_async(home.path(), &args, &sandbox_env(&clean)).await);
    clean.shutdown().await;

    // A GravityZone customer with records.
    let victim = records(&baseline)
        .iter()
        .find(|r| r["vendor"] == "bitdefender" && r["parent_company_id"].is_string())
        .map(|r| r["company_id"].as_str().unwrap().to_string())
        .unwrap();
    let broken = Sandbox::start(SandboxConfig {
        fail_company: Some(victim.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let result = run_async(home.path(), &args, &sandbox_env(&broken)).await;
    broken.shutdown().await;
    assert_eq!(result.code, 3, "stderr: {}", result.stderr);
    let doc = json(&result);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["company_id"], victim.as_str());
    assert_eq!(failures[0]["vendor"], "bitdefender");
    assert_eq!(companies(&doc), companies(&baseline));
    let without_victim = |d: &Value| -> Vec<Value> {
        records(d)
            .into_iter()
            .filter(|r| r["company_id"] != victim.as_str())
            .collect()
    };
    assert_eq!(without_victim(&doc), without_victim(&baseline));
}

#[test]
fn schema_prints_the_committed_record_schema() {
    let home = tempfile::tempdir().unwrap();
    let result = run(home.path(), &["schema"], &[]);
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/usage-record.json"),
    )
    .unwrap();
    assert_eq!(result.stdout, committed);
}

/// ESET: a usage-report page that fails for good never lets the run exit 0; every company the
/// tree names is still accounted for (the page's own failure included). With `--company`, ids
/// match without regard to case and a failing company never takes a healthy one with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_eset_page_is_a_failure_and_selected_companies_fail_alone() {
    let home = tempfile::tempdir().unwrap();
    let all = [
        "collect", "--month", MONTH, "--format", "json", "--vendor", "eset",
    ];
    let clean = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let baseline = json(&run_async(home.path(), &all, &sandbox_env(&clean)).await);
    // Companies with records, in the order the report pages them: the victim on the last
    // page (the first page read fine), a healthy one on the first.
    let billed: BTreeSet<String> = records(&baseline)
        .iter()
        .map(|r| r["company_id"].as_str().unwrap().to_string())
        .collect();
    let in_report_order: Vec<String> = clean
        .dataset()
        .eset_companies()
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| billed.contains(id))
        .collect();
    clean.shutdown().await;
    let (victim, healthy) = (
        in_report_order.last().unwrap().clone(),
        in_report_order[0].clone(),
    );

    let broken = Sandbox::start(SandboxConfig {
        fail_company: Some(victim.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let env = sandbox_env(&broken);
    let whole = run_async(home.path(), &all, &env).await;
    let upper = healthy.to_uppercase();
    let selected: Vec<&str> = vec![
        "collect",
        "--month",
        MONTH,
        "--format",
        "json",
        "--vendor",
        "eset",
        "--company",
        &victim,
        "--company",
        &upper,
    ];
    let picked = run_async(home.path(), &selected, &env).await;
    broken.shutdown().await;

    // The whole run: the lost page is a failure of its own, nothing is dropped, exit 3.
    assert_eq!(whole.code, 3, "stderr: {}", whole.stderr);
    let doc = json(&whole);
    let failures = doc["failures"].as_array().unwrap();
    assert!(
        failures.iter().any(|f| f["company_id"].is_null()
            && f["message"].as_str().unwrap().contains("usage report")),
        "{failures:?}"
    );
    let failed: BTreeSet<&str> = failures
        .iter()
        .filter_map(|f| f["company_id"].as_str())
        .collect();
    assert!(failed.contains(victim.as_str()), "{failed:?}");
    assert_eq!(companies(&doc), companies(&baseline));

    // Two selected companies, one failing: the other is collected whole, under its own id.
    assert_eq!(picked.code, 3, "stderr: {}", picked.stderr);
    let doc = json(&picked);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["company_id"], victim.as_str());
    // The same records, but for the report they came from (SelectedCompanies, not All).
    let of = |d: &Value, id: &str| -> Vec<Value> {
        records(d)
            .into_iter()
            .filter(|r| r["company_id"] == id)
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("source");
                r
            })
            .collect()
    };
    assert!(!of(&doc, &healthy).is_empty());
    assert_eq!(of(&doc, &healthy), of(&baseline, &healthy));
    assert_eq!(records(&doc).len(), of(&doc, &healthy).len());
}
