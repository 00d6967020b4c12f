//! The knobs (latency, token and session lifetime, rate limit, faults, a failing company,
//! maintenance), determinism, and the library API (exports, counters, shutdown).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Answer, Harness, jwt_claims, period};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usage_sandbox::{Credentials, Dataset, FaultKind, Sandbox, SandboxConfig, eset_error_codes};

// ---- determinism -----------------------------------------------------------------------------

/// The bodies of a fixed set of calls.
async fn bodies(h: &Harness, month: u32) -> Vec<Vec<u8>> {
    let (token, _) = h.eset_login().await;
    let from = format!("2026-{month:02}-01");
    let to = format!("2026-{month:02}-28");
    let mut out = Vec::new();
    for (path, skip) in [
        ("UsageReport/AllCompanies/categories", 0),
        ("UsageReport/AllCompanies/categories", 100),
        ("UsageReport/AllCompanies/products", 50),
    ] {
        out.push(
            h.eset_post(&token, path, &period(&from, &to, skip, 100))
                .await
                .bytes,
        );
    }
    // A company with rows (the same one for the same seed).
    let first: Value = serde_json::from_slice(&out[0]).unwrap();
    let company = first["companies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["categories"].as_array().unwrap().len() > 1)
        .unwrap()["companyId"]
        .clone();
    let mut daily = period(&from, &to, 0, 100);
    daily["companyId"] = company;
    out.push(
        h.eset_post(&token, "UsageReport/Daily/products", &daily)
            .await
            .bytes,
    );
    let target = format!("{month:02}/2026");
    out.push(
        h.gz(
            "licensing",
            "getMonthlyUsage",
            json!({"targetMonth": target}),
        )
        .await
        .bytes,
    );
    out.push(
        h.gz(
            "licensing",
            "getMonthlyUsagePerProductType",
            json!({"targetMonth": target}),
        )
        .await
        .bytes,
    );
    out
}

#[tokio::test]
async fn same_seed_and_month_give_byte_identical_bodies() {
    let a = Harness::start(SandboxConfig::default().with_seed(1234)).await;
    let b = Harness::start(SandboxConfig::default().with_seed(1234)).await;
    let first = bodies(&a, 4).await;
    assert_eq!(first, bodies(&b, 4).await);
    assert_eq!(first, bodies(&a, 4).await, "and again on the same sandbox");
    assert_eq!(a.sandbox.dataset(), &Dataset::new(1234));
    // Another month: different usage everywhere.
    let other_month = bodies(&a, 5).await;
    for (one, two) in first.iter().zip(&other_month) {
        assert_ne!(one, two);
    }
    // Another seed: another dataset.
    let c = Harness::start(SandboxConfig::default().with_seed(1235)).await;
    assert_ne!(
        c.sandbox.dataset().eset_root().id,
        a.sandbox.dataset().eset_root().id
    );
    assert_ne!(bodies(&c, 4).await, first);
}

// ---- latency and lifetimes -------------------------------------------------------------------

#[tokio::test]
async fn latency_delays_every_answer() {
    let slow = Harness::start(SandboxConfig::default().with_latency(Duration::from_secs(5))).await;
    let fast = Harness::default().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let body =
        json!({"username": Credentials::ESET_USERNAME, "password": Credentials::ESET_PASSWORD});
    let timed_out = client
        .post(slow.eset_url("Token/Get"))
        .json(&body)
        .send()
        .await;
    assert!(timed_out.unwrap_err().is_timeout());
    assert_eq!(
        slow.sandbox.request_count("eset:Token/Get"),
        1,
        "received, held back"
    );
    let answered = client
        .post(fast.eset_url("Token/Get"))
        .json(&body)
        .send()
        .await;
    assert_eq!(answered.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn token_lifetime_and_session_lifetime() {
    let h =
        Harness::start(SandboxConfig::default().with_eset_token_lifetime(Duration::from_secs(600)))
            .await;
    let (token, _) = h.eset_login().await;
    let claims = jwt_claims(&token);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        600
    );

    // A session that is already over: the token is capped to it, and renewing is refused.
    let h =
        Harness::start(SandboxConfig::default().with_eset_session_lifetime(Duration::ZERO)).await;
    let (token, refresh) = h.eset_login().await;
    let claims = jwt_claims(&token);
    assert_eq!(claims["exp"], claims["iat"]);
    let renew = h
        .eset_post(&token, "Token/Renew", &json!({"refreshToken": refresh}))
        .await;
    assert_eq!(renew.status, StatusCode::UNAUTHORIZED);
}

// ---- rate limit ------------------------------------------------------------------------------

async fn burst(h: &Harness, service: &str, method: &str, params: &Value, n: usize) -> Vec<Answer> {
    let calls = (0..n).map(|_| h.gz(service, method, params.clone()));
    futures_join_all(calls).await
}

/// `futures::future::join_all` without the futures crate: spawn-free, polled together.
async fn futures_join_all<F: std::future::Future<Output = Answer>>(
    calls: impl Iterator<Item = F>,
) -> Vec<Answer> {
    let mut set = Vec::new();
    for call in calls {
        set.push(Box::pin(call));
    }
    let mut out: Vec<Option<Answer>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, call) in out.iter_mut().zip(set.iter_mut()) {
            if slot.is_none() {
                match call.as_mut().poll(cx) {
                    std::task::Poll::Ready(answer) => *slot = Some(answer),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn the_licensing_rate_limit_queues_five_and_refuses_the_rest() {
    let h = Harness::start(SandboxConfig::default().with_rate_limit(true)).await;
    let answers = burst(
        &h,
        "licensing",
        "getMonthlyUsage",
        &json!({"targetMonth": "01/2026"}),
        20,
    )
    .await;
    let ok = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    let refused: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(ok + refused.len(), 20);
    // 5 at once and 5 queued always get through; a burst this small cannot outlast the queue.
    assert!(ok >= 10, "{ok} answered");
    assert!(refused.len() >= 5, "{} refused", refused.len());
    for answer in refused {
        assert!(answer.retry_after().unwrap() >= 1);
        assert_eq!(answer.rpc_code(), Some(-32003));
    }
    assert_eq!(
        h.sandbox
            .request_count("bitdefender:licensing.getMonthlyUsage"),
        20
    );
    // Other services are not limited.
    let list = burst(&h, "network", "getCompaniesList", &json!({}), 20).await;
    assert!(
        list.iter()
            .all(|a| a.status == StatusCode::OK && a.json["result"].is_array())
    );
}

#[tokio::test]
async fn without_the_rate_limit_a_burst_is_answered() {
    let h = Harness::default().await;
    let answers = burst(
        &h,
        "licensing",
        "getMonthlyUsage",
        &json!({"targetMonth": "01/2026"}),
        20,
    )
    .await;
    assert!(answers.iter().all(|a| a.status == StatusCode::OK));
}

// ---- faults ----------------------------------------------------------------------------------

fn only(kind: FaultKind) -> SandboxConfig {
    SandboxConfig::default()
        .with_faults(1.0, 5)
        .with_fault_kinds([kind])
        .with_slow_response(Duration::from_secs(30))
}

async fn eset_report(h: &Harness) -> Answer {
    let (token, _) = h.eset_login().await;
    h.eset_post(
        &token,
        "UsageReport/AllCompanies/categories",
        &period("2026-01-01", "2026-01-31", 0, 5),
    )
    .await
}

#[tokio::test]
async fn fault_429_carries_retry_after() {
    let h = Harness::start(only(FaultKind::TooManyRequests)).await;
    let eset = eset_report(&h).await; // Token/Get inside is never hit.
    assert_eq!(eset.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(eset.retry_after(), Some(1));
    assert_eq!(eset.eset_code(), (99, eset_error_codes::TOO_MANY_REQUESTS));
    let gz = h.gz("network", "getCompaniesList", json!({})).await;
    assert_eq!(gz.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(gz.retry_after(), Some(1));
    assert_eq!(gz.rpc_code(), Some(-32003));
    assert_eq!(gz.json["id"], "5087eab8-b74f-4a3e-85b3-4271e85890d4");
}

#[tokio::test]
async fn fault_500_and_503_maintenance() {
    let h = Harness::start(only(FaultKind::ServerError)).await;
    let eset = eset_report(&h).await;
    assert_eq!(eset.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(eset.eset_code(), (99, eset_error_codes::INTERNAL));
    let gz = h.gz("licensing", "getLicenseInfo", json!({})).await;
    assert_eq!(gz.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(gz.rpc_code(), Some(-32000));

    let h = Harness::start(only(FaultKind::Maintenance)).await;
    let eset = eset_report(&h).await;
    assert_eq!(eset.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(eset.eset_code(), (99, eset_error_codes::MAINTENANCE));
    assert!(eset.json["message"].as_str().unwrap().contains("updated"));
    let gz = h.gz("licensing", "getLicenseInfo", json!({})).await;
    assert_eq!(gz.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn fault_truncated_body_is_a_cut_off_200() {
    let h = Harness::start(only(FaultKind::TruncatedBody)).await;
    let clean = Harness::default().await;
    let cut = eset_report(&h).await;
    let whole = eset_report(&clean).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&cut.bytes).is_err());
    assert!(!cut.bytes.is_empty() && cut.bytes.len() < whole.bytes.len());
    assert!(whole.bytes.starts_with(&cut.bytes));
    let gz = h.gz("network", "getCompaniesList", json!({})).await;
    assert_eq!(gz.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&gz.bytes).is_err());
}

#[tokio::test]
async fn fault_slow_response_outlasts_the_client_timeout() {
    let h = Harness::start(only(FaultKind::SlowResponse)).await;
    let (token, _) = h.eset_login().await; // not slowed: token calls are spared
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let slow = client
        .post(h.eset_url("UsageReport/AllCompanies/categories"))
        .bearer_auth(token)
        .json(&period("2026-01-01", "2026-01-31", 0, 5))
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());
    assert_eq!(
        h.sandbox
            .request_count("eset:UsageReport/AllCompanies/categories"),
        1
    );
}

#[tokio::test]
async fn faults_spare_token_get_unless_asked() {
    let h = Harness::start(only(FaultKind::ServerError)).await;
    for _ in 0..5 {
        h.eset_login().await;
    }
    let h = Harness::start(only(FaultKind::ServerError).with_fault_token_requests(true)).await;
    let answer = h
        .eset_post_anon(
            "Token/Get",
            &json!({"username": Credentials::ESET_USERNAME, "password": Credentials::ESET_PASSWORD}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// Status and whether the body parsed, for `n` sequential calls.
async fn outcomes(h: &Harness, n: usize) -> Vec<(u16, bool)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let answer = h.gz("network", "getCompaniesList", json!({})).await;
        out.push((answer.status.as_u16(), answer.json.is_object()));
    }
    out
}

#[tokio::test]
async fn faults_are_deterministic_per_seed_and_sequence() {
    let config = SandboxConfig::default()
        .with_faults(0.3, 11)
        .with_fault_kinds([
            FaultKind::TooManyRequests,
            FaultKind::ServerError,
            FaultKind::Maintenance,
            FaultKind::TruncatedBody,
        ]);
    let a = Harness::start(config.clone()).await;
    let b = Harness::start(config.clone()).await;
    let first = outcomes(&a, 60).await;
    assert_eq!(first, outcomes(&b, 60).await);
    let hit = first
        .iter()
        .filter(|(status, parsed)| *status != 200 || !parsed)
        .count();
    assert!((6..=30).contains(&hit), "{hit} of 60 hit at a rate of 0.3");
    let counted: u64 = a
        .sandbox
        .request_counts()
        .iter()
        .filter(|(name, _)| name.starts_with("fault:"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(counted, hit as u64, "every fault is counted");
    let c = Harness::start(config.with_faults(0.3, 12)).await;
    assert_ne!(first, outcomes(&c, 60).await);
    let clean = Harness::default().await;
    assert!(outcomes(&clean, 20).await.iter().all(|o| *o == (200, true)));
}

// ---- a failing company and maintenance -------------------------------------------------------

#[tokio::test]
async fn a_failing_eset_company_fails_its_own_reports_only() {
    let dataset = Dataset::new(42);
    let failing = dataset.eset_companies()[10].id.clone();
    let other = dataset.eset_companies()[11].id.clone();
    let h = Harness::start(SandboxConfig::default().with_fail_company(failing.clone())).await;
    let (token, _) = h.eset_login().await;
    for (path, id) in [
        ("UsageReport/Monthly/categories", &failing),
        ("UsageReport/Daily/products", &failing),
    ] {
        let mut body = period("2026-01-01", "2026-01-31", 0, 100);
        body["companyId"] = json!(id);
        let answer = h.eset_post(&token, path, &body).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(answer.eset_code(), (99, eset_error_codes::INTERNAL));
    }
    let mut selected = period("2026-01-01", "2026-01-31", 0, 100);
    selected["companyIds"] = json!([other, failing]);
    let answer = h
        .eset_post(&token, "UsageReport/SelectedCompanies/products", &selected)
        .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    let mut fine = period("2026-01-01", "2026-01-31", 0, 100);
    fine["companyId"] = json!(other);
    assert_eq!(
        h.eset_post(&token, "UsageReport/Monthly/categories", &fine)
            .await
            .status,
        StatusCode::OK
    );
    // The AllCompanies page that holds it fails (one bad row takes its page down); the page
    // after it does not.
    let page = |skip: u64| period("2026-01-01", "2026-01-31", skip, 100);
    let first = h
        .eset_post(&token, "UsageReport/AllCompanies/categories", &page(0))
        .await;
    assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR);
    let second = h
        .eset_post(&token, "UsageReport/AllCompanies/categories", &page(100))
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(
        !second.json["companies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["companyId"] == failing.as_str())
    );
}

#[tokio::test]
async fn a_failing_gravityzone_company_fails_its_usage_calls_only() {
    let dataset = Dataset::new(42);
    let customer = dataset
        .gravityzone_companies()
        .iter()
        .find(|c| c.company_type == 1 && c.depth == 2 && c.monthly_license)
        .unwrap()
        .clone();
    let h = Harness::start(SandboxConfig::default().with_fail_company(customer.id.clone())).await;
    for method in [
        "getMonthlyUsage",
        "getMonthlyUsagePerProductType",
        "getLicenseInfo",
    ] {
        let answer = h
            .gz("licensing", method, json!({"companyId": customer.id}))
            .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{method}");
        assert_eq!(answer.rpc_code(), Some(-32000));
    }
    let details = h
        .gz(
            "companies",
            "getCompanyDetails",
            json!({"companyId": customer.id}),
        )
        .await;
    assert_eq!(details.status, StatusCode::OK);
    let parent = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"companyId": customer.parent_id}),
        )
        .await;
    assert_eq!(parent.status, StatusCode::OK);
    assert!(parent.json["result"].is_object());
}

#[tokio::test]
async fn eset_maintenance_answers_503_everywhere_and_leaves_gravityzone_alone() {
    let h = Harness::start(SandboxConfig::default().with_eset_maintenance(true)).await;
    let token = h
        .eset_post_anon(
            "Token/Get",
            &json!({"username": Credentials::ESET_USERNAME, "password": Credentials::ESET_PASSWORD}),
        )
        .await;
    assert_eq!(token.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(token.eset_code(), (99, eset_error_codes::MAINTENANCE));
    assert_eq!(
        h.gz("licensing", "getLicenseInfo", json!({})).await.status,
        StatusCode::OK
    );
}

// ---- library API -----------------------------------------------------------------------------

#[tokio::test]
async fn env_exports_name_the_five_variables_in_order() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let exports = sandbox.env_exports();
    let names: Vec<&str> = exports.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ESET_MSP_API_URL",
            "ESET_MSP_USERNAME",
            "ESET_MSP_PASSWORD",
            "GRAVITYZONE_API_URL",
            "GRAVITYZONE_API_KEY"
        ]
    );
    let url = format!("http://127.0.0.1:{}/api", sandbox.addr().port());
    assert_eq!(exports[0].1, url);
    assert_eq!(exports[3].1, url);
    assert_eq!(sandbox.eset_base_url(), url);
    assert_eq!(sandbox.gravityzone_base_url(), url);
    let credentials = sandbox.credentials();
    assert_eq!(exports[1].1, credentials.eset_username);
    assert_eq!(exports[2].1, credentials.eset_password);
    assert_eq!(exports[4].1, credentials.gravityzone_api_key);
    assert_eq!(credentials, Credentials::demo());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn request_counters_count_every_endpoint() {
    let h = Harness::default().await;
    let (token, _) = h.eset_login().await;
    for _ in 0..3 {
        h.eset_post(
            &token,
            "UsageReport/AllCompanies/categories",
            &period("2026-01-01", "2026-01-31", 0, 5),
        )
        .await;
    }
    h.gz("licensing", "getMonthlyUsage", json!({})).await;
    h.gz_with_key("wrong", "licensing", "getMonthlyUsage", json!({}))
        .await;
    let counts = h.sandbox.request_counts();
    assert_eq!(counts.get("eset:Token/Get"), Some(&1));
    assert_eq!(
        counts.get("eset:UsageReport/AllCompanies/categories"),
        Some(&3)
    );
    assert_eq!(
        counts.get("bitdefender:licensing.getMonthlyUsage"),
        Some(&2)
    );
    assert_eq!(counts.len(), 3);
    let issued = h.sandbox.issued_tokens();
    assert_eq!(issued.len(), 2, "one access and one refresh token");
    assert_eq!(issued[0], token);
}

#[tokio::test]
async fn shutdown_stops_the_server_even_with_an_answer_held_back() {
    let sandbox = Sandbox::start(only(FaultKind::SlowResponse)).await.unwrap();
    let url = format!("{}/v1.0/jsonrpc/network", sandbox.gravityzone_base_url());
    let client = reqwest::Client::new();
    let pending = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(url)
                .header(
                    "Authorization",
                    common::basic(Credentials::GRAVITYZONE_API_KEY),
                )
                .json(
                    &json!({"id": 1, "jsonrpc": "2.0", "method": "getCompaniesList", "params": {}}),
                )
                .send()
                .await
        }
    });
    while sandbox.request_count("bitdefender:network.getCompaniesList") == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Shutdown cuts the 30 s slow answer short instead of waiting for it.
    tokio::time::timeout(Duration::from_secs(10), sandbox.shutdown())
        .await
        .expect("shutdown finished");
    let held = pending.await.unwrap();
    assert!(held.is_err() || held.unwrap().status() == StatusCode::SERVICE_UNAVAILABLE);
    let after = client.post(&url).send().await;
    assert!(after.is_err(), "nothing listens any more");
}

#[tokio::test]
async fn start_on_a_busy_port_fails() {
    let first = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let second = Sandbox::start_on(SandboxConfig::default(), first.addr().port()).await;
    assert!(second.is_err());
    drop(first);
}
