//! Pacing and retries, on tokio's paused clock.
//!
//! The paused clock jumps ahead while a request is on the loopback wire (tokio advances it to the
//! next timer whenever the runtime waits for I/O), so the server cannot judge a request by the
//! time it reads it. The client logs each request at debug level, with its JSON-RPC id, right
//! after the rate limiter let it go; the test server judges each request by that moment (looked
//! up by id), which is when a request arrives on a wire without latency.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{LogCapture, Ticker, client, fixture, json_body};
use futures::future::join_all;
use tokio::time::Instant;
use usage_bitdefender::TransportSettings as _;
use usage_bitdefender::{GravityZoneError, MonthlyUsageOutcome, TargetMonth};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECOND: Duration = Duration::from_secs(1);

/// Answers 429 to a request that would make more than 5 arrive within one second (any window
/// `[t, t + 1 s)`), else the usage fixture.
struct FivePerSecond {
    logs: LogCapture,
    accepted: Mutex<Vec<Instant>>,
    rejected: Arc<AtomicUsize>,
}

impl Respond for FivePerSecond {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = common::request_id(&request.body).unwrap();
        let at = self
            .logs
            .sent_at(id)
            .expect("every request was logged before it was sent");
        let mut accepted = self.accepted.lock().unwrap();
        let mut times = accepted.clone();
        times.push(at);
        let too_many = times.iter().any(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && **t - *start < SECOND)
                .count()
                > 5
        });
        if too_many {
            self.rejected.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429).insert_header("Retry-After", "1");
        }
        accepted.push(at);
        json_body(fixture("get-monthly-usage-all-counters.json")).answer(request)
    }
}

#[tokio::test(start_paused = true)]
async fn fifty_licensing_calls_get_no_429_and_go_at_five_per_second() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    let rejected = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/api/v1.0/jsonrpc/licensing"))
        .respond_with(FivePerSecond {
            logs: logs.clone(),
            accepted: Mutex::new(Vec::new()),
            rejected: rejected.clone(),
        })
        .mount(&server)
        .await;
    let gz = client(&server);
    let month = TargetMonth::new(2026, 10).unwrap();
    let ids: Vec<String> = (0..50).map(|i| format!("{i:024x}")).collect();

    let started = Instant::now();
    let results = join_all(ids.iter().map(|id| gz.monthly_usage(Some(id), month))).await;

    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(MonthlyUsageOutcome::Usage(_)))),
        "{results:?}"
    );
    assert_eq!(
        rejected.load(Ordering::SeqCst),
        0,
        "no request was answered 429"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 50);

    let mut sent: Vec<Duration> = logs
        .sends("licensing.getMonthlyUsage")
        .iter()
        .map(|l| l.at - started)
        .collect();
    sent.sort();
    assert_eq!(sent.len(), 50);
    // One request every 200 ms: 5 in every second, 9.8 s from the first to the last.
    for pair in sent.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(200), "{sent:?}");
    }
    let span = sent[49] - sent[0];
    assert!(
        span >= Duration::from_millis(9_800) && span < Duration::from_millis(9_850),
        "{span:?}"
    );
    for second in 0..9 {
        let from = sent[0] + SECOND * second;
        let count = sent
            .iter()
            .filter(|t| **t >= from && **t < from + SECOND)
            .count();
        assert_eq!(count, 5, "second {second}: {sent:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn network_calls_go_at_ten_per_second() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_body(fixture("get-companies-list.json")))
        .mount(&server)
        .await;
    let gz = client(&server);
    let results = join_all((0..20).map(|_| gz.companies_list(None))).await;
    assert!(results.iter().all(Result::is_ok));
    let mut sent: Vec<Instant> = logs
        .sends("network.getCompaniesList")
        .iter()
        .map(|l| l.at)
        .collect();
    sent.sort();
    assert_eq!(sent.len(), 20);
    for pair in sent.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(100));
    }
    let span = sent[19] - sent[0];
    assert!(
        span >= Duration::from_millis(1_900) && span < Duration::from_millis(1_950),
        "{span:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn clones_and_company_details_share_the_licensing_budget() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1.0/jsonrpc/licensing"))
        .respond_with(json_body(fixture("get-license-info.json")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1.0/jsonrpc/companies"))
        .respond_with(json_body(fixture("get-company-details.json")))
        .mount(&server)
        .await;
    let a = client(&server);
    let b = a.clone();
    let licenses = join_all((0..5).map(|_| a.license_info(None)));
    let details = join_all((0..5).map(|_| b.company_details(None)));
    let (licenses, details) = tokio::join!(licenses, details);
    assert!(licenses.iter().all(Result::is_ok));
    assert!(details.iter().all(Result::is_ok));
    let mut sent: Vec<Instant> = logs
        .logged()
        .into_iter()
        .filter(|l| l.field("message") == Some("sending GravityZone request"))
        .map(|l| l.at)
        .collect();
    sent.sort();
    assert_eq!(sent.len(), 10);
    let span = sent[9] - sent[0];
    assert!(
        span >= Duration::from_millis(1_800),
        "one 5/s budget for both: {span:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_seconds_is_honoured() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_body(fixture(
            "get-monthly-usage-no-monthly-license.json",
        )))
        .mount(&server)
        .await;
    let gz = client(&server);
    let outcome = gz
        .monthly_usage(
            Some("656b64da26f2a74de4651327"),
            TargetMonth::new(2026, 10).unwrap(),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, MonthlyUsageOutcome::NoMonthlyLicense));
    assert_eq!(logs.sends("licensing.getMonthlyUsage").len(), 2);
    let waits = logs.waits("licensing.getMonthlyUsage");
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] >= Duration::from_secs(3) && waits[0] <= Duration::from_millis(3_005),
        "{waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_honoured() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(5));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", at.as_str()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_body(fixture("get-companies-list.json")))
        .mount(&server)
        .await;
    let gz = client(&server);
    assert_eq!(gz.companies_list(None).await.unwrap().len(), 9);
    assert_eq!(logs.sends("network.getCompaniesList").len(), 2);
    let waits = logs.waits("network.getCompaniesList");
    // The date has whole seconds, and some real time passes before the client reads it.
    assert!(
        waits[0] >= Duration::from_secs(3) && waits[0] <= Duration::from_secs(5),
        "{waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_too_long_to_wait_for_fails_the_call_at_once_naming_the_wait() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let gz = client(&server);
    let start = tokio::time::Instant::now();
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(
            &err,
            GravityZoneError::WaitTooLong { status: Some(429), wait, .. } if *wait == Duration::from_secs(3600)
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("3600 s") && text.contains("120 s"), "{text}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(start.elapsed() < Duration::from_secs(1), "it waited");
}

#[tokio::test(start_paused = true)]
async fn persistent_429_gives_up_after_max_attempts() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let gz = common::builder_for(&common::access_url(&server))
        .max_attempts(3)
        .build()
        .unwrap();
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            GravityZoneError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert!(err.to_string().contains("HTTP 429"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_with_growing_delays() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_body(fixture("get-license-info.json")))
        .mount(&server)
        .await;
    let gz = client(&server);
    let info = gz
        .license_info(Some("6572e499d2128b2f33892f90"))
        .await
        .unwrap();
    assert_eq!(info.used_slots, Some(57));
    assert_eq!(logs.sends("licensing.getLicenseInfo").len(), 4);
    // Exponential backoff from 0.5 s, doubling, each plus up to its own length of jitter.
    let gaps = logs.waits("licensing.getLicenseInfo");
    assert_eq!(gaps.len(), 3);
    for (gap, base) in gaps.iter().zip([500u64, 1_000, 2_000]) {
        assert!(
            *gap >= Duration::from_millis(base) && *gap <= Duration::from_millis(2 * base + 5),
            "{gaps:?}"
        );
    }
    // Every retry was logged, at debug (it succeeded in the end: nothing to warn about),
    // naming the call, never the key.
    let warnings: Vec<_> = logs
        .logged()
        .into_iter()
        .filter(|l| l.level == tracing::Level::WARN)
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    let warnings: Vec<_> = logs
        .logged()
        .into_iter()
        .filter(|l| {
            l.field("message")
                .is_some_and(|m| m.starts_with("retrying"))
        })
        .collect();
    assert_eq!(warnings.len(), 3);
    assert!(warnings.iter().all(|w| w.level == tracing::Level::DEBUG));
    assert!(
        warnings
            .iter()
            .all(|w| w.field("call") == Some("licensing.getLicenseInfo"))
    );
}

#[tokio::test(start_paused = true)]
async fn bad_request_codes_are_not_retried() {
    let _ticker = Ticker::start();
    for (code, message) in [
        (-32600, "Invalid Request"),
        (-32601, "Method not found"),
        (-32602, "Invalid params"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(common::rpc_error(200, code, message, "nope"))
            .mount(&server)
            .await;
        let gz = client(&server);
        let err = gz
            .monthly_usage(None, TargetMonth::new(2026, 10).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.rpc_code(), Some(code));
        assert_eq!(server.received_requests().await.unwrap().len(), 1, "{code}");
    }
}
