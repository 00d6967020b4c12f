//! Login, renewal, re-login after 401, bad credentials.

use std::time::Duration;

use usage_eset::EsetError;
use usage_eset::TransportSettings as _;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const GET: &str = "/api/Token/Get";
const RENEW: &str = "/api/Token/Renew";
const CURRENT: &str = "/api/User/Current";

/// Real time: tokens live 2 s and the server refuses expired ones; a 5 s run of calls must
/// renew in time and never see a 401.
#[tokio::test]
async fn two_second_tokens_are_renewed_during_a_five_second_run() {
    let (server, tokens) = server(2).await;
    mount_user_current(&server, &tokens).await;
    let client = client(&server).build().unwrap();

    let start = tokio::time::Instant::now();
    let mut calls = 0;
    while start.elapsed() < Duration::from_secs(5) {
        client.current_user().await.unwrap();
        calls += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert!(calls >= 20, "only {calls} calls");
    assert_eq!(count(&server, GET).await, 1, "logged in more than once");
    let renewals = count(&server, RENEW).await;
    assert!(renewals >= 2, "renewed only {renewals} times");
    assert_eq!(
        count(&server, CURRENT).await,
        calls,
        "a call was refused and resent"
    );
}

#[tokio::test(start_paused = true)]
async fn a_401_midway_leads_to_exactly_one_relogin() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server).build().unwrap();
    client.current_user().await.unwrap();
    assert_eq!(count(&server, GET).await, 1);

    // The server forgets the session once.
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    client.current_user().await.unwrap();
    client.current_user().await.unwrap();

    assert_eq!(count(&server, GET).await, 2);
    assert_eq!(count(&server, CURRENT).await, 4);
}

#[tokio::test(start_paused = true)]
async fn a_401_that_persists_after_relogin_is_an_error_not_a_loop() {
    let (server, tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = paused_client(&server).build().unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(
        matches!(error, EsetError::Http { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(count(&server, GET).await, 2);
    assert_eq!(count(&server, CURRENT).await, 2);
    assert_error_clean(&error, &tokens);
}

#[tokio::test(start_paused = true)]
async fn wrong_credentials_fail_after_one_attempt() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let client = usage_eset::EsetClient::builder(USERNAME, "wrong password".into())
        .base_url(format!("{}/api", server.uri()))
        .no_timeout()
        .build()
        .unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(matches!(&error, EsetError::BadCredentials { username } if username == USERNAME));
    assert!(error.to_string().contains("ESET_MSP_PASSWORD"), "{error}");
    assert_eq!(count(&server, GET).await, 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_error_clean(&error, &tokens);
}

#[tokio::test(start_paused = true)]
async fn concurrent_calls_share_one_login() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server).build().unwrap();

    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.current_user().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }

    assert_eq!(count(&server, GET).await, 1);
    assert_eq!(count(&server, CURRENT).await, 20);
}

#[tokio::test(start_paused = true)]
async fn token_is_renewed_before_expiry_and_a_failed_renewal_falls_back_to_login() {
    let (server, tokens) = server(60).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server).build().unwrap();
    // The server's clock is real and the test's is paused: the server must not judge expiry.
    let client_clone = client.clone();
    client_clone.current_user().await.unwrap();

    // 55 s later (less than 10 s left) the token is renewed, not re-fetched.
    tokio::time::advance(Duration::from_secs(55)).await;
    client.current_user().await.unwrap();
    assert_eq!(count(&server, GET).await, 1);
    assert_eq!(count(&server, RENEW).await, 1);

    // Renewal breaks: the next renewal falls back to Token/Get.
    Mock::given(method("POST"))
        .and(path(RENEW))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    tokio::time::advance(Duration::from_secs(55)).await;
    client.current_user().await.unwrap();
    assert_eq!(
        count(&server, RENEW).await,
        2,
        "a failed renewal is not retried"
    );
    assert_eq!(count(&server, GET).await, 2);
}

#[tokio::test(start_paused = true)]
async fn a_session_older_than_29_minutes_is_opened_afresh() {
    let (server, tokens) = server(60).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server).build().unwrap();

    // One call every 52 s (inside each token's renewal window, 10 s before its 60 s
    // expiry) for 34 minutes: renewals keep the session for 29 minutes, then a fresh login.
    for _ in 0..40 {
        client.current_user().await.unwrap();
        tokio::time::advance(Duration::from_secs(52)).await;
    }

    assert_eq!(count(&server, GET).await, 2);
    assert!(count(&server, RENEW).await >= 30);
}

#[tokio::test(start_paused = true)]
async fn an_opaque_token_is_used_and_renewed_after_a_short_assumed_lifetime() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GET))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"accessToken": "opaque-ACCESS-SECRET", "refreshToken": "REFRESH-SECRET-opaque"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(RENEW))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"accessToken": "opaque-ACCESS-SECRET-2"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_current()))
        .mount(&server)
        .await;
    let client = paused_client(&server).build().unwrap();

    client.current_user().await.unwrap();
    tokio::time::advance(Duration::from_secs(30)).await;
    client.current_user().await.unwrap();
    assert_eq!(count(&server, RENEW).await, 0);
    tokio::time::advance(Duration::from_secs(25)).await;
    client.current_user().await.unwrap();
    assert_eq!(count(&server, RENEW).await, 1);
    assert_eq!(count(&server, GET).await, 1);

    let requests = server.received_requests().await.unwrap();
    let renew = requests.iter().find(|r| r.url.path() == RENEW).unwrap();
    assert_eq!(
        renew.headers.get("authorization").unwrap(),
        "Bearer opaque-ACCESS-SECRET",
        "Token/Renew carries the bearer"
    );
    assert_eq!(
        renew.body_json::<serde_json::Value>().unwrap()["refreshToken"],
        "REFRESH-SECRET-opaque"
    );
    let last = requests.iter().rfind(|r| r.url.path() == CURRENT).unwrap();
    assert_eq!(
        last.headers.get("authorization").unwrap(),
        "Bearer opaque-ACCESS-SECRET-2"
    );
}

#[tokio::test(start_paused = true)]
async fn every_request_has_user_agent_accept_and_bearer() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server).build().unwrap();

    let id = client.own_company_id().await.unwrap();

    let expected_id = user_current()["company"]["companyId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id, expected_id);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        let ua = r.headers.get("user-agent").unwrap().to_str().unwrap();
        assert_eq!(ua, format!("msp-usage/{}", env!("CARGO_PKG_VERSION")));
        assert_eq!(r.headers.get("accept").unwrap(), "application/json");
    }
    assert!(requests[0].headers.get("authorization").is_none());
    assert_eq!(
        requests[0].headers.get("content-type").unwrap(),
        "application/json"
    );
    assert!(tokens.authorized(&requests[1]));
}
