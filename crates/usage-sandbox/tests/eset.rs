//! ESET MSP Administrator 2 protocol checks, written as an outside client: plain reqwest and the
//! documented shapes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Harness, jwt_claims, period};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usage_sandbox::{Credentials, ESET_CATEGORIES, SandboxConfig, eset_error_codes};

#[tokio::test]
async fn token_get_gives_a_jwt_shaped_token_with_real_claims() {
    let h = Harness::default().await;
    let (access, refresh) = h.eset_login().await;
    let claims = jwt_claims(&access);
    assert_eq!(claims["client_id"], "Eset.EMA.API");
    for key in ["sub", "exp", "nbf", "iat"] {
        assert!(!claims[key].is_null(), "claim {key} missing: {claims}");
    }
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 60);
    assert!(!refresh.is_empty());
    // Token/Check: a bare boolean.
    let check = h
        .eset_post_anon("Token/Check", &json!({"accessToken": access}))
        .await;
    assert_eq!(check.status, StatusCode::OK);
    assert_eq!(check.json, json!(true));
    let forged = format!("{access}x");
    let check = h
        .eset_post_anon("Token/Check", &json!({"accessToken": forged}))
        .await;
    assert_eq!(check.json, json!(false));
}

#[tokio::test]
async fn token_renew_needs_the_bearer_and_returns_a_new_pair() {
    let h = Harness::default().await;
    let (access, refresh) = h.eset_login().await;
    let without_bearer = h
        .eset_post_anon("Token/Renew", &json!({"refreshToken": refresh}))
        .await;
    assert_eq!(without_bearer.status, StatusCode::UNAUTHORIZED);
    let renewed = h
        .eset_post(&access, "Token/Renew", &json!({"refreshToken": refresh}))
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.json);
    let new_access = renewed.json["accessToken"].as_str().unwrap();
    let new_refresh = renewed.json["refreshToken"].as_str().unwrap();
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh);
    assert_eq!(
        jwt_claims(new_access)["sid"],
        jwt_claims(&access)["sid"],
        "same session"
    );
    assert_eq!(
        h.eset_get(new_access, "User/Current").await.status,
        StatusCode::OK
    );
    let wrong = h
        .eset_post(&access, "Token/Renew", &json!({"refreshToken": "bm9wZQ=="}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_credentials_missing_and_expired_tokens_get_401() {
    let h = Harness::start(
        SandboxConfig::default().with_eset_token_lifetime(std::time::Duration::ZERO),
    )
    .await;
    let wrong = h
        .eset_post_anon(
            "Token/Get",
            &json!({"username": Credentials::ESET_USERNAME, "password": "wrong"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.eset_code(), (99, eset_error_codes::UNAUTHORIZED));
    assert!(wrong.json["message"].as_str().unwrap().contains("password"));
    assert!(
        !String::from_utf8_lossy(&wrong.bytes).contains("wrong"),
        "no echo of the password"
    );

    let missing = h.eset_post_anon("User/Current", &json!({})).await;
    assert_eq!(
        missing.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "User/Current is a GET"
    );
    let response = h.http.get(h.eset_url("User/Current")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Lifetime zero: the token is expired as soon as it is issued.
    let (expired, _) = h.eset_login().await;
    let answer = h.eset_get(&expired, "User/Current").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.json["message"].as_str().unwrap().contains("expired"));
    let check = h
        .eset_post_anon("Token/Check", &json!({"accessToken": expired}))
        .await;
    assert_eq!(check.json, json!(false));
    let report = h
        .eset_post(
            &expired,
            "UsageReport/AllCompanies/categories",
            &period("2026-01-01", "2026-01-31", 0, 10),
        )
        .await;
    assert_eq!(report.status, StatusCode::UNAUTHORIZED);
    let raw = h
        .http
        .get(h.eset_url("User/Current"))
        .header("Authorization", expired.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.status(),
        StatusCode::UNAUTHORIZED,
        "the Bearer prefix is required"
    );
}

#[tokio::test]
async fn user_current_names_the_msp_root() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let answer = h.eset_get(&token, "User/Current").await;
    assert_eq!(answer.status, StatusCode::OK);
    let root = h.sandbox.dataset().eset_root();
    assert_eq!(answer.json["company"]["companyId"], root.id.as_str());
    assert_eq!(answer.json["company"]["type"], 1005);
    assert_eq!(answer.json["email"], Credentials::ESET_USERNAME);
    assert_eq!(jwt_claims(&token)["sub"], answer.json["id"]);
    let user: usage_models::eset::UserCurrentResponse =
        serde_json::from_value(answer.json).unwrap();
    assert_eq!(user.company.company_id.as_deref(), Some(root.id.as_str()));
}

#[tokio::test]
async fn company_children_and_descendants_page_through_the_tree() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let root = h.sandbox.dataset().eset_root().id.clone();
    let children = h
        .eset_post(
            &token,
            "Company/Children",
            &json!({"companyId": root, "skip": 0, "take": 100}),
        )
        .await;
    assert_eq!(children.status, StatusCode::OK);
    let list = children.json["companies"].as_array().unwrap();
    assert_eq!(list.len(), 9);
    for company in list {
        for key in ["publicId", "name", "type", "email", "status"] {
            assert!(!company[key].is_null(), "{key} missing in {company}");
        }
    }
    let parsed: usage_models::eset::CompanyListResponse =
        serde_json::from_value(children.json.clone()).unwrap();
    assert_eq!(parsed.companies.len(), 9);

    // Every company below the root, by walking Children with small pages.
    let mut seen = BTreeSet::new();
    let mut queue = vec![root.clone()];
    while let Some(parent) = queue.pop() {
        let mut skip = 0;
        loop {
            let page = h
                .eset_post(
                    &token,
                    "Company/Children",
                    &json!({"companyId": parent, "skip": skip, "take": 7}),
                )
                .await;
            let companies = page.json["companies"].as_array().unwrap().clone();
            for company in &companies {
                let id = company["publicId"].as_str().unwrap().to_string();
                assert!(seen.insert(id.clone()), "{id} listed twice");
                queue.push(id);
            }
            if companies.len() < 7 {
                break;
            }
            skip += 7;
        }
    }
    assert_eq!(seen.len(), 150);

    let descendants = h
        .eset_post(
            &token,
            "Company/Descendants",
            &json!({"companyId": root, "entityType": "Any", "skip": 100, "take": 100}),
        )
        .await;
    assert_eq!(descendants.json["companies"].as_array().unwrap().len(), 50);
    let customers = h
        .eset_post(
            &token,
            "Company/Descendants",
            &json!({"companyId": root, "entityType": "MspCustomer", "skip": 0, "take": 100}),
        )
        .await;
    assert!(
        customers.json["companies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["type"] == 1007)
    );
    let bad = h
        .eset_post(
            &token,
            "Company/Descendants",
            &json!({"companyId": root, "entityType": "Galaxy", "skip": 0, "take": 10}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn all_companies_pages_to_the_end_with_every_company_exactly_once() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    for kind in ["categories", "products"] {
        let mut ids = Vec::new();
        let mut skip = 0;
        loop {
            let page = h
                .eset_post(
                    &token,
                    &format!("UsageReport/AllCompanies/{kind}"),
                    &period("2026-01-01", "2026-01-31", skip, 40),
                )
                .await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.json);
            // Every company below the root but the managed MSP without licenses.
            assert_eq!(page.json["paging"]["totalCount"], 149);
            let parsed: usage_models::eset::UsageReportResponse =
                serde_json::from_value(page.json.clone()).unwrap();
            let companies = page.json["companies"].as_array().unwrap();
            for company in companies {
                ids.push(company["companyId"].as_str().unwrap().to_string());
                assert!(
                    company[kind].is_array(),
                    "{kind} present even when empty: {company}"
                );
                let rows = company[kind].as_array().unwrap();
                let total: u64 = rows.iter().map(|r| r["seatDays"].as_u64().unwrap()).sum();
                assert_eq!(company["totalUsage"].as_u64().unwrap(), total);
                assert!(company["companyName"].is_string());
            }
            assert_eq!(parsed.companies.len(), companies.len());
            if companies.len() < 40 {
                break;
            }
            skip += 40;
        }
        assert_eq!(ids.len(), 149);
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), 149, "each company exactly once");
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "stable order by companyId");
        let expected: Vec<String> = h
            .sandbox
            .dataset()
            .eset_reported()
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(ids, expected);
        let msp = h
            .sandbox
            .dataset()
            .eset_managed_msp_without_usage()
            .unwrap();
        assert_eq!(msp.entity_type, usage_sandbox::ESET_TYPE_MANAGED_MSP);
        assert!(
            !ids.contains(&msp.id),
            "the managed MSP without licenses is not reported"
        );
        assert!(
            !h.sandbox.dataset().eset_children(&msp.id).is_empty(),
            "it has customers below it"
        );
    }
    // Past the end: an empty page, same total.
    let past = h
        .eset_post(
            &token,
            "UsageReport/AllCompanies/categories",
            &period("2026-01-01", "2026-01-31", 500, 100),
        )
        .await;
    assert_eq!(past.json["companies"].as_array().map(Vec::len), Some(0));
    assert_eq!(past.json["paging"]["totalCount"], 149);
}

#[tokio::test]
async fn the_dataset_has_trials_suspensions_zero_rows_empty_companies_and_non_ascii_names() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let page = h
        .eset_post(
            &token,
            "UsageReport/AllCompanies/products",
            &period("2026-02-01", "2026-02-28", 0, 100),
        )
        .await;
    let page2 = h
        .eset_post(
            &token,
            "UsageReport/AllCompanies/products",
            &period("2026-02-01", "2026-02-28", 100, 100),
        )
        .await;
    let companies: Vec<Value> = page.json["companies"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2.json["companies"].as_array().unwrap())
        .cloned()
        .collect();
    let rows: Vec<&Value> = companies
        .iter()
        .flat_map(|c| c["products"].as_array().unwrap())
        .collect();
    assert!(rows.iter().any(|r| r["licenseType"] == 4), "a trial");
    assert!(rows.iter().any(|r| r["licenseType"] == 1), "a full license");
    assert!(
        rows.iter()
            .any(|r| r["seats"] == 0 && r["seatDays"].as_u64().unwrap() > 0),
        "a suspended license"
    );
    assert!(rows.iter().any(|r| r["seatDays"] == 0), "a zero row");
    assert!(
        companies
            .iter()
            .any(|c| c["products"].as_array().unwrap().is_empty()),
        "a company without rows"
    );
    assert!(rows.iter().any(|r| r["code"].is_number()), "a numeric code");
    assert!(
        rows.iter().any(|r| r["code"] == "111"),
        "ESET Endpoint Security"
    );
    assert!(
        rows.iter().any(|r| r["code"] == "2015"),
        "ESET PROTECT Entry"
    );
    let names: Vec<&str> = companies
        .iter()
        .map(|c| c["companyName"].as_str().unwrap())
        .collect();
    for name in ["Müller & Söhne GmbH", "Café Lumière", "Dvořák s.r.o."] {
        assert!(names.contains(&name), "{name}");
    }
    assert!(names.iter().filter(|n| !n.is_ascii()).count() > 100);
}

#[tokio::test]
async fn monthly_and_selected_reports_filter_and_agree_with_all_companies() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let all = h
        .eset_post(
            &token,
            "UsageReport/AllCompanies/categories",
            &period("2026-03-01", "2026-03-31", 0, 100),
        )
        .await;
    let with_rows: Vec<Value> = all.json["companies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["categories"].as_array().unwrap().len() >= 2)
        .take(3)
        .cloned()
        .collect();
    let company = &with_rows[0];
    let id = company["companyId"].as_str().unwrap();

    let mut body = period("2026-03-01", "2026-03-31", 0, 100);
    body["companyId"] = json!(id);
    let monthly = h
        .eset_post(&token, "UsageReport/Monthly/categories", &body)
        .await;
    assert_eq!(monthly.status, StatusCode::OK);
    assert_eq!(monthly.json["paging"]["totalCount"], 1);
    assert_eq!(&monthly.json["companies"][0], company);

    let code = company["categories"][0]["code"].as_str().unwrap();
    body["categories"] = json!([code]);
    let filtered = h
        .eset_post(&token, "UsageReport/Monthly/categories", &body)
        .await;
    let rows = filtered.json["companies"][0]["categories"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["code"], code);
    assert!(ESET_CATEGORIES.iter().any(|c| c.code == code));

    let mut products = period("2026-03-01", "2026-03-31", 0, 100);
    products["companyId"] = json!(id);
    let all_products = h
        .eset_post(&token, "UsageReport/Monthly/products", &products)
        .await;
    let first_code = all_products.json["companies"][0]["products"][0]["code"].clone();
    let as_string = match &first_code {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    products["codes"] = json!([as_string]);
    let one = h
        .eset_post(&token, "UsageReport/Monthly/products", &products)
        .await;
    let rows = one.json["companies"][0]["products"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["code"], first_code);

    let ids: Vec<&str> = with_rows
        .iter()
        .map(|c| c["companyId"].as_str().unwrap())
        .collect();
    let mut selected = period("2026-03-01", "2026-03-31", 0, 2);
    selected["companyIds"] = json!(ids);
    let answer = h
        .eset_post(
            &token,
            "UsageReport/SelectedCompanies/categories",
            &selected,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json["paging"]["totalCount"], 3);
    assert_eq!(answer.json["companies"].as_array().unwrap().len(), 2);
    assert!(answer.json["companies"][0]["totalSeats"].is_u64());

    // An id that is not below the caller: an empty list, not an error (like a DivisionId).
    let mut unknown = period("2026-03-01", "2026-03-31", 0, 100);
    unknown["companyId"] = json!("00000000-0000-4000-8000-000000000000");
    let empty = h
        .eset_post(&token, "UsageReport/Monthly/products", &unknown)
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json["companies"], json!([]));
}

#[tokio::test]
async fn daily_reports_list_every_day_and_sum_to_seat_days() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let all = h
        .eset_post(
            &token,
            "UsageReport/AllCompanies/products",
            &period("2026-01-01", "2026-01-31", 0, 100),
        )
        .await;
    let id = all.json["companies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["products"].as_array().unwrap().is_empty())
        .unwrap()["companyId"]
        .clone();
    for kind in ["categories", "products"] {
        let mut body = period("2026-01-20", "2026-02-10", 0, 100);
        body["companyId"] = id.clone();
        let daily = h
            .eset_post(&token, &format!("UsageReport/Daily/{kind}"), &body)
            .await;
        assert_eq!(daily.status, StatusCode::OK, "{}", daily.json);
        let rows = daily.json["companies"][0][kind].as_array().unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            let days = row["usagePerDays"].as_array().unwrap();
            assert_eq!(days.len(), 22);
            assert_eq!(days[0]["date"], "2026-01-20");
            assert_eq!(days[21]["date"], "2026-02-10");
            let sum: u64 = days.iter().map(|d| d["usage"].as_u64().unwrap()).sum();
            assert_eq!(sum, row["seatDays"].as_u64().unwrap());
        }
        let parsed: usage_models::eset::UsageReportResponse =
            serde_json::from_value(daily.json.clone()).unwrap();
        assert_eq!(parsed.companies.len(), 1);
    }
    // Monthly rows carry no per-day list.
    let mut body = period("2026-01-01", "2026-01-31", 0, 100);
    body["companyId"] = id;
    let monthly = h
        .eset_post(&token, "UsageReport/Monthly/products", &body)
        .await;
    assert!(
        monthly.json["companies"][0]["products"][0]
            .get("usagePerDays")
            .is_none()
    );
}

#[tokio::test]
async fn bad_paging_and_dates_get_400_with_an_error_body() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let path = "UsageReport/AllCompanies/categories";
    let cases: BTreeMap<&str, Value> = BTreeMap::from([
        ("take 0", period("2026-01-01", "2026-01-31", 0, 0)),
        ("take 101", period("2026-01-01", "2026-01-31", 0, 101)),
        (
            "missing take",
            json!({"from": "2026-01-01", "to": "2026-01-31", "skip": 0}),
        ),
        (
            "missing from",
            json!({"to": "2026-01-31", "skip": 0, "take": 10}),
        ),
        (
            "missing to",
            json!({"from": "2026-01-01", "skip": 0, "take": 10}),
        ),
        ("bad date", period("2026-13-01", "2026-01-31", 0, 10)),
        ("not a date", period("yesterday", "2026-01-31", 0, 10)),
        ("from after to", period("2026-02-01", "2026-01-31", 0, 10)),
        (
            "negative skip",
            json!({"from": "2026-01-01", "to": "2026-01-31", "skip": -1, "take": 10}),
        ),
    ]);
    for (case, body) in cases {
        let answer = h.eset_post(&token, path, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(
            answer.eset_code(),
            (99, eset_error_codes::BAD_REQUEST),
            "{case}"
        );
        assert!(
            !answer.json["message"].as_str().unwrap().is_empty(),
            "{case}"
        );
        let parsed: usage_models::eset::EsetErrorResponse =
            serde_json::from_value(answer.json).unwrap();
        assert!(parsed.message.is_some());
    }
    let not_json = h
        .http
        .post(h.eset_url(path))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    let monthly_without_company = h
        .eset_post(
            &token,
            "UsageReport/Monthly/categories",
            &period("2026-01-01", "2026-01-31", 0, 10),
        )
        .await;
    assert_eq!(monthly_without_company.status, StatusCode::BAD_REQUEST);
    assert!(
        monthly_without_company.json["message"]
            .as_str()
            .unwrap()
            .contains("companyId")
    );
}

#[tokio::test]
async fn unknown_routes_get_403_code_99_1_and_wrong_methods_405() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    let unknown = h
        .eset_post(&token, "UsageReport/Yearly/categories", &json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN);
    assert_eq!(unknown.eset_code(), (99, eset_error_codes::NOT_FOUND));
    let anonymous = h.eset_post_anon("Nothing/Here", &json!({})).await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
    let wrong_method = h.eset_get(&token, "Token/Get").await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.headers["allow"], "POST");
    // Routes are case-insensitive and accept a trailing slash, like ASP.NET's.
    let lower = h.eset_get(&token, "user/current/").await;
    assert_eq!(lower.status, StatusCode::OK);
    assert_eq!(h.sandbox.request_count("eset:User/Current"), 1);
    assert_eq!(h.sandbox.request_count("eset:unknown"), 2);
}
