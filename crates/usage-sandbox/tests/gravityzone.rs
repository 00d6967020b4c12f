//! GravityZone JSON-RPC protocol checks, written as an outside client: plain reqwest and the
//! documented shapes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use common::{Harness, basic};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usage_models::bitdefender as models;
use usage_sandbox::Credentials;

/// Every counter of the vendor reference, written out here (not taken from the crate) so the test
/// checks the sandbox against the documentation.
const REFERENCE_COUNTERS: [&str; 25] = [
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
    "sveVdiMonthlyUsage",
];

/// Every company, breadth first from the key's own company: (id, parent id, depth).
async fn walk(h: &Harness) -> Vec<(String, Option<String>, u32)> {
    let root = h.gz("companies", "getCompanyDetails", json!({})).await;
    let root_id = root.json["result"]["id"].as_str().unwrap().to_string();
    let mut out = vec![(root_id.clone(), None, 0)];
    // (company or folder to list, the company it belongs to, that company's depth)
    let mut queue = VecDeque::from([(root_id.clone(), root_id, 0)]);
    while let Some((list_id, owner, depth)) = queue.pop_front() {
        let answer = h
            .gz("network", "getCompaniesList", json!({"parentId": list_id}))
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        if answer.rpc_code() == Some(-32602) {
            assert_eq!(answer.rpc_details(), "Invalid value for 'parentId'");
            continue;
        }
        for child in answer.json["result"].as_array().unwrap() {
            let id = child["id"].as_str().unwrap().to_string();
            out.push((id.clone(), Some(owner.clone()), depth + 1));
            queue.push_back((id.clone(), id, depth + 1));
        }
        let folders = h
            .gz(
                "network",
                "getCompanyFoldersList",
                json!({"parentId": list_id}),
            )
            .await;
        for folder in folders.json["result"].as_array().unwrap() {
            let id = folder["id"].as_str().unwrap().to_string();
            queue.push_back((id, owner.clone(), depth));
        }
    }
    out
}

fn counters(result: &Value) -> BTreeMap<String, f64> {
    REFERENCE_COUNTERS
        .iter()
        .map(|name| ((*name).to_string(), result[name].as_f64().unwrap_or(0.0)))
        .collect()
}

#[tokio::test]
async fn company_details_and_list_default_to_the_keys_own_company() {
    let h = Harness::default().await;
    let details = h.gz("companies", "getCompanyDetails", json!({})).await;
    assert_eq!(details.status, StatusCode::OK);
    assert_eq!(
        details.json["id"], "5087eab8-b74f-4a3e-85b3-4271e85890d4",
        "id echoed"
    );
    assert_eq!(details.json["jsonrpc"], "2.0");
    let root = h.sandbox.dataset().gravityzone_root();
    let result = &details.json["result"];
    assert_eq!(result["id"], root.id.as_str());
    assert_eq!(result["type"], 0);
    for key in [
        "name",
        "address",
        "phone",
        "canBeManagedByAbove",
        "enforce2FA",
        "isSuspended",
        "createdAt",
        "country",
        "state",
        "industry",
        "riskScore",
        "contactPerson",
    ] {
        assert!(result.get(key).is_some(), "{key} missing");
    }
    let parsed: models::CompanyDetails = serde_json::from_value(result.clone()).unwrap();
    assert_eq!(parsed.id.as_deref(), Some(root.id.as_str()));

    let list = h.gz("network", "getCompaniesList", json!({})).await;
    let children = list.json["result"].as_array().unwrap();
    // 9 companies below the root, 4 of them kept in company folders.
    assert_eq!(children.len(), 5);
    for child in children {
        assert_eq!(
            child.as_object().unwrap().len(),
            2,
            "only id and name: {child}"
        );
    }
    let same = h
        .gz("network", "getCompaniesList", json!({"parentId": root.id}))
        .await;
    assert_eq!(same.json["result"], list.json["result"]);
    let parsed: models::GetCompaniesListResult =
        serde_json::from_value(list.json["result"].clone()).unwrap();
    assert_eq!(parsed.len(), 5);
    let partners = h
        .gz(
            "network",
            "getCompaniesList",
            json!({"filters": {"companyType": 0}}),
        )
        .await;
    assert_eq!(partners.json["result"].as_array().unwrap().len(), 3);
}

/// A company folder under the root holds a customer and a folder, which holds two customers and
/// a partner: folders answer both listings, are never companies, and a customer has no folders.
#[tokio::test]
async fn company_folders_hold_customers_a_partner_and_a_folder() {
    let h = Harness::default().await;
    let data = h.sandbox.dataset();
    let root = data.gravityzone_root();
    let list = |v: &Value| -> Vec<(String, String)> {
        v["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e.as_object().unwrap().len(), 2, "only id and name: {e}");
                (
                    e["id"].as_str().unwrap().to_owned(),
                    e["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let outer = list(
        &h.gz("network", "getCompanyFoldersList", json!({}))
            .await
            .json,
    );
    assert_eq!(outer.len(), 1);
    let (outer_id, outer_name) = &outer[0];
    assert_eq!(outer_name, "Kunden Süd");
    let in_outer = list(
        &h.gz("network", "getCompaniesList", json!({"parentId": outer_id}))
            .await
            .json,
    );
    assert_eq!(in_outer.len(), 1);
    let inner = list(
        &h.gz(
            "network",
            "getCompanyFoldersList",
            json!({"parentId": outer_id}),
        )
        .await
        .json,
    );
    assert_eq!(inner.len(), 1);
    let inner_id = &inner[0].0;
    let in_inner = list(
        &h.gz("network", "getCompaniesList", json!({"parentId": inner_id}))
            .await
            .json,
    );
    assert_eq!(in_inner.len(), 3);
    let partners = list(
        &h.gz(
            "network",
            "getCompaniesList",
            json!({"parentId": inner_id, "filters": {"companyType": 0}}),
        )
        .await
        .json,
    );
    assert_eq!(partners.len(), 1, "a partner is kept in the inner folder");
    for (id, _) in in_outer.iter().chain(&in_inner) {
        let company = data.gravityzone_company(id).unwrap();
        assert_eq!(company.parent_id.as_deref(), Some(root.id.as_str()));
        let details = h
            .gz("companies", "getCompanyDetails", json!({"companyId": id}))
            .await;
        assert_eq!(details.json["result"]["parentCompanyId"], json!(root.id));
    }
    let partner_children = list(
        &h.gz(
            "network",
            "getCompaniesList",
            json!({"parentId": partners[0].0}),
        )
        .await
        .json,
    );
    assert!(!partner_children.is_empty());
    // A folder is not a company; a customer has neither children nor folders.
    let folder_as_company = h
        .gz(
            "companies",
            "getCompanyDetails",
            json!({"companyId": outer_id}),
        )
        .await;
    assert_eq!(folder_as_company.rpc_code(), Some(-32602));
    let customer = &in_outer[0].0;
    let customer_folders = h
        .gz(
            "network",
            "getCompanyFoldersList",
            json!({"parentId": customer}),
        )
        .await;
    assert_eq!(customer_folders.rpc_code(), Some(-32602));
}

#[tokio::test]
async fn the_tree_has_sixty_companies_on_three_levels() {
    let h = Harness::default().await;
    let tree = walk(&h).await;
    assert_eq!(tree.len(), 60);
    let ids: BTreeSet<&String> = tree.iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids.len(), 60, "each company once");
    assert!(
        tree.iter()
            .all(|(id, _, _)| id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit()))
    );
    assert_eq!(tree.iter().map(|(_, _, depth)| *depth).max(), Some(2));
    let expected: BTreeSet<&String> = h
        .sandbox
        .dataset()
        .gravityzone_companies()
        .iter()
        .map(|c| &c.id)
        .collect();
    assert_eq!(ids, expected);
    for (id, parent, _) in &tree {
        let details = h
            .gz("companies", "getCompanyDetails", json!({"companyId": id}))
            .await;
        assert_eq!(
            details.json["result"]["parentCompanyId"].as_str(),
            parent.as_deref()
        );
    }
}

#[tokio::test]
async fn monthly_usage_has_every_counter_of_the_reference() {
    let h = Harness::default().await;
    let answer = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": "03/2026"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let result = &answer.json["result"];
    for name in REFERENCE_COUNTERS {
        assert!(result[name].is_number(), "{name} missing: {result}");
    }
    assert!(result["sveVdiMonthlyUsage"].is_f64());
    assert!(
        result["minimumUsage"]["endpointMonthlyUsage"].is_u64(),
        "the root has a minimum"
    );
    assert!(result.get("aLaCarteMonhtlyUsage").is_none());
    let parsed: models::GetMonthlyUsageResult = serde_json::from_value(result.clone()).unwrap();
    assert!(matches!(
        parsed,
        models::GetMonthlyUsageResult::MonthlyUsage(_)
    ));
    // Somewhere in the tree fractional hours show up, and some companies have no minimum.
    let tree = walk(&h).await;
    let mut fractional = false;
    let mut without_minimum = 0;
    for (id, _, _) in &tree {
        let usage = h
            .gz(
                "licensing",
                "getMonthlyUsage",
                json!({"companyId": id, "targetMonth": "03/2026"}),
            )
            .await;
        let result = &usage.json["result"];
        if let Some(hours) = result["sveVdiMonthlyUsage"].as_f64() {
            fractional |= hours.fract() != 0.0;
        }
        if result.is_object() && result.get("minimumUsage").is_none() {
            without_minimum += 1;
        }
    }
    assert!(fractional, "a fractional sveVdiMonthlyUsage");
    assert!(without_minimum > 10);
}

#[tokio::test]
async fn per_product_type_entries_carry_the_full_counter_set() {
    let h = Harness::default().await;
    let answer = h
        .gz(
            "licensing",
            "getMonthlyUsagePerProductType",
            json!({"targetMonth": "03/2026"}),
        )
        .await;
    let usages = answer.json["result"]["usages"].as_array().unwrap();
    let types: Vec<i64> = usages
        .iter()
        .map(|u| u["productType"].as_i64().unwrap())
        .collect();
    assert_eq!(types, vec![0, 3, 5]);
    for usage in usages {
        for name in REFERENCE_COUNTERS {
            assert!(usage[name].is_number(), "{name} missing in {usage}");
        }
        assert!(usage["phasrMonthlyUsage"].is_u64());
    }
    let monthly = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": "03/2026"}),
        )
        .await;
    assert_eq!(
        counters(&usages[0]),
        counters(&monthly.json["result"]),
        "getMonthlyUsage is the Endpoint Security type"
    );
    let parsed: models::GetMonthlyUsagePerProductTypeResult =
        serde_json::from_value(answer.json["result"].clone()).unwrap();
    assert_eq!(parsed.usages.len(), 3);
}

#[tokio::test]
async fn a_parents_counters_include_its_childrens() {
    let h = Harness::default().await;
    let tree = walk(&h).await;
    let mut children: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
    for (id, parent, _) in &tree {
        if let Some(parent) = tree.iter().find(|(p, _, _)| Some(p) == parent.as_ref()) {
            children.entry(&parent.0).or_default().push(id);
        }
    }
    let mut usage = BTreeMap::new();
    for (id, _, _) in &tree {
        let answer = h
            .gz(
                "licensing",
                "getMonthlyUsage",
                json!({"companyId": id, "targetMonth": "11/2025"}),
            )
            .await;
        usage.insert(id, answer.json["result"].clone());
    }
    let mut exact = 0;
    for (parent, kids) in &children {
        let own = counters(&usage[parent]);
        let mut sum: BTreeMap<String, f64> = BTreeMap::new();
        for kid in kids {
            for (name, value) in counters(&usage[kid]) {
                *sum.entry(name).or_default() += value;
            }
        }
        for (name, value) in &own {
            assert!(
                value - sum[name] >= 0.0,
                "{parent} {name}: {value} < children's {}",
                sum[name]
            );
        }
        if own == sum {
            exact += 1;
        }
        assert!(own["endpointMonthlyUsage"] > 0.0);
    }
    assert_eq!(children.len(), 5, "the root and four sub-partners");
    assert!(
        exact >= 1,
        "a partner without endpoints of its own reports exactly its children's sum"
    );
}

#[tokio::test]
async fn one_company_has_no_monthly_license_and_answers_zero() {
    let h = Harness::default().await;
    let tree = walk(&h).await;
    let mut zero = Vec::new();
    for (id, _, _) in &tree {
        let answer = h
            .gz(
                "licensing",
                "getMonthlyUsage",
                json!({"companyId": id, "targetMonth": "03/2026"}),
            )
            .await;
        if answer.json["result"] == json!(0) {
            zero.push(id.clone());
        }
    }
    let expected = h
        .sandbox
        .dataset()
        .gravityzone_without_monthly_license()
        .id
        .clone();
    assert_eq!(zero, vec![expected.clone()]);
    let parsed: models::GetMonthlyUsageResult = serde_json::from_value(json!(0)).unwrap();
    assert!(matches!(parsed, models::GetMonthlyUsageResult::Uint64(0)));
    let per_type = h
        .gz(
            "licensing",
            "getMonthlyUsagePerProductType",
            json!({"companyId": expected, "targetMonth": "03/2026"}),
        )
        .await;
    assert_eq!(per_type.json["result"], json!({"usages": []}));
    let license = h
        .gz(
            "licensing",
            "getLicenseInfo",
            json!({"companyId": expected}),
        )
        .await;
    assert_eq!(license.json["result"]["subscriptionType"], 2);
    let monthly = h.gz("licensing", "getLicenseInfo", json!({})).await;
    assert_eq!(monthly.json["result"]["subscriptionType"], 3);
    assert_eq!(monthly.json["result"]["totalSlots"], Value::Null);
    let parsed: models::GetLicenseInfoResult =
        serde_json::from_value(monthly.json["result"].clone()).unwrap();
    assert!(matches!(
        parsed,
        models::GetLicenseInfoResult::LicenseInfo(_)
    ));
}

#[tokio::test]
async fn authentication_failures_get_401_with_a_json_rpc_body() {
    let h = Harness::default().await;
    let wrong = h
        .gz_with_key("not-the-key", "licensing", "getLicenseInfo", json!({}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.rpc_code(), Some(-32000));
    assert!(wrong.rpc_details().starts_with("Invalid API key"));
    let none = h
        .http
        .post(h.gz_url("licensing"))
        .json(&json!({"id": 1, "jsonrpc": "2.0", "method": "getLicenseInfo", "params": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    // The key in the password slot is refused.
    let swapped = h
        .http
        .post(h.gz_url("licensing"))
        .basic_auth("", Some(Credentials::GRAVITYZONE_API_KEY))
        .json(&json!({"id": 1, "jsonrpc": "2.0", "method": "getLicenseInfo", "params": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn methods_on_the_wrong_service_or_unknown_get_32601() {
    let h = Harness::default().await;
    let cases = [
        ("network", "getMonthlyUsage"),
        ("companies", "getCompaniesList"),
        ("licensing", "getCompanyDetails"),
        ("licensing", "getUsage"),
        ("nosuchapi", "getMonthlyUsage"),
    ];
    for (service, method) in cases {
        let answer = h.gz(service, method, json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{service}.{method}");
        assert_eq!(answer.rpc_code(), Some(-32601), "{service}.{method}");
        assert_eq!(answer.json["error"]["message"], "Method not found");
        assert!(!answer.rpc_details().is_empty());
    }
}

#[tokio::test]
async fn invalid_params_get_32602() {
    let h = Harness::default().await;
    let customer = h
        .sandbox
        .dataset()
        .gravityzone_companies()
        .iter()
        .find(|c| c.company_type == 1)
        .unwrap()
        .id
        .clone();
    let leaf = h
        .gz("network", "getCompaniesList", json!({"parentId": customer}))
        .await;
    assert_eq!(leaf.rpc_code(), Some(-32602));
    assert_eq!(leaf.rpc_details(), "Invalid value for 'parentId'");
    for params in [
        json!({"page": 1}),
        json!({"perPage": 30}),
        json!({"page": 1, "perPage": 100}),
    ] {
        let answer = h.gz("network", "getCompaniesList", params.clone()).await;
        assert_eq!(answer.rpc_code(), Some(-32602), "{params}");
    }
    for month in ["3/2026", "2026-03", "03-2026", "13/2026", "03/26", "march"] {
        for method in ["getMonthlyUsage", "getMonthlyUsagePerProductType"] {
            let answer = h
                .gz("licensing", method, json!({"targetMonth": month}))
                .await;
            assert_eq!(answer.rpc_code(), Some(-32602), "{method} {month}");
            assert!(answer.rpc_details().contains("targetMonth"));
        }
    }
    let unknown = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"companyId": "000000000000000000000000"}),
        )
        .await;
    assert_eq!(unknown.rpc_code(), Some(-32602));
    let not_an_object = h.gz("licensing", "getMonthlyUsage", json!([1])).await;
    assert_eq!(not_an_object.rpc_code(), Some(-32602));
}

#[tokio::test]
async fn transport_rules_405_trailing_slash_parse_errors_and_ids() {
    let h = Harness::default().await;
    let get = h
        .http
        .get(h.gz_url("licensing"))
        .header("Authorization", basic(Credentials::GRAVITYZONE_API_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    let slash = format!("{}/", h.gz_url("licensing"));
    let answer = h
        .gz_raw(
            Credentials::GRAVITYZONE_API_KEY,
            &slash,
            &json!({"id": 7, "jsonrpc": "2.0", "method": "getLicenseInfo", "params": {}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json["id"], 7,
        "an integer id is echoed as an integer"
    );
    let garbage = h
        .http
        .post(h.gz_url("licensing"))
        .header("Authorization", basic(Credentials::GRAVITYZONE_API_KEY))
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    let garbage: Value = garbage.json().await.unwrap();
    assert_eq!(garbage["error"]["code"], -32700);
    let batch = h
        .gz_raw(
            Credentials::GRAVITYZONE_API_KEY,
            &h.gz_url("licensing"),
            &json!([{"id": 1, "jsonrpc": "2.0", "method": "getLicenseInfo", "params": {}}]),
        )
        .await;
    assert_eq!(batch.rpc_code(), Some(-32600));
    let notification = h
        .gz_raw(
            Credentials::GRAVITYZONE_API_KEY,
            &h.gz_url("licensing"),
            &json!({"jsonrpc": "2.0", "method": "getLicenseInfo", "params": {}}),
        )
        .await;
    assert_eq!(notification.rpc_code(), Some(-32600));
    let counts = h.sandbox.request_counts();
    assert_eq!(counts.get("bitdefender:licensing.getLicenseInfo"), Some(&2));
}

#[tokio::test]
async fn usage_differs_from_month_to_month() {
    let h = Harness::default().await;
    let one = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": "01/2026"}),
        )
        .await;
    let two = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": "02/2026"}),
        )
        .await;
    assert_ne!(one.json["result"], two.json["result"]);
    let again = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": "01/2026"}),
        )
        .await;
    assert_eq!(one.bytes, again.bytes);
}
