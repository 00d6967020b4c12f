//! Decoding the vendor's answers (the shared fixtures and a few inline shapes).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ticker, client, fixture, json_body, rpc_result};
use serde_json::json;
use usage_bitdefender::models::GetMonthlyUsageResult;
use usage_bitdefender::{GravityZoneClient, GravityZoneError, MonthlyUsageOutcome, TargetMonth};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Respond};

const COMPANY: &str = "6572e499d2128b2f33892f90";

async fn serving(response: impl Respond + 'static) -> (MockServer, GravityZoneClient) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(&server)
        .await;
    let gz = client(&server);
    (server, gz)
}

fn october() -> TargetMonth {
    TargetMonth::new(2026, 10).unwrap()
}

async fn monthly(
    response: impl Respond + 'static,
) -> Result<MonthlyUsageOutcome, GravityZoneError> {
    let (_server, gz) = serving(response).await;
    gz.monthly_usage(Some(COMPANY), october()).await
}

fn usage(outcome: MonthlyUsageOutcome) -> usage_bitdefender::models::MonthlyUsage {
    match outcome {
        MonthlyUsageOutcome::Usage(u) => u,
        MonthlyUsageOutcome::NoMonthlyLicense => panic!("expected counters"),
    }
}

#[tokio::test(start_paused = true)]
async fn result_zero_means_no_monthly_license() {
    let _ticker = Ticker::start();
    let outcome = monthly(json_body(fixture(
        "get-monthly-usage-no-monthly-license.json",
    )))
    .await
    .unwrap();
    assert!(matches!(outcome, MonthlyUsageOutcome::NoMonthlyLicense));
    assert!(matches!(
        GetMonthlyUsageResult::from(outcome),
        GetMonthlyUsageResult::Uint64(0)
    ));
}

#[tokio::test(start_paused = true)]
async fn another_bare_number_is_an_error_not_zeros() {
    let _ticker = Ticker::start();
    for result in [
        json!(5),
        json!(-1),
        json!(0.5),
        json!("0"),
        json!([]),
        json!(true),
    ] {
        let err = monthly(rpc_result(result.clone())).await.unwrap_err();
        match &err {
            GravityZoneError::Decode {
                method,
                company,
                path,
                ..
            } => {
                assert_eq!(*method, "licensing.getMonthlyUsage");
                assert_eq!(company.as_deref(), Some(COMPANY));
                assert_eq!(path, "result", "{result}");
            }
            other => panic!("{result}: {other:?}"),
        }
        assert!(err.to_string().contains(COMPANY), "{err}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_documented_counter_and_minimum_usage() {
    let _ticker = Ticker::start();
    let u = usage(
        monthly(json_body(fixture("get-monthly-usage-all-counters.json")))
            .await
            .unwrap(),
    );
    assert_eq!(u.endpoint_monthly_usage, Some(57));
    assert_eq!(u.a_la_carte_monthly_usage, Some(0));
    assert_eq!(u.msp_secure_plus_monthly_usage, Some(57));
    assert_eq!(u.email_security_monthly_usage, Some(23));
    assert_eq!(u.integrity_monitoring90_days_usage, Some(3));
    assert_eq!(u.compliance_monthly_usage, Some(2));
    assert_eq!(u.sve_vdi_monthly_usage, Some(1487.5));
    let minimum = u.minimum_usage.unwrap().0.unwrap();
    assert_eq!(minimum.get("endpointMonthlyUsage"), Some(&50.0));
    assert!(u.extra.is_empty(), "{:?}", u.extra);
}

#[tokio::test(start_paused = true)]
async fn undocumented_counters_are_kept_in_extra() {
    let _ticker = Ticker::start();
    let u = usage(
        monthly(json_body(fixture("get-monthly-usage-new-counter.json")))
            .await
            .unwrap(),
    );
    assert_eq!(u.endpoint_monthly_usage, Some(118));
    assert_eq!(u.extra.get("aiSecurityMonthlyUsage"), Some(&json!(12)));
    assert_eq!(u.extra.get("easmMonthlyUsage"), Some(&json!(3)));
    assert_eq!(u.extra.len(), 2);
    let minimum = u.minimum_usage.unwrap().0.unwrap();
    assert_eq!(minimum.len(), 2);
    assert_eq!(minimum.get("mdrResponseMonthlyUsage"), Some(&100.0));
}

#[tokio::test(start_paused = true)]
async fn the_misspelt_a_la_carte_counter_is_read() {
    let _ticker = Ticker::start();
    let u = usage(
        monthly(json_body(fixture(
            "get-monthly-usage-misspelt-a-la-carte.json",
        )))
        .await
        .unwrap(),
    );
    assert_eq!(u.a_la_carte_monhtly_usage, Some(18));
    assert_eq!(u.a_la_carte_monthly_usage, None);
    assert_eq!(u.exchange_monthly_usage, Some(6));
    assert!(u.extra.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_counter_of_the_wrong_type_names_its_json_path() {
    let _ticker = Ticker::start();
    let err = monthly(rpc_result(
        json!({"endpointMonthlyUsage": 3, "edrMonthlyUsage": "many"}),
    ))
    .await
    .unwrap_err();
    match &err {
        GravityZoneError::Decode { path, reason, .. } => {
            assert_eq!(path, "result.edrMonthlyUsage");
            assert!(reason.contains("invalid type"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("`result.edrMonthlyUsage`"), "{text}");
    assert!(text.contains("licensing.getMonthlyUsage"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn per_product_type_entries() {
    let _ticker = Ticker::start();
    let (_server, gz) = serving(json_body(fixture(
        "get-monthly-usage-per-product-type.json",
    )))
    .await;
    let result = gz
        .monthly_usage_per_product_type(Some(COMPANY), october())
        .await
        .unwrap();
    let types: Vec<Option<i64>> = result.usages.iter().map(|u| u.product_type).collect();
    assert_eq!(types, vec![Some(0), Some(3), Some(5)]);
    let endpoint = &result.usages[0];
    assert_eq!(endpoint.endpoint_monthly_usage, Some(42));
    assert_eq!(endpoint.email_security_monthly_usage, Some(30));
    assert_eq!(endpoint.extra.get("phasrMonthlyUsage"), Some(&json!(0)));
    // Every entry carries the full counter set, zeros included.
    assert!(result.usages.iter().all(|u| u.edr_monthly_usage.is_some()));
}

#[tokio::test(start_paused = true)]
async fn a_bad_per_product_type_entry_names_its_index() {
    let _ticker = Ticker::start();
    let (_server, gz) = serving(rpc_result(json!({"usages": [
        {"productType": 0, "endpointMonthlyUsage": 1},
        {"productType": "edr", "endpointMonthlyUsage": 2}
    ]})))
    .await;
    let err = gz
        .monthly_usage_per_product_type(Some(COMPANY), october())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GravityZoneError::Decode { path, .. } if path == "result.usages[1].productType"),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn license_info_as_object_or_one_element_array() {
    let _ticker = Ticker::start();
    let (_s, gz) = serving(json_body(fixture("get-license-info.json"))).await;
    let info = gz.license_info(Some(COMPANY)).await.unwrap();
    assert_eq!(info.subscription_type, Some(3));
    assert_eq!(info.used_slots, Some(57));
    assert_eq!(info.total_slots, None);
    assert_eq!(
        info.assigned_protection_model.as_deref(),
        Some("mspSecurePlus")
    );
    assert_eq!(info.extra.get("manageEmailSecurity"), Some(&json!(true)));

    let (_s, gz) = serving(json_body(fixture("get-license-info-array.json"))).await;
    let info = gz.license_info(Some(COMPANY)).await.unwrap();
    assert_eq!(info.subscription_type, Some(2));
    assert_eq!(info.total_slots, Some(50));
    assert_eq!(info.license_key.as_deref(), Some("FAKE7Q3"));
}

#[tokio::test(start_paused = true)]
async fn license_info_arrays_of_other_lengths_are_errors() {
    let _ticker = Ticker::start();
    for (result, expected) in [
        (json!([]), "empty"),
        (json!([{"usedSlots": 1}, {"usedSlots": 2}]), "2 licenses"),
        (json!(7), "the number 7"),
    ] {
        let (_s, gz) = serving(rpc_result(result)).await;
        let err = gz.license_info(None).await.unwrap_err();
        match &err {
            GravityZoneError::Decode { path, reason, .. } => {
                assert_eq!(path, "result");
                assert!(reason.contains(expected), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    let (_s, gz) = serving(rpc_result(json!([{"usedSlots": "x"}]))).await;
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(&err, GravityZoneError::Decode { path, .. } if path == "result[0].usedSlots"),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn companies_list_and_details() {
    let _ticker = Ticker::start();
    let (_s, gz) = serving(json_body(fixture("get-companies-list.json"))).await;
    let list = gz.companies_list(None).await.unwrap();
    assert_eq!(list.len(), 9);
    assert_eq!(list[0].id, "656b64da26f2a74de4651327");
    assert_eq!(list[5].name.as_deref(), Some("Ελληνική Ναυτιλιακή Α.Ε."));

    let (_s, gz) = serving(json_body(fixture("get-company-details.json"))).await;
    let details = gz.company_details(Some(COMPANY)).await.unwrap();
    assert_eq!(details.id.as_deref(), Some(COMPANY));
    assert_eq!(details.type_, Some(1));
    assert_eq!(
        details.parent_company_id.as_deref(),
        Some("64f1a2c3b1a43d5e8c7b23a1")
    );
    assert!(details.risk_score.is_some());
}

#[tokio::test(start_paused = true)]
async fn a_company_without_an_id_is_an_error_with_its_path() {
    let _ticker = Ticker::start();
    let (_s, gz) = serving(rpc_result(json!([{"name": "No id"}]))).await;
    let err = gz.companies_list(None).await.unwrap_err();
    match &err {
        GravityZoneError::Decode { path, reason, .. } => {
            assert_eq!(path, "result[0]");
            assert!(reason.contains("missing field `id`"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
