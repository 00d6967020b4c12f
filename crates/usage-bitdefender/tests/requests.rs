//! What goes over the wire: the exact JSON of each request body, the URL and the headers.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::{BASIC, Ticker, client, fixture, json_body};
use serde_json::json;
use usage_bitdefender::TargetMonth;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

/// The body as sent, with its id (a positive integer, checked) replaced by `"[id]"`.
fn normalised_body(request: &Request) -> String {
    let text = String::from_utf8(request.body.clone()).unwrap();
    let id = common::request_id(&request.body).expect("a numeric id");
    assert!(id > 0);
    let prefix = format!("{{\"id\":{id},");
    assert!(text.starts_with(&prefix), "the id comes first: {text}");
    text.replacen(&prefix, "{\"id\":\"[id]\",", 1)
}

/// Checks the method, URL and headers every request must carry.
fn check_envelope(request: &Request, service: &str) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), format!("/api/v1.0/jsonrpc/{service}"));
    assert_eq!(request.url.query(), None);
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(header("authorization").as_deref(), Some(BASIC));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(
        header("user-agent"),
        Some(format!("msp-usage/{}", env!("CARGO_PKG_VERSION")))
    );
}

async fn mount(server: &MockServer, service: &str, body: String) {
    Mock::given(method("POST"))
        .and(path(format!("/api/v1.0/jsonrpc/{service}")))
        .respond_with(json_body(body))
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn request_bodies_urls_and_headers() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    mount(
        &server,
        "licensing",
        fixture("get-monthly-usage-all-counters.json"),
    )
    .await;
    mount(&server, "network", fixture("get-companies-list.json")).await;
    mount(&server, "companies", fixture("get-company-details.json")).await;
    let gz = client(&server);
    let march = TargetMonth::new(2026, 3).unwrap();
    let company = "55115935b1a43dcc4a7b23c6";

    gz.monthly_usage(Some(company), march).await.unwrap();
    gz.monthly_usage(None, TargetMonth::new(2026, 10).unwrap())
        .await
        .unwrap();
    gz.company_details(Some(company)).await.unwrap();
    gz.company_details(None).await.unwrap();
    gz.companies_list(Some(company)).await.unwrap();
    gz.companies_list(None).await.unwrap();
    // The answers of these two do not matter here (the fixture is getMonthlyUsage's).
    let _ = gz
        .monthly_usage_per_product_type(Some(company), march)
        .await;
    let _ = gz.license_info(Some(company)).await;
    let _ = gz.license_info(None).await;

    let requests = server.received_requests().await.unwrap();
    let names = [
        ("licensing", "get_monthly_usage_company"),
        ("licensing", "get_monthly_usage_own_company"),
        ("companies", "get_company_details_company"),
        ("companies", "get_company_details_own_company"),
        ("network", "get_companies_list_parent"),
        ("network", "get_companies_list_own_company"),
        ("licensing", "get_monthly_usage_per_product_type_company"),
        ("licensing", "get_license_info_company"),
        ("licensing", "get_license_info_own_company"),
    ];
    assert_eq!(requests.len(), names.len());
    let mut ids = HashSet::new();
    for (request, (service, name)) in requests.iter().zip(names) {
        check_envelope(request, service);
        assert!(
            ids.insert(common::request_id(&request.body).unwrap()),
            "request ids are unique"
        );
        insta::assert_snapshot!(name, normalised_body(request));
    }
}

#[tokio::test(start_paused = true)]
async fn clones_share_the_id_counter() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    mount(
        &server,
        "network",
        json!({"id": 1, "jsonrpc": "2.0", "result": []}).to_string(),
    )
    .await;
    let a = client(&server);
    let b = a.clone();
    for _ in 0..3 {
        a.companies_list(None).await.unwrap();
        b.companies_list(None).await.unwrap();
    }
    let ids: HashSet<u64> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| common::request_id(&r.body).unwrap())
        .collect();
    assert_eq!(ids.len(), 6);
}

#[test]
fn target_month_renders_mm_yyyy() {
    assert_eq!(TargetMonth::new(2026, 3).unwrap().to_string(), "03/2026");
    assert_eq!(TargetMonth::new(2026, 12).unwrap().to_string(), "12/2026");
    let month = TargetMonth::new(2031, 7).unwrap();
    assert_eq!((month.year(), month.month()), (2031, 7));
    assert!(TargetMonth::new(2026, 0).is_err());
    assert!(TargetMonth::new(2026, 13).is_err());
    assert!(TargetMonth::new(26, 10).is_err());
    assert!(TargetMonth::new(10000, 1).is_err());
}

/// The CLI runs calls and the walk on a multi-threaded runtime: every future must be `Send`.
#[test]
fn calls_and_the_walk_are_send() {
    fn send<T: Send>(_: &T) {}
    let gz = common::builder_for("http://127.0.0.1:9/api")
        .build()
        .unwrap();
    let month = TargetMonth::new(2026, 10).unwrap();
    send(&gz.monthly_usage(None, month));
    send(&gz.monthly_usage_per_product_type(None, month));
    send(&gz.license_info(None));
    send(&gz.companies_list(None));
    send(&gz.company_details(None));
    send(&gz.company_tree());
    fn shared<T: Send + Sync + Clone + 'static>(_: &T) {}
    shared(&gz);
}
