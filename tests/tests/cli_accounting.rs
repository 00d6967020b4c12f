//! End to end: companies that a vendor names but that report no usage of their own end in
//! `without_usage`, never in no list at all and never as failures (SPEC section 5).
//! - ESET: a Managed MSP (type 1006) with a customer below it and the API user's own company,
//!   both absent from the usage report;
//! - GravityZone: a company answering `{}` and one answering every counter `null`, beside one
//!   answering `0` (no monthly license) and the partner's own usage.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use common::{MONTH, Run, companies, json, run_async};

const ROOT: &str = "b3991cba-e3a6-45d6-b260-201139220069";
const MANAGED_MSP: &str = "5a0c2d1e-7f3b-4c8a-9e61-0b2d3c4e5f60";
const CUSTOMER_A: &str = "0f4faeaf-6bb6-4b07-8f2e-9c1f59aecb7a";
const CUSTOMER_B: &str = "7c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5";
/// A name with an ESC colour sequence, an OSC window title, a right-to-left override and a
/// zero-width space: none may reach a terminal raw.
const HOSTILE_A: &str = "Gärtnerei \u{1b}[31mBlümel\u{1b}]0;pwned\u{7} \u{202e}gnp.exe\u{200b}";
/// B's name, in the tree and in its (unreadable) report entry.
const HOSTILE_B: &str = "Hôtel \u{1b}[2J\u{202e}du Lac\u{200b}";

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

fn answer(body: &Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn usage(id: &str, name: &str, seat_days: u64) -> Value {
    json!({"companyId": id, "companyName": name, "totalUsage": seat_days, "categories": [
        {"code": "ENDPOINT", "name": "Endpoint Protection", "licenseType": 1, "seatDays": seat_days, "seats": seat_days / 31}
    ]})
}

/// ESET: root -> [Managed MSP -> [customer B], customer A]; the report lists A and B only
/// (`"bad"`: B's entry carries a negative count; `"twice"`: A comes again with one more row and
/// once more unchanged, B comes again with another number for the same row; `"renamed"`: B's
/// rows come under `categoryUsages`, a key the schema does not name).
async fn eset(uri: Uri, body: Bytes, mode: &'static str) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match uri.path().trim_start_matches("/api/") {
        "Token/Get" | "Token/Renew" => answer(
            &json!({"accessToken": "access-token-accounting", "refreshToken": "refresh-accounting"}),
        ),
        "User/Current" => {
            answer(&json!({"company": {"companyId": ROOT, "name": "Our MSP", "type": 1005}}))
        }
        "Company/Children" => {
            let children = match request["companyId"].as_str() {
                Some(ROOT) => json!([
                    {"publicId": MANAGED_MSP, "name": "Managed MSP Nord", "type": 1006},
                    {"publicId": CUSTOMER_A, "name": HOSTILE_A, "type": 1007}
                ]),
                Some(MANAGED_MSP) => {
                    let name = if mode == "hostile" {
                        HOSTILE_B
                    } else {
                        "Hôtel du Lac"
                    };
                    json!([{"publicId": CUSTOMER_B, "name": name, "type": 1007}])
                }
                _ => json!([]),
            };
            let count = children.as_array().map_or(0, Vec::len);
            answer(&json!({"companies": children, "paging": {"totalCount": count}}))
        }
        path if path.starts_with("UsageReport/") => {
            let a = usage(CUSTOMER_A, HOSTILE_A, 310);
            let b_name = if mode == "hostile" {
                HOSTILE_B
            } else {
                "Hôtel du Lac"
            };
            let mut b = usage(CUSTOMER_B, b_name, 62);
            if mode == "bad" || mode == "hostile" {
                b["categories"][0]["seatDays"] = json!(-62);
            }
            if mode == "renamed" {
                let rows = b["categories"].take();
                b["categoryUsages"] = rows;
                b["categories"] = json!([]);
            }
            let mut companies = vec![a.clone(), b.clone()];
            if mode == "twice" {
                let mut a_more = a.clone();
                a_more["categories"][0] = json!({"code": "SERVER", "name": "Server Security", "licenseType": 1, "seatDays": 62, "seats": 2});
                let mut b_other = b;
                b_other["categories"][0]["seatDays"] = json!(93);
                companies.extend([a_more, a, b_other]);
            }
            answer(&json!({"companies": companies, "paging": {"totalCount": 2}}))
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

const GZ_ROOT: &str = "6572e499d2128b2f33892f90";
const GZ_EMPTY: &str = "656b64da26f2a74de4651327";
const GZ_NULLS: &str = "6572e499d2128b2f33892f91";
const GZ_NONE: &str = "6572e499d2128b2f33892f92";

/// GravityZone: a partner with three customers: `{}`, every counter null, and `0`.
async fn gravityzone(body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = request["id"].clone();
    let params = &request["params"];
    let reply = |result: Value| answer(&json!({"id": id, "jsonrpc": "2.0", "result": result}));
    match request["method"].as_str().unwrap_or_default() {
        "getCompanyDetails" => reply(json!({"id": GZ_ROOT, "name": "Partner Süd", "type": 0})),
        // The partner's children are all customers: no partner among them.
        "getCompaniesList" if params["filters"]["companyType"] == 0 => reply(json!([])),
        "getCompanyFoldersList" => reply(json!([])),
        "getCompaniesList" if params["parentId"].is_null() || params["parentId"] == GZ_ROOT => {
            reply(json!([
                {"id": GZ_EMPTY, "name": "Empty Answer GmbH"},
                {"id": GZ_NULLS, "name": "Null Counters SARL"},
                {"id": GZ_NONE, "name": "No License ApS"}
            ]))
        }
        "getCompaniesList" => answer(&json!({"id": id, "jsonrpc": "2.0", "error": {
            "code": -32602, "message": "Invalid params", "data": {"details": "Invalid value for 'parentId'"}
        }})),
        "getMonthlyUsage" => match params["companyId"].as_str() {
            Some(GZ_EMPTY) => reply(json!({})),
            Some(GZ_NULLS) => {
                reply(json!({"endpointMonthlyUsage": null, "exchangeMonthlyUsage": null}))
            }
            Some(GZ_NONE) => reply(json!(0)),
            _ => reply(json!({"endpointMonthlyUsage": 40, "exchangeMonthlyUsage": 0})),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn collect(vendor: &str, vars: Vec<(String, String)>) -> Run {
    let home = tempfile::tempdir().unwrap();
    run_async(
        home.path(),
        &[
            "collect", "--month", MONTH, "--format", "json", "--vendor", vendor,
        ],
        &vars,
    )
    .await
}

/// The variables that point the binary at an ESET server on `addr`.
fn eset_vars(addr: SocketAddr) -> Vec<(String, String)> {
    vec![
        ("ESET_MSP_API_URL".into(), format!("http://{addr}/api")),
        ("ESET_MSP_USERNAME".into(), "api@example.test".into()),
        ("ESET_MSP_PASSWORD".into(), "accounting-password".into()),
    ]
}

fn ids(doc: &Value, key: &str) -> BTreeSet<String> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["company_id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn eset_resellers_and_the_own_company_without_rows_are_without_usage() {
    let addr = serve(Router::new().fallback(|uri: Uri, body: Bytes| eset(uri, body, ""))).await;
    let run = collect("eset", eset_vars(addr)).await;

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let doc = json(&run);
    assert_eq!(doc["failures"], json!([]));
    assert_eq!(ids(&doc, "without_usage"), set(&[ROOT, MANAGED_MSP]));
    let msp = doc["without_usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["company_id"] == MANAGED_MSP)
        .unwrap();
    assert_eq!(msp["company_name"], "Managed MSP Nord");
    assert_eq!(msp["parent_company_id"], ROOT);
    assert!(
        msp["reason"].as_str().unwrap().contains("reseller"),
        "{msp}"
    );
    let billed: BTreeSet<String> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["company_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(billed, set(&[CUSTOMER_A, CUSTOMER_B]));
    // Every company the tree names is accounted for exactly once.
    assert_eq!(companies(&doc).len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn gravityzone_answers_without_a_counter_are_without_usage() {
    let addr = serve(Router::new().fallback(|body: Bytes| gravityzone(body))).await;
    let run = collect(
        "bitdefender",
        vec![
            ("GRAVITYZONE_API_URL".into(), format!("http://{addr}/api")),
            (
                "GRAVITYZONE_API_KEY".into(),
                "gz-accounting-key-0001".into(),
            ),
        ],
    )
    .await;

    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let doc = json(&run);
    assert_eq!(doc["failures"], json!([]));
    assert_eq!(ids(&doc, "without_usage"), set(&[GZ_EMPTY, GZ_NULLS]));
    assert_eq!(ids(&doc, "without_monthly_license"), set(&[GZ_NONE]));
    for mark in doc["without_usage"].as_array().unwrap() {
        assert_eq!(mark["parent_company_id"], GZ_ROOT, "{mark}");
        assert!(
            mark["reason"]
                .as_str()
                .unwrap()
                .contains("no usage counter"),
            "{mark}"
        );
    }
    assert_eq!(companies(&doc).len(), 4);
}

/// A vendor that is unusable as a whole (here: a wrong GravityZone key) exits 1, with the other
/// vendor's usage still written and `vendors` saying which failed; a vendor with none of its
/// variables set is skipped with one warning naming them, and listed as `not_configured`.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_vendor_exits_1_with_the_other_written_and_an_unconfigured_one_is_named() {
    let sandbox = usage_sandbox::Sandbox::start(usage_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let mut vars = common::sandbox_env(&sandbox);
    for (name, value) in &mut vars {
        if name == "GRAVITYZONE_API_KEY" {
            *value = "wrong-key-for-this-test".to_owned();
        }
    }
    let home = tempfile::tempdir().unwrap();
    let args = ["collect", "--month", MONTH, "--format", "json"];
    let wrong_key = run_async(home.path(), &args, &vars).await;
    let eset_only: Vec<(String, String)> = vars
        .iter()
        .filter(|(name, _)| !name.starts_with("GRAVITYZONE_"))
        .cloned()
        .collect();
    let skipped = run_async(home.path(), &args, &eset_only).await;
    sandbox.shutdown().await;

    assert_eq!(wrong_key.code, 1, "stderr: {}", wrong_key.stderr);
    let doc = json(&wrong_key);
    let status = |doc: &Value, vendor: &str| {
        doc["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vendor"] == vendor)
            .map(|v| v["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status(&doc, "eset").as_deref(), Some("complete"));
    assert_eq!(status(&doc, "bitdefender").as_deref(), Some("failed"));
    assert!(doc["records"].as_array().unwrap().len() > 100);
    assert!(
        doc["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["vendor"] == "eset")
    );
    assert!(
        wrong_key.stderr.contains("GRAVITYZONE_API_KEY"),
        "{}",
        wrong_key.stderr
    );

    assert_eq!(skipped.code, 0, "stderr: {}", skipped.stderr);
    let doc = json(&skipped);
    assert_eq!(
        status(&doc, "bitdefender").as_deref(),
        Some("not_configured")
    );
    assert_eq!(status(&doc, "eset").as_deref(), Some("complete"));
    let warnings: Vec<&str> = skipped
        .stderr
        .lines()
        .filter(|l| l.contains("GRAVITYZONE_API_KEY"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", skipped.stderr);
    assert!(warnings[0].contains("not configured"), "{}", warnings[0]);
}

/// One ESET entry that does not read (a negative count) fails that company alone: the other
/// companies of its page are billed, and the failure names the company and the JSON path.
#[tokio::test(flavor = "multi_thread")]
async fn one_bad_eset_entry_fails_its_company_alone() {
    let addr = serve(Router::new().fallback(|uri: Uri, body: Bytes| eset(uri, body, "bad"))).await;
    let run = collect("eset", eset_vars(addr)).await;

    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    let doc = json(&run);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["company_id"], CUSTOMER_B);
    assert!(
        failures[0]["message"]
            .as_str()
            .unwrap()
            .contains("companies[1].categories[0].seatDays"),
        "{}",
        failures[0]
    );
    let billed: BTreeSet<String> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["company_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(billed, set(&[CUSTOMER_A]));
    assert_eq!(companies(&doc).len(), 4);
}

/// Usage stated (`totalUsage` above 0) with its rows under a key the schema does not name is a
/// failure naming that key, never a company without a monthly license with zero usage; with
/// `--format csv` the failure is named on standard error.
#[tokio::test(flavor = "multi_thread")]
async fn eset_rows_under_an_unknown_key_fail_their_company_naming_the_key() {
    let addr =
        serve(Router::new().fallback(|uri: Uri, body: Bytes| eset(uri, body, "renamed"))).await;
    let run = collect("eset", eset_vars(addr)).await;

    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    let doc = json(&run);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["company_id"], CUSTOMER_B);
    let message = failures[0]["message"].as_str().unwrap();
    assert!(message.contains("categoryUsages"), "{message}");
    assert!(ids(&doc, "without_monthly_license").is_empty());
    assert_eq!(ids(&doc, "records"), set(&[CUSTOMER_A]));
    assert_eq!(companies(&doc).len(), 4);

    // A CSV user sees the failing company named on standard error, not only counted.
    let home = tempfile::tempdir().unwrap();
    let csv = run_async(
        home.path(),
        &[
            "collect", "--month", MONTH, "--format", "csv", "--vendor", "eset",
        ],
        &eset_vars(addr),
    )
    .await;
    assert_eq!(csv.code, 3, "stderr: {}", csv.stderr);
    assert!(
        csv.stderr
            .lines()
            .any(|l| l.starts_with("failure: ESET") && l.contains(CUSTOMER_B)),
        "{}",
        csv.stderr
    );
    assert!(
        !csv.stdout.contains(CUSTOMER_B),
        "no row for the failed company"
    );
}

/// A company ESET lists twice has its rows merged (a repeated identical entry adds nothing, a
/// new row is added); the same row twice with different numbers makes that company a failure.
#[tokio::test(flavor = "multi_thread")]
async fn a_company_listed_twice_is_merged_or_refused() {
    let addr =
        serve(Router::new().fallback(|uri: Uri, body: Bytes| eset(uri, body, "twice"))).await;
    let run = collect("eset", eset_vars(addr)).await;

    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    let doc = json(&run);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["company_id"], CUSTOMER_B);
    let message = failures[0]["message"].as_str().unwrap();
    assert!(
        message.contains("ENDPOINT") && message.contains("62") && message.contains("93"),
        "{message}"
    );
    let rows: Vec<(String, String, u64)> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["company_id"], CUSTOMER_A);
            (
                r["product"].as_str().unwrap().to_owned(),
                r["metric"].as_str().unwrap().to_owned(),
                r["quantity"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("ENDPOINT".to_owned(), "seat_days".to_owned(), 310),
            ("ENDPOINT".to_owned(), "seats".to_owned(), 10),
            ("SERVER".to_owned(), "seat_days".to_owned(), 62),
            ("SERVER".to_owned(), "seats".to_owned(), 2),
        ]
    );
    assert_eq!(companies(&doc).len(), 4);
}

/// Vendor text with terminal control sequences, bidirectional overrides and zero-width
/// characters reaches neither the table nor standard error raw (a failing company's name is on
/// both).
#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_never_reach_the_terminal_raw() {
    let addr =
        serve(Router::new().fallback(|uri: Uri, body: Bytes| eset(uri, body, "hostile"))).await;
    let home = tempfile::tempdir().unwrap();
    let run = run_async(
        home.path(),
        &[
            "collect", "--month", MONTH, "--format", "table", "--vendor", "eset",
        ],
        &eset_vars(addr),
    )
    .await;

    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("Gärtnerei"), "{}", run.stdout);
    assert!(run.stderr.contains(CUSTOMER_B), "{}", run.stderr);
    // B's failure line carries its (hostile) name from the tree, escaped.
    assert!(run.stderr.contains("Hôtel \\u{1b}[2J"), "{}", run.stderr);
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{200b}'] {
            assert!(!text.contains(bad), "{stream} holds {bad:?}: {text}");
        }
    }
    assert!(
        run.stdout.contains("\\u{202e}"),
        "shown escaped: {}",
        run.stdout
    );
}
