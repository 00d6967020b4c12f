//! The drift knob: off by default and invisible; on, it adds exactly the documented fields and
//! the one changed type, in exactly the documented answers, and nothing else changes a byte.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Answer, Harness, period};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usage_sandbox::{SandboxConfig, drift};

/// The seed of every sandbox here.
const SEED: u64 = 42;

/// Which drift change an answer is expected to carry when the knob is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// None: byte for byte the drift-off answer.
    Unchanged,
    /// `companies[*].resellerId` and `companies[*].{categories,products}[*].billingGroup`.
    EsetReport,
    /// Top-level `mfaMethod`.
    UserCurrent,
    /// `result.aiSecurityMonthlyUsage`; with `true`, `result.sveVdiMonthlyUsage` as a string too.
    GzMonthly { type_change: bool },
}

/// One answer of a fixed call list.
struct Call {
    label: String,
    expect: Expect,
    status: StatusCode,
    body: Vec<u8>,
}

fn call(label: impl Into<String>, expect: Expect, answer: Answer) -> Call {
    Call {
        label: label.into(),
        expect,
        status: answer.status,
        body: answer.bytes,
    }
}

/// The token values of a Token/Get or Token/Renew answer replaced by a marker: they differ
/// between two sandboxes by design (they carry the time and a per-process secret).
fn mask_tokens(mut answer: Answer) -> Answer {
    let mut text = String::from_utf8(answer.bytes.clone()).unwrap();
    for key in ["accessToken", "refreshToken"] {
        let token = answer.json[key].as_str().unwrap().to_string();
        text = text.replace(&token, "<token>");
    }
    answer.bytes = text.into_bytes();
    answer
}

/// Every kind of answer both vendors give, in a fixed order, for March 2026.
async fn calls(h: &Harness) -> Vec<Call> {
    use Expect::{EsetReport, GzMonthly, Unchanged, UserCurrent};
    let data = h.sandbox.dataset();
    let mut out = Vec::new();

    // ---- ESET
    let (token, refresh) = h.eset_login().await;
    let login = h
        .eset_post_anon(
            "Token/Get",
            &json!({"username": "api@sandbox.example", "password": "sandbox-password"}),
        )
        .await;
    out.push(call("Token/Get", Unchanged, mask_tokens(login)));
    let renewed = h
        .eset_post(&token, "Token/Renew", &json!({"refreshToken": refresh}))
        .await;
    out.push(call("Token/Renew", Unchanged, mask_tokens(renewed)));
    out.push(call(
        "Token/Check",
        Unchanged,
        h.eset_post_anon("Token/Check", &json!({"accessToken": token}))
            .await,
    ));
    out.push(call(
        "User/Current",
        UserCurrent,
        h.eset_get(&token, "User/Current").await,
    ));
    let root = data.eset_root().id.clone();
    let mut list = json!({"companyId": root, "skip": 0, "take": 100});
    out.push(call(
        "Company/Children",
        Unchanged,
        h.eset_post(&token, "Company/Children", &list).await,
    ));
    list["entityType"] = json!("Any");
    out.push(call(
        "Company/Descendants",
        Unchanged,
        h.eset_post(&token, "Company/Descendants", &list).await,
    ));
    let (from, to) = ("2026-03-01", "2026-03-31");
    // Companies with several rows (the same ones for the same seed, drift or not).
    let all = h
        .eset_post(
            &token,
            "UsageReport/AllCompanies/categories",
            &period(from, to, 0, 100),
        )
        .await;
    let busy: Vec<Value> = all.json["companies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["categories"].as_array().unwrap().len() > 1)
        .take(3)
        .map(|c| c["companyId"].clone())
        .collect();
    assert_eq!(busy.len(), 3);
    for kind in ["categories", "products"] {
        for skip in [0, 100] {
            out.push(call(
                format!("UsageReport/AllCompanies/{kind} skip {skip}"),
                EsetReport,
                h.eset_post(
                    &token,
                    &format!("UsageReport/AllCompanies/{kind}"),
                    &period(from, to, skip, 100),
                )
                .await,
            ));
        }
        let mut selected = period(from, to, 0, 100);
        selected["companyIds"] = json!(busy);
        out.push(call(
            format!("UsageReport/SelectedCompanies/{kind}"),
            EsetReport,
            h.eset_post(
                &token,
                &format!("UsageReport/SelectedCompanies/{kind}"),
                &selected,
            )
            .await,
        ));
        for scope in ["Monthly", "Daily"] {
            let mut one = period(from, to, 0, 100);
            one["companyId"] = busy[0].clone();
            out.push(call(
                format!("UsageReport/{scope}/{kind}"),
                EsetReport,
                h.eset_post(&token, &format!("UsageReport/{scope}/{kind}"), &one)
                    .await,
            ));
        }
    }
    // A filtered report, and errors.
    let mut filtered = period(from, to, 0, 20);
    filtered["categories"] = json!(["ENDPOINT"]);
    out.push(call(
        "UsageReport/AllCompanies/categories filtered",
        EsetReport,
        h.eset_post(&token, "UsageReport/AllCompanies/categories", &filtered)
            .await,
    ));
    out.push(call(
        "UsageReport bad request",
        Unchanged,
        h.eset_post(
            &token,
            "UsageReport/AllCompanies/products",
            &period(to, from, 0, 100),
        )
        .await,
    ));
    out.push(call(
        "unknown route",
        Unchanged,
        h.eset_post(&token, "UsageReport/Yearly/products", &json!({}))
            .await,
    ));

    // ---- GravityZone
    let gz_root = data.gravityzone_root().id.clone();
    let drifting = data.drift_type_change_company().id.clone();
    let without = data.gravityzone_without_monthly_license().id.clone();
    let partner = data
        .gravityzone_companies()
        .iter()
        .find(|c| c.company_type == 0 && c.depth == 1)
        .unwrap()
        .id
        .clone();
    let customer = data
        .gravityzone_companies()
        .iter()
        .find(|c| c.company_type == 1 && c.monthly_license && c.id != drifting && c.depth == 2)
        .unwrap()
        .id
        .clone();
    for (label, params) in [
        ("root", json!({})),
        ("partner", json!({"parentId": partner})),
    ] {
        out.push(call(
            format!("getCompaniesList {label}"),
            Unchanged,
            h.gz("network", "getCompaniesList", params).await,
        ));
    }
    for id in [None, Some(&drifting), Some(&without), Some(&partner)] {
        let params = id.map_or_else(|| json!({}), |id| json!({"companyId": id}));
        out.push(call(
            format!("getCompanyDetails {id:?}"),
            Unchanged,
            h.gz("companies", "getCompanyDetails", params.clone()).await,
        ));
        out.push(call(
            format!("getLicenseInfo {id:?}"),
            Unchanged,
            h.gz("licensing", "getLicenseInfo", params).await,
        ));
    }
    let month = "03/2026";
    for (label, id, expect) in [
        ("root", None, GzMonthly { type_change: false }),
        (
            "root by id",
            Some(&gz_root),
            GzMonthly { type_change: false },
        ),
        ("partner", Some(&partner), GzMonthly { type_change: false }),
        (
            "customer",
            Some(&customer),
            GzMonthly { type_change: false },
        ),
        (
            "type-change company",
            Some(&drifting),
            GzMonthly { type_change: true },
        ),
        ("without monthly license", Some(&without), Unchanged),
    ] {
        let mut params = json!({"targetMonth": month});
        if let Some(id) = id {
            params["companyId"] = json!(id);
        }
        out.push(call(
            format!("getMonthlyUsagePerProductType {label}"),
            Unchanged,
            h.gz("licensing", "getMonthlyUsagePerProductType", params.clone())
                .await,
        ));
        out.push(call(
            format!("getMonthlyUsage {label}"),
            expect,
            h.gz("licensing", "getMonthlyUsage", params.clone()).await,
        ));
        for product_type in [3, 5] {
            params["productType"] = json!(product_type);
            out.push(call(
                format!("getMonthlyUsage {label} productType {product_type}"),
                expect,
                h.gz("licensing", "getMonthlyUsage", params.clone()).await,
            ));
        }
    }
    out.push(call(
        "getMonthlyUsage other month, type-change company",
        GzMonthly { type_change: true },
        h.gz(
            "licensing",
            "getMonthlyUsage",
            json!({"companyId": drifting, "targetMonth": "11/2025"}),
        )
        .await,
    ));
    out.push(call(
        "getMonthlyUsage invalid params",
        Unchanged,
        h.gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": "2026-03"}),
        )
        .await,
    ));
    out
}

/// Where in a body the drift keys occur (any depth), and where `sveVdiMonthlyUsage` is not a
/// number: `(json path, key)`.
fn drift_marks(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{path}.{key}");
                let is_drift_key = [
                    drift::ESET_COMPANY_FIELD,
                    drift::ESET_ROW_FIELD,
                    drift::ESET_USER_FIELD,
                    drift::GZ_COUNTER,
                ]
                .contains(&key.as_str());
                if is_drift_key || (key == drift::GZ_TYPE_CHANGE_FIELD && !child.is_number()) {
                    out.push((here.clone(), key.clone()));
                }
                drift_marks(child, &here, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                drift_marks(item, &format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}

/// How many `sveVdiMonthlyUsage` keys a body has.
fn vdi_count(value: &Value) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| usize::from(k == drift::GZ_TYPE_CHANGE_FIELD) + vdi_count(v))
            .sum(),
        Value::Array(items) => items.iter().map(vdi_count).sum(),
        _ => 0,
    }
}

/// Replaces every occurrence of `from` by `to`, returning how many there were.
fn replace_counted(text: &mut String, from: &str, to: &str) -> usize {
    let count = text.matches(from).count();
    *text = text.replace(from, to);
    count
}

/// Checks that a drift-on body carries exactly the expected changes, and returns it with those
/// changes undone, textually (so the caller can compare bytes with the drift-off body).
fn undo_drift(call: &Call, reseller_id: &str) -> Vec<u8> {
    let json: Value = serde_json::from_slice(&call.body).unwrap();
    let mut text = String::from_utf8(call.body.clone()).unwrap();
    let mut marks = Vec::new();
    drift_marks(&json, "$", &mut marks);
    let label = &call.label;
    match call.expect {
        Expect::Unchanged => {
            assert!(marks.is_empty(), "{label}: unexpected drift {marks:?}");
        }
        Expect::EsetReport => {
            let companies = json["companies"].as_array().unwrap();
            assert!(!companies.is_empty(), "{label}: no companies");
            let mut expected = Vec::new();
            for (i, company) in companies.iter().enumerate() {
                assert_eq!(company[drift::ESET_COMPANY_FIELD], json!(reseller_id));
                expected.push((
                    format!("$.companies[{i}].resellerId"),
                    drift::ESET_COMPANY_FIELD.to_string(),
                ));
                for rows in ["categories", "products"] {
                    let Some(rows_list) = company[rows].as_array() else {
                        continue;
                    };
                    for (j, row) in rows_list.iter().enumerate() {
                        assert_eq!(row[drift::ESET_ROW_FIELD], json!(drift::ESET_ROW_VALUE));
                        expected.push((
                            format!("$.companies[{i}].{rows}[{j}].billingGroup"),
                            drift::ESET_ROW_FIELD.to_string(),
                        ));
                    }
                }
            }
            marks.sort();
            expected.sort();
            assert_eq!(marks, expected, "{label}");
            let rows = expected.len() - companies.len();
            assert!(rows > 0, "{label}: no rows to carry billingGroup");
            assert_eq!(
                replace_counted(&mut text, &format!(",\"resellerId\":\"{reseller_id}\""), ""),
                companies.len(),
                "{label}"
            );
            assert_eq!(
                replace_counted(&mut text, ",\"billingGroup\":\"standard\"", ""),
                rows,
                "{label}"
            );
        }
        Expect::UserCurrent => {
            assert_eq!(
                marks,
                vec![("$.mfaMethod".to_string(), "mfaMethod".to_string())],
                "{label}"
            );
            assert_eq!(json["mfaMethod"], json!("authenticator"));
            assert_eq!(
                replace_counted(&mut text, ",\"mfaMethod\":\"authenticator\"", ""),
                1
            );
        }
        Expect::GzMonthly { type_change } => {
            let result = &json["result"];
            assert!(result.is_object(), "{label}: {json}");
            let counter = result[drift::GZ_COUNTER].as_u64().unwrap();
            assert!((1..=12).contains(&counter), "{label}: {counter}");
            let mut expected = vec![(
                "$.result.aiSecurityMonthlyUsage".to_string(),
                drift::GZ_COUNTER.to_string(),
            )];
            assert_eq!(
                replace_counted(
                    &mut text,
                    &format!(",\"aiSecurityMonthlyUsage\":{counter}"),
                    ""
                ),
                1,
                "{label}"
            );
            let vdi = &result[drift::GZ_TYPE_CHANGE_FIELD];
            if type_change {
                let shown = vdi.as_str().unwrap();
                // A string holding a number.
                assert!(shown.parse::<f64>().is_ok(), "{label}: {shown}");
                expected.push((
                    "$.result.sveVdiMonthlyUsage".to_string(),
                    drift::GZ_TYPE_CHANGE_FIELD.to_string(),
                ));
                assert_eq!(
                    replace_counted(
                        &mut text,
                        &format!("\"sveVdiMonthlyUsage\":\"{shown}\""),
                        &format!("\"sveVdiMonthlyUsage\":{shown}"),
                    ),
                    1,
                    "{label}"
                );
            } else {
                assert!(vdi.is_number(), "{label}: {vdi}");
            }
            marks.sort();
            expected.sort();
            assert_eq!(marks, expected, "{label}");
        }
    }
    text.into_bytes()
}

#[tokio::test]
async fn drift_is_off_by_default_and_leaves_no_trace() {
    assert!(!SandboxConfig::default().drift);
    let h = Harness::start(SandboxConfig::default().with_seed(SEED)).await;
    let mut vdi_seen = 0;
    for call in calls(&h).await {
        let json: Value = serde_json::from_slice(&call.body).unwrap();
        let mut marks = Vec::new();
        drift_marks(&json, "$", &mut marks);
        assert!(marks.is_empty(), "{}: {marks:?}", call.label);
        for key in [
            "resellerId",
            "billingGroup",
            "mfaMethod",
            "aiSecurityMonthlyUsage",
        ] {
            let text = String::from_utf8(call.body.clone()).unwrap();
            assert!(!text.contains(key), "{}: {key}", call.label);
        }
        vdi_seen += vdi_count(&json);
    }
    assert!(
        vdi_seen > 10,
        "sveVdiMonthlyUsage was checked ({vdi_seen} times)"
    );
}

#[tokio::test]
async fn drift_adds_exactly_the_listed_changes_and_nothing_else() {
    let off = Harness::start(SandboxConfig::default().with_seed(SEED)).await;
    let on = Harness::start(SandboxConfig::default().with_seed(SEED).with_drift(true)).await;
    assert!(on.sandbox.config().drift);
    let reseller_id = on.sandbox.dataset().drift_reseller_id().to_string();
    assert_eq!(reseller_id, off.sandbox.dataset().drift_reseller_id());
    let plain = calls(&off).await;
    let drifted = calls(&on).await;
    assert_eq!(plain.len(), drifted.len());
    let mut seen = [0usize; 4];
    for (before, after) in plain.iter().zip(&drifted) {
        assert_eq!(before.label, after.label);
        assert_eq!(before.status, after.status, "{}", after.label);
        let undone = undo_drift(after, &reseller_id);
        assert_eq!(
            String::from_utf8_lossy(&undone),
            String::from_utf8_lossy(&before.body),
            "{}: only the drift differs",
            after.label
        );
        if after.expect == Expect::Unchanged {
            assert_eq!(after.body, before.body, "{}", after.label);
        } else {
            assert_ne!(after.body, before.body, "{}", after.label);
        }
        let slot = match after.expect {
            Expect::Unchanged => 0,
            Expect::EsetReport => 1,
            Expect::UserCurrent => 2,
            Expect::GzMonthly { .. } => 3,
        };
        seen[slot] += 1;
    }
    // Every kind was exercised: 8 report endpoints (+2 extra pages, +1 filtered), User/Current,
    // the getMonthlyUsage object answers.
    assert_eq!(seen[1], 11);
    assert_eq!(seen[2], 1);
    assert_eq!(seen[3], 16);
    assert!(seen[0] > 20);
}

#[tokio::test]
async fn the_type_change_hits_one_monthly_customer_only() {
    let on = Harness::start(SandboxConfig::default().with_seed(SEED).with_drift(true)).await;
    let data = on.sandbox.dataset();
    let drifting = data.drift_type_change_company().clone();
    assert_eq!(drifting.company_type, 1, "a customer");
    assert!(drifting.monthly_license);
    // A customer in the first customers of dataset order (depth 1 comes before depth 2).
    let position = data
        .gravityzone_companies()
        .iter()
        .position(|c| c.id == drifting.id)
        .unwrap();
    assert!(position > 0, "never the root");
    // Every company's getMonthlyUsage: a string exactly for that one.
    let mut strings = Vec::new();
    for company in data.gravityzone_companies() {
        let answer = on
            .gz(
                "licensing",
                "getMonthlyUsage",
                json!({"companyId": company.id, "targetMonth": "03/2026"}),
            )
            .await;
        let result = &answer.json["result"];
        if !company.monthly_license {
            assert_eq!(result, &json!(0), "the 0 answer stays 0");
            continue;
        }
        assert!(result[drift::GZ_COUNTER].is_u64(), "{}", company.id);
        match &result[drift::GZ_TYPE_CHANGE_FIELD] {
            Value::String(text) => strings.push((company.id.clone(), text.clone())),
            other => assert!(other.is_number(), "{}: {other}", company.id),
        }
    }
    assert_eq!(strings.len(), 1, "{strings:?}");
    assert_eq!(strings[0].0, drifting.id);
    // The string is the number the drift-off answer gives.
    let off = Harness::start(SandboxConfig::default().with_seed(SEED)).await;
    let plain = off
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"companyId": drifting.id, "targetMonth": "03/2026"}),
        )
        .await;
    let number = plain.json["result"][drift::GZ_TYPE_CHANGE_FIELD]
        .as_f64()
        .unwrap();
    assert_eq!(strings[0].1.parse::<f64>().unwrap(), number);
    assert!(
        number > 0.0,
        "a company with virtual-desktop hours: {number}"
    );
    println!(
        "seed {SEED}: type-change company {} ({}), sveVdiMonthlyUsage {:?} in 03/2026; resellerId {}",
        drifting.id,
        drifting.name,
        strings[0].1,
        data.drift_reseller_id()
    );
    // Another seed may pick another company, by the same rule.
    let other = usage_sandbox::Dataset::new(7);
    assert!(other.drift_type_change_company().monthly_license);
}

#[tokio::test]
async fn drift_answers_are_deterministic() {
    let a = Harness::start(SandboxConfig::default().with_seed(SEED).with_drift(true)).await;
    let b = Harness::start(SandboxConfig::default().with_seed(SEED).with_drift(true)).await;
    let first = calls(&a).await;
    let second = calls(&b).await;
    let again = calls(&a).await;
    for ((one, two), three) in first.iter().zip(&second).zip(&again) {
        assert_eq!(one.body, two.body, "{}", one.label);
        assert_eq!(one.body, three.body, "{}: same sandbox again", one.label);
    }
    // Another seed, another reseller id.
    let c = Harness::start(
        SandboxConfig::default()
            .with_seed(SEED + 1)
            .with_drift(true),
    )
    .await;
    assert_ne!(
        c.sandbox.dataset().drift_reseller_id(),
        a.sandbox.dataset().drift_reseller_id()
    );
}
