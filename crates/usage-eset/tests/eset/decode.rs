//! Bodies that are not what the client expects: clear errors, no panics.

use std::sync::Arc;

use futures::StreamExt as _;
use serde_json::json;
use usage_eset::TransportSettings as _;
use usage_eset::{DateRange, EsetError, ReportKind, ReportScope, UsageReportRequest};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const CURRENT: &str = "/api/User/Current";
const REPORT: &str = "/api/UsageReport/AllCompanies/products";

fn report_request() -> UsageReportRequest {
    UsageReportRequest::new(
        ReportScope::AllCompanies,
        ReportKind::Products,
        DateRange::month(2026, 10).unwrap(),
    )
}

async fn mount_raw(
    server: &MockServer,
    tokens: &Arc<Tokens>,
    route: &str,
    verb: &str,
    body: Vec<u8>,
    mime: &'static str,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(guarded(tokens, move |_| {
            ResponseTemplate::new(200).set_body_raw(body.clone(), mime)
        }))
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_wrong_type_names_the_json_path() {
    let (server, tokens) = server(3600).await;
    let mut page = fixture("usage-report-selected-companies-products-mixed-codes.json")
        .unwrap_or_else(|| json!({"companies": [usage_company(0), usage_company(1)]}));
    let companies = page["companies"].as_array_mut().unwrap();
    assert!(companies.len() >= 2);
    if companies[1].get("products").is_none() {
        companies[1]["products"] = json!([{"code": "111", "seatDays": 1, "seats": 1}]);
    }
    companies[1]["products"][0]["seatDays"] = json!("thirty-one");
    mount_raw(
        &server,
        &tokens,
        REPORT,
        "POST",
        serde_json::to_vec(&page).unwrap(),
        "application/json",
    )
    .await;
    let client = paused_client(&server).build().unwrap();

    let error = client.usage_report(report_request()).await.unwrap_err();

    match &error {
        EsetError::Decode {
            call,
            path,
            message,
            snippet,
            attempts,
        } => {
            assert_eq!(call, "UsageReport/AllCompanies/products");
            assert_eq!(path, "companies[1].products[0].seatDays");
            assert!(message.contains("invalid type"), "{message}");
            assert!(snippet.starts_with("{"), "{snippet}");
            assert!(snippet.chars().count() <= 201, "{snippet}");
            assert_eq!(*attempts, 1);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("companies[1].products[0].seatDays")
    );
    assert_eq!(
        count(&server, REPORT).await,
        1,
        "a wrong type is not retried"
    );
    assert_error_clean(&error, &tokens);
}

#[tokio::test(start_paused = true)]
async fn an_html_page_gives_a_clear_error() {
    let (server, tokens) = server(3600).await;
    let html = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>".to_vec();
    mount_raw(&server, &tokens, CURRENT, "GET", html, "text/html").await;
    let client = paused_client(&server).build().unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(
        matches!(&error, EsetError::Decode { call, .. } if call == "User/Current"),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("HTML"), "{text}");
    assert!(text.contains("ESET_MSP_API_URL"), "{text}");
    assert!(text.contains("<!DOCTYPE html> <html>"), "{text}");
    assert_eq!(count(&server, CURRENT).await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_cut_off_body_is_retried_and_can_recover() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let full = serde_json::to_vec(&user_current()).unwrap();
    let cut = full[..full.len() / 2].to_vec();
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(200).set_body_raw(cut, "application/json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let client = paused_client(&server).build().unwrap();

    client.current_user().await.unwrap();

    assert_eq!(count(&server, CURRENT).await, 2);
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stays_cut_off_gives_a_clear_error() {
    let (server, tokens) = server(3600).await;
    let page = fixture("usage-report-all-companies-categories-page-1.json")
        .unwrap_or_else(|| json!({"companies": [usage_company(0)], "paging": {"totalCount": 1}}));
    let full = serde_json::to_vec(&page).unwrap();
    mount_raw(
        &server,
        &tokens,
        REPORT,
        "POST",
        full[..full.len() * 2 / 3].to_vec(),
        "application/json",
    )
    .await;
    let client = paused_client(&server).max_attempts(2).build().unwrap();

    let error = client.usage_report(report_request()).await.unwrap_err();

    assert!(
        matches!(&error, EsetError::Decode { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("cut off"), "{error}");
    assert_eq!(count(&server, REPORT).await, 2);
}

#[tokio::test(start_paused = true)]
async fn nothing_panics_on_any_body() {
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   ".to_vec(),
        b"null".to_vec(),
        b"true".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"\"just a string\"".to_vec(),
        b"12345678901234567890123456789".to_vec(),
        b"{\"companies\": null}".to_vec(),
        b"{\"companies\": {}}".to_vec(),
        b"{\"companies\": [null]}".to_vec(),
        b"{\"companies\": [{}]}".to_vec(),
        b"{\"companies\": [{\"companyId\": 5}]}".to_vec(),
        b"{\"companies\": [{\"publicId\": \"\"}]}".to_vec(),
        b"{\"companies\": [], \"paging\": {\"totalCount\": -1}}".to_vec(),
        b"{\"companies\": [], \"totalCount\": 1e400}".to_vec(),
        b"{\"company\": {}}".to_vec(),
        b"{\"company\": {\"companyId\": \"\", \"id\": null}}".to_vec(),
        b"{\"company\": null}".to_vec(),
        b"{} trailing".to_vec(),
        b"{\"a\": \"\xff\xfe\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x01],
        b"\xef\xbb\xbf{}".to_vec(),
        deep_array.into_bytes(),
        deep_object.into_bytes(),
    ];
    for body in bodies {
        let (server, tokens) = server(3600).await;
        for (route, verb) in [
            (CURRENT, "GET"),
            (REPORT, "POST"),
            ("/api/Company/Children", "POST"),
        ] {
            mount_raw(
                &server,
                &tokens,
                route,
                verb,
                body.clone(),
                "application/json",
            )
            .await;
        }
        let client = paused_client(&server).max_attempts(2).build().unwrap();
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).to_string();

        // Any outcome but a panic is fine; errors must name the call.
        if let Err(e) = client.current_user().await {
            assert!(e.call().is_some(), "{shown}: {e:?}");
        }
        if let Err(e) = client.own_company_id().await {
            assert!(e.to_string().contains("User/Current"), "{shown}: {e}");
        }
        if let Err(e) = client.company_tree("root").await {
            assert_eq!(e.call(), Some("Company/Children"), "{shown}: {e:?}");
        }
        if let Err(e) = client.usage_report(report_request()).await {
            assert_eq!(
                e.call(),
                Some("UsageReport/AllCompanies/products"),
                "{shown}: {e:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn shared_fixtures_decode() {
    let (server, tokens) = server(3600).await;
    let mut mounted = 0;
    for (name, scope, kind) in [
        ("usage-report-daily-categories.json", "Daily", "categories"),
        (
            "usage-report-monthly-products-trial-suspended.json",
            "Monthly",
            "products",
        ),
        (
            "usage-report-selected-companies-products-mixed-codes.json",
            "SelectedCompanies",
            "products",
        ),
    ] {
        let Some(body) = fixture(name) else { continue };
        mounted += 1;
        mount_raw(
            &server,
            &tokens,
            &format!("/api/UsageReport/{scope}/{kind}"),
            "POST",
            serde_json::to_vec(&body).unwrap(),
            "application/json",
        )
        .await;
    }
    if mounted == 0 {
        return;
    }
    let client = paused_client(&server).build().unwrap();
    let period = DateRange::month(2026, 10).unwrap();
    let requests = [
        UsageReportRequest::new(
            ReportScope::Daily {
                company_id: "c".into(),
                codes: vec![],
            },
            ReportKind::Categories,
            period,
        ),
        UsageReportRequest::new(
            ReportScope::Monthly {
                company_id: "c".into(),
                codes: vec![],
            },
            ReportKind::Products,
            period,
        ),
        UsageReportRequest::new(
            ReportScope::SelectedCompanies(vec!["c".into()]),
            ReportKind::Products,
            period,
        ),
    ];
    for request in requests {
        let endpoint = request.endpoint();
        match client.usage_report(request).await {
            Ok(companies) => assert!(!companies.is_empty(), "{endpoint}"),
            // A fixture that is absent answers 404 from wiremock.
            Err(EsetError::Http { status: 404, .. }) => {}
            Err(e) => panic!("{endpoint}: {e}"),
        }
    }
}

/// One company whose entry does not read (a negative count, a null array, a wrong type, no id
/// at all) fails alone: the page's other companies are yielded, and each bad entry is named by
/// its company id and the JSON path inside the page.
#[tokio::test(start_paused = true)]
async fn one_bad_entry_fails_its_company_alone() {
    let (server, tokens) = server(3600).await;
    let row = |seat_days: serde_json::Value| serde_json::json!([{"code": "2015", "name": "ESET PROTECT Entry", "seatDays": seat_days, "seats": 1}]);
    let page = serde_json::json!({
        "companies": [
            {"companyId": "good-1", "companyName": "Łąka B.V.", "products": row(31.into())},
            {"companyId": "negative", "companyName": "Minus GmbH", "products": row((-5).into())},
            {"companyId": "null-rows", "products": null},
            {"companyId": "good-2", "products": row(62.into())},
            {"companyName": "No Id AG", "products": row("many".into())},
            {"companyId": "fraction", "products": row(1.5.into())}
        ],
        "paging": {"totalCount": 6}
    });
    mount_raw(
        &server,
        &tokens,
        REPORT,
        "POST",
        page.to_string().into_bytes(),
        "application/json",
    )
    .await;
    let client = paused_client(&server).build().unwrap();

    let pages = client.usage_report_pages(report_request());
    futures::pin_mut!(pages);
    let page = pages.next().await.unwrap().unwrap();
    assert!(pages.next().await.is_none(), "one short page");

    let good: Vec<&str> = page
        .response
        .companies
        .iter()
        .map(|c| c.company_id.as_str())
        .collect();
    assert_eq!(good, ["good-1", "good-2"]);
    let rejected: Vec<(Option<&str>, String)> = page
        .rejected
        .iter()
        .map(|r| match &r.error {
            EsetError::Decode { path, .. } => (r.company_id.as_deref(), path.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (
                Some("negative"),
                "companies[1].products[0].seatDays".to_owned()
            ),
            (Some("null-rows"), "companies[2].products".to_owned()),
            (None, "companies[4].products[0].seatDays".to_owned()),
            (
                Some("fraction"),
                "companies[5].products[0].seatDays".to_owned()
            ),
        ]
    );
    assert_eq!(page.rejected[2].company_name.as_deref(), Some("No Id AG"));
    // The collected form cannot hold a partial page: it is the first bad entry's error.
    let error = client.usage_report(report_request()).await.unwrap_err();
    assert!(error.to_string().contains("companies[1]"), "{error}");
}
