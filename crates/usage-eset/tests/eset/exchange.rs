//! Record/replay hooks: what an observer sees, and replay from a source with no server.

use std::collections::{BTreeMap, VecDeque};
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::time::Instant;
use usage_eset::TransportSettings as _;
use usage_eset::exchange::{Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource};
use usage_eset::{
    DateRange, EsetClient, EsetClientBuilder, EsetError, ReportKind, ReportScope,
    UsageReportRequest,
};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const CURRENT: &str = "/api/User/Current";
const ALL_CATEGORIES: &str = "/api/UsageReport/AllCompanies/categories";
const ROOT: &str = "b3991cba-e3a6-45d6-b260-201139220069";

/// Keeps every exchange it is shown.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Exchange>>);

impl ExchangeObserver for Recorder {
    fn observe(&self, exchange: &Exchange) {
        self.0.lock().unwrap().push(exchange.clone());
    }
}

impl Recorder {
    fn exchanges(&self) -> Vec<Exchange> {
        self.0.lock().unwrap().clone()
    }

    fn calls(&self) -> Vec<String> {
        self.exchanges().into_iter().map(|e| e.call).collect()
    }
}

/// Answers each call from a script: the queued answers in order, the last one repeated.
#[derive(Debug, Default)]
struct Script {
    answers: Mutex<BTreeMap<String, VecDeque<ExchangeOutcome>>>,
    asked: Mutex<Vec<(String, Value)>>,
}

impl Script {
    fn new() -> Self {
        Self::default()
    }

    fn on(self, call: &str, outcome: ExchangeOutcome) -> Self {
        self.answers
            .lock()
            .unwrap()
            .entry(call.to_owned())
            .or_default()
            .push_back(outcome);
        self
    }

    fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }

    fn requests(&self, call: &str) -> Vec<Value> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| c == call)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

impl ExchangeSource for Script {
    fn answer(&self, call: &str, request: &Value) -> ExchangeOutcome {
        self.asked
            .lock()
            .unwrap()
            .push((call.to_owned(), request.clone()));
        let mut answers = self.answers.lock().unwrap();
        let Some(queue) = answers.get_mut(call) else {
            return failed(&format!("nothing scripted for {call}"));
        };
        if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue.front().cloned().unwrap()
        }
    }
}

/// Serves a recording: for each call and request, the recorded outcomes in order.
#[derive(Debug)]
struct Recording {
    exchanges: Mutex<Vec<Option<Exchange>>>,
}

impl Recording {
    fn new(exchanges: Vec<Exchange>) -> Self {
        Self {
            exchanges: Mutex::new(exchanges.into_iter().map(Some).collect()),
        }
    }
}

impl ExchangeSource for Recording {
    fn answer(&self, call: &str, request: &Value) -> ExchangeOutcome {
        let mut exchanges = self.exchanges.lock().unwrap();
        exchanges
            .iter_mut()
            .find(|e| {
                e.as_ref()
                    .is_some_and(|e| e.call == call && &e.request == request)
            })
            .and_then(Option::take)
            .map_or_else(|| failed("not in the recording"), |e| e.outcome)
    }
}

fn ok(body: &Value) -> ExchangeOutcome {
    ExchangeOutcome::Response {
        status: 200,
        retry_after: None,
        body: body.to_string().into_bytes(),
    }
}

fn status(status: u16, retry_after: Option<&str>) -> ExchangeOutcome {
    ExchangeOutcome::Response {
        status,
        retry_after: retry_after.map(str::to_owned),
        body: Vec::new(),
    }
}

fn failed(error: &str) -> ExchangeOutcome {
    ExchangeOutcome::Failed {
        error: error.to_owned(),
    }
}

/// A token answer as a recording holds it.
fn redacted_tokens() -> ExchangeOutcome {
    ok(&json!({"accessToken": "[REDACTED]", "refreshToken": "[REDACTED]"}))
}

/// A base URL where nothing listens (the discard port): any real request would fail.
const NOWHERE: &str = "http://127.0.0.1:9/api";

fn replaying(source: Arc<dyn ExchangeSource>) -> EsetClientBuilder {
    EsetClient::builder(USERNAME, SecretString::from(PASSWORD))
        .base_url(NOWHERE)
        .replay(source)
}

fn may_2025() -> DateRange {
    DateRange::month(2025, 5).unwrap()
}

fn all_categories() -> UsageReportRequest {
    UsageReportRequest::new(
        ReportScope::AllCompanies,
        ReportKind::Categories,
        may_2025(),
    )
}

fn body_json(outcome: &ExchangeOutcome) -> Value {
    match outcome {
        ExchangeOutcome::Response { body, .. } => serde_json::from_slice(body).unwrap(),
        ExchangeOutcome::Failed { error } => panic!("no answer: {error}"),
    }
}

fn status_of(outcome: &ExchangeOutcome) -> Option<u16> {
    match outcome {
        ExchangeOutcome::Response { status, .. } => Some(*status),
        ExchangeOutcome::Failed { .. } => None,
    }
}

/// Everything of an exchange an observer could leak, as text: its Debug and its body.
fn exchange_text(exchange: &Exchange) -> String {
    let body = match &exchange.outcome {
        ExchangeOutcome::Response { body, .. } => String::from_utf8_lossy(body).into_owned(),
        ExchangeOutcome::Failed { error } => error.clone(),
    };
    format!("{exchange:?}\n{}\n{body}", exchange.request)
}

#[tokio::test]
async fn observer_sees_usage_report_body_bytes_exactly_as_sent() {
    let (server, tokens) = server(3600).await;
    // Odd spacing, key order, a non-ASCII name and an unknown key: nothing may be normalized.
    let raw: &[u8] = "{\n  \"zFirst\" : 1.50,\n  \"companies\":[ {\"totalUsage\":31,\"companyId\":\"c-1\",\"companyName\":\"Caf\u{e9} No\u{eb}l\",\"categories\":[]} ]\n}\n".as_bytes();
    Mock::given(method("POST"))
        .and(path(ALL_CATEGORIES))
        .respond_with(guarded(&tokens, move |_| {
            ResponseTemplate::new(200).set_body_raw(raw, "application/json")
        }))
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let client = client(&server).observer(recorder.clone()).build().unwrap();

    let before = SystemTime::now();
    let companies = client.usage_report(all_categories()).await.unwrap();
    let after = SystemTime::now();

    assert_eq!(companies.len(), 1);
    let exchanges = recorder.exchanges();
    assert_eq!(
        recorder.calls(),
        ["Token/Get", "UsageReport/AllCompanies/categories"]
    );
    let report = &exchanges[1];
    assert_eq!(
        report.request,
        json!({"from": "2025-05-01", "to": "2025-05-31", "skip": 0, "take": 100})
    );
    assert_eq!(
        report.outcome,
        ExchangeOutcome::Response {
            status: 200,
            retry_after: None,
            body: raw.to_vec(),
        }
    );
    assert!(before <= report.at && report.at <= after);
    assert!(exchanges[0].at <= report.at);

    let login = &exchanges[0];
    assert_eq!(
        login.request,
        json!({"username": USERNAME, "password": "[REDACTED]"})
    );
    assert_eq!(status_of(&login.outcome), Some(200));
    assert_eq!(
        body_json(&login.outcome),
        json!({"accessToken": "[REDACTED]", "refreshToken": "[REDACTED]"})
    );
    assert_no_secrets(&exchange_text(login), &tokens);
}

#[tokio::test(start_paused = true)]
async fn observer_sees_every_retry_as_its_own_exchange() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "1")
                .set_body_string("busy"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let client = paused_client(&server)
        .observer(recorder.clone())
        .build()
        .unwrap();

    client.current_user().await.unwrap();

    let current: Vec<Exchange> = recorder
        .exchanges()
        .into_iter()
        .filter(|e| e.call == "User/Current")
        .collect();
    assert_eq!(current.len(), 3, "{current:?}");
    assert_eq!(
        current[0].outcome,
        ExchangeOutcome::Response {
            status: 503,
            retry_after: Some("1".to_owned()),
            body: b"busy".to_vec(),
        }
    );
    assert_eq!(status_of(&current[1].outcome), Some(500));
    assert_eq!(status_of(&current[2].outcome), Some(200));
    assert_eq!(body_json(&current[2].outcome), user_current());
    assert!(current.iter().all(|e| e.request == Value::Null));
    assert!(current.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(count(&server, CURRENT).await, 3);
}

#[tokio::test]
async fn requests_without_an_answer_are_observed_as_failed() {
    let (server, tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let slow = client(&server)
        .timeout(Duration::from_millis(200))
        .max_attempts(1)
        .observer(recorder.clone())
        .build()
        .unwrap();
    let error = slow.current_user().await.unwrap_err();
    assert!(matches!(error, EsetError::Timeout { .. }), "{error:?}");

    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = EsetClient::builder(USERNAME, SecretString::from(PASSWORD))
        .base_url(format!("http://127.0.0.1:{port}/api"))
        .max_attempts(2)
        .observer(recorder.clone())
        .build()
        .unwrap();
    let error = unreachable.current_user().await.unwrap_err();
    assert!(matches!(error, EsetError::Transport { .. }), "{error:?}");

    let exchanges = recorder.exchanges();
    assert_eq!(
        recorder.calls(),
        ["Token/Get", "User/Current", "Token/Get", "Token/Get"]
    );
    let errors: Vec<&str> = exchanges
        .iter()
        .filter_map(|e| match &e.outcome {
            ExchangeOutcome::Failed { error } => Some(error.as_str()),
            ExchangeOutcome::Response { .. } => None,
        })
        .collect();
    assert_eq!(errors.len(), 3, "{exchanges:?}");
    assert!(errors[0].starts_with("timed out"), "{}", errors[0]);
    assert!(!errors[1].starts_with("timed out"), "{}", errors[1]);
    for exchange in &exchanges {
        assert_no_secrets(&exchange_text(exchange), &tokens);
    }
}

#[tokio::test]
async fn token_answer_that_is_not_json_is_observed_as_an_empty_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/Token/Get"))
        .respond_with(ResponseTemplate::new(200).set_body_string("accessToken=SECRET-abc"))
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let client = client(&server)
        .max_attempts(1)
        .observer(recorder.clone())
        .build()
        .unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(matches!(error, EsetError::Decode { .. }), "{error:?}");
    assert_eq!(
        recorder.exchanges()[0].outcome,
        ExchangeOutcome::Response {
            status: 200,
            retry_after: None,
            body: Vec::new(),
        }
    );
}

/// Login, renewal, a 401 and a fresh login, a failed renewal, refused credentials: no
/// exchange holds the password or a token.
#[tokio::test(start_paused = true)]
async fn recorded_session_holds_no_secret() {
    let (server, tokens) = server(60).await;
    mount_user_current(&server, &tokens).await;
    let recorder = Arc::new(Recorder::default());
    let client = paused_client(&server)
        .observer(recorder.clone())
        .build()
        .unwrap();

    client.current_user().await.unwrap(); // Token/Get
    tokio::time::advance(Duration::from_secs(55)).await;
    client.current_user().await.unwrap(); // Token/Renew
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    client.current_user().await.unwrap(); // 401, Token/Get again
    Mock::given(method("POST"))
        .and(path("/api/Token/Renew"))
        .respond_with(ResponseTemplate::new(500).set_body_string("renewal broke"))
        .with_priority(1)
        .mount(&server)
        .await;
    tokio::time::advance(Duration::from_secs(55)).await;
    client.current_user().await.unwrap(); // Token/Renew fails, Token/Get
    let wrong = EsetClient::builder(USERNAME, SecretString::from("not-the-password"))
        .base_url(format!("{}/api", server.uri()))
        .no_timeout()
        .observer(recorder.clone())
        .build()
        .unwrap();
    let error = wrong.current_user().await.unwrap_err();
    assert!(
        matches!(error, EsetError::BadCredentials { .. }),
        "{error:?}"
    );

    let exchanges = recorder.exchanges();
    let seen: Vec<(String, Option<u16>)> = exchanges
        .iter()
        .map(|e| (e.call.clone(), status_of(&e.outcome)))
        .collect();
    let expected = [
        ("Token/Get", 200),
        ("User/Current", 200),
        ("Token/Renew", 200),
        ("User/Current", 200),
        ("User/Current", 401),
        ("Token/Get", 200),
        ("User/Current", 200),
        ("Token/Renew", 500),
        ("Token/Get", 200),
        ("User/Current", 200),
        ("Token/Get", 401),
    ]
    .map(|(c, s)| (c.to_owned(), Some(s)));
    assert_eq!(seen, expected);
    assert!(
        tokens.secrets().len() >= 8,
        "too few tokens issued: the test would prove little"
    );
    for exchange in &exchanges {
        assert_no_secrets(&exchange_text(exchange), &tokens);
        assert!(
            !exchange_text(exchange).contains("not-the-password"),
            "{exchange:?}"
        );
        match exchange.call.as_str() {
            "Token/Get" => assert_eq!(exchange.request["password"], "[REDACTED]"),
            "Token/Renew" => assert_eq!(exchange.request, json!({"refreshToken": "[REDACTED]"})),
            _ => {}
        }
        if exchange.call.starts_with("Token/") && status_of(&exchange.outcome) == Some(200) {
            assert_eq!(
                body_json(&exchange.outcome),
                json!({"accessToken": "[REDACTED]", "refreshToken": "[REDACTED]"})
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn replay_needs_no_server_and_no_waiting() {
    let children = json!({"companies": [
        {"publicId": "msp-b", "name": "Reseller B", "type": 1006},
        {"publicId": "cust-a", "name": "Customer A", "type": 1007}
    ], "paging": {"totalCount": 2}});
    let page = json!({"companies": [
        {"companyId": "cust-a", "companyName": "Customer A", "categories": [], "totalUsage": 31}
    ], "paging": {"totalCount": 1}});
    let script = Arc::new(
        Script::new()
            .on("Token/Get", redacted_tokens())
            .on("User/Current", status(503, Some("30")))
            .on("User/Current", ok(&user_current()))
            .on("Company/Children", ok(&children))
            .on("UsageReport/AllCompanies/categories", ok(&page)),
    );
    let recorder = Arc::new(Recorder::default());
    let client = replaying(script.clone())
        .observer(recorder.clone())
        // Over HTTP, one request a second would make these six calls wait 5 s.
        .requests_per_second(NonZeroU32::MIN)
        .build()
        .unwrap();
    let start = Instant::now();

    let root = client.own_company_id().await.unwrap();
    let tree = client.company_tree(&root).await.unwrap();
    let usage = client.usage_report(all_categories()).await.unwrap();

    // No sleep happened: not the Retry-After of 30 s, no backoff, no rate limit (a paused
    // clock jumps forward over any sleep).
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(root, ROOT);
    let ids: Vec<&str> = tree.iter().map(|c| c.id.as_str()).collect();
    // msp-b (an MSP) was asked for its children, and answered with the same two: each once.
    assert_eq!(ids, ["msp-b", "cust-a"]);
    assert_eq!(usage.len(), 1);
    assert_eq!(
        script.asked(),
        [
            "Token/Get",
            "User/Current",
            "User/Current",
            "Company/Children",
            "Company/Children",
            "UsageReport/AllCompanies/categories"
        ]
    );
    assert_eq!(
        script.requests("Token/Get"),
        [json!({"username": USERNAME, "password": "[REDACTED]"})]
    );
    assert_eq!(
        script.requests("Company/Children"),
        [
            json!({"companyId": ROOT, "skip": 0, "take": 100}),
            json!({"companyId": "msp-b", "skip": 0, "take": 100})
        ]
    );
    assert_eq!(script.requests("User/Current"), [Value::Null, Value::Null]);
    // The observer sees the replayed exchanges, the 503 included.
    assert_eq!(recorder.calls(), script.asked());
    assert_eq!(recorder.exchanges()[1].outcome, status(503, Some("30")));
}

#[tokio::test(start_paused = true)]
async fn replayed_renew_failure_falls_back_to_login() {
    let script = Arc::new(
        Script::new()
            .on("Token/Get", redacted_tokens())
            .on("Token/Renew", failed("connection reset by peer"))
            .on("User/Current", ok(&user_current())),
    );
    let client = replaying(script.clone()).build().unwrap();

    client.current_user().await.unwrap();
    // "[REDACTED]" is no JWT: the fallback lifetime of 60 s applies, renewal is due at 50 s.
    tokio::time::advance(Duration::from_secs(40)).await;
    client.current_user().await.unwrap();
    tokio::time::advance(Duration::from_secs(15)).await;
    client.current_user().await.unwrap();

    assert_eq!(
        script.asked(),
        [
            "Token/Get",
            "User/Current",
            "User/Current",
            "Token/Renew",
            "Token/Get",
            "User/Current"
        ]
    );
    assert_eq!(
        script.requests("Token/Renew"),
        [json!({"refreshToken": "[REDACTED]"})]
    );
}

#[tokio::test(start_paused = true)]
async fn replayed_401_logs_in_again_once() {
    let script = Arc::new(
        Script::new()
            .on("Token/Get", redacted_tokens())
            .on("User/Current", status(401, None))
            .on("User/Current", ok(&user_current())),
    );
    let client = replaying(script.clone()).build().unwrap();

    client.current_user().await.unwrap();

    assert_eq!(
        script.asked(),
        ["Token/Get", "User/Current", "Token/Get", "User/Current"]
    );
}

#[tokio::test(start_paused = true)]
async fn replayed_failures_are_retried_then_surfaced() {
    let script = Arc::new(
        Script::new()
            .on("Token/Get", redacted_tokens())
            .on("User/Current", failed("connection refused"))
            .on(
                "Company/Children",
                failed("timed out after 30 s without an answer"),
            ),
    );
    let client = replaying(script.clone()).max_attempts(3).build().unwrap();
    let start = Instant::now();

    let error = client.current_user().await.unwrap_err();
    match &error {
        EsetError::Transport {
            call,
            message,
            attempts,
        } => {
            assert_eq!(call, "User/Current");
            assert_eq!(message, "connection refused");
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    let error = client.company_tree("root").await.unwrap_err();
    assert!(
        matches!(&error, EsetError::Timeout { attempts: 3, .. }),
        "{error:?}"
    );

    assert_eq!(start.elapsed(), Duration::ZERO);
    let asked = script.asked();
    assert_eq!(asked.iter().filter(|c| *c == "User/Current").count(), 3);
    assert_eq!(asked.iter().filter(|c| *c == "Company/Children").count(), 3);
    assert_eq!(asked.iter().filter(|c| *c == "Token/Get").count(), 1);
}

#[tokio::test]
async fn replay_ignores_a_given_http_client_and_opens_no_socket() {
    // The given reqwest client would send to the base URL; a listener there must see nothing.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = Arc::new(
        Script::new()
            .on("Token/Get", redacted_tokens())
            .on("User/Current", ok(&user_current())),
    );
    let client = EsetClient::builder(USERNAME, SecretString::from(PASSWORD))
        .base_url(format!("http://127.0.0.1:{port}/api"))
        .http_client(reqwest::Client::new())
        .replay(script.clone())
        .build()
        .unwrap();

    client.current_user().await.unwrap();

    assert!(
        listener.accept().is_err(),
        "replay connected to the base URL"
    );
    assert_eq!(script.asked(), ["Token/Get", "User/Current"]);
    assert!(format!("{client:?}").contains("replay: true"));
}

/// Record a whole run against wiremock (login, retry, 401, three pages), then replay it with
/// no server: the same results, and the same exchanges.
#[tokio::test(start_paused = true)]
async fn replay_of_a_recorded_run_gives_the_same_results() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    for (parent, children) in [
        (
            ROOT,
            json!([{"publicId": "msp-b", "name": "Reseller B", "type": 1006},
                   {"publicId": "cust-a", "name": "Customer A", "type": 1007}]),
        ),
        (
            "msp-b",
            json!([{"publicId": "cust-c", "name": "Customer C", "type": 1007}]),
        ),
    ] {
        let body = json!({"companies": children});
        Mock::given(method("POST"))
            .and(path("/api/Company/Children"))
            .and(body_partial_json(json!({"companyId": parent})))
            .respond_with(guarded(&tokens, move |_| {
                ResponseTemplate::new(200).set_body_json(body.clone())
            }))
            .mount(&server)
            .await;
    }
    let companies = companies_230();
    Mock::given(method("POST"))
        .and(path(ALL_CATEGORIES))
        .respond_with(guarded(&tokens, move |request| {
            let (skip, take) = skip_take(request);
            ResponseTemplate::new(200).set_body_json(json!({
                "companies": slice(&companies, skip, take),
                "paging": {"totalCount": companies.len()}
            }))
        }))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ALL_CATEGORIES))
        .and(body_partial_json(json!({"skip": 100})))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;

    async fn run(client: &EsetClient) -> (String, Value, Value) {
        let root = client.own_company_id().await.unwrap();
        let tree = client.company_tree(&root).await.unwrap();
        let usage = client.usage_report(all_categories()).await.unwrap();
        (
            root,
            serde_json::to_value(tree).unwrap(),
            serde_json::to_value(usage).unwrap(),
        )
    }

    let recorder = Arc::new(Recorder::default());
    let live = paused_client(&server)
        .observer(recorder.clone())
        .build()
        .unwrap();
    let recorded = run(&live).await;
    let recording = recorder.exchanges();
    server.reset().await;
    drop(server);

    let replayed_exchanges = Arc::new(Recorder::default());
    let source = Arc::new(Recording::new(recording.clone()));
    let offline = replaying(source)
        .observer(replayed_exchanges.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    let replayed = run(&offline).await;

    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(replayed, recorded);
    assert_eq!(recorded.2.as_array().unwrap().len(), 230);
    // Pages after the first are asked several at a time, so the order of the exchanges may
    // differ between runs; the exchanges themselves may not.
    let without_time = |e: &Exchange| {
        format!(
            "{:?}",
            (e.call.clone(), e.request.clone(), e.outcome.clone())
        )
    };
    let mut recorded_calls: Vec<_> = recording.iter().map(without_time).collect();
    let mut replayed_calls: Vec<_> = replayed_exchanges
        .exchanges()
        .iter()
        .map(without_time)
        .collect();
    recorded_calls.sort();
    replayed_calls.sort();
    assert_eq!(replayed_calls, recorded_calls);
    // Pages 2 and 3 were asked at once, so the 401 of page 2, the new login and page 3 may
    // come in either order.
    let mut statuses: Vec<String> = recording
        .iter()
        .map(|e| format!("{} {:?}", e.call, status_of(&e.outcome)))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "Company/Children Some(200)",
            "Company/Children Some(200)",
            "Token/Get Some(200)",
            "Token/Get Some(200)",
            "UsageReport/AllCompanies/categories Some(200)",
            "UsageReport/AllCompanies/categories Some(200)",
            "UsageReport/AllCompanies/categories Some(200)",
            "UsageReport/AllCompanies/categories Some(401)",
            "User/Current Some(200)",
            "User/Current Some(503)",
        ]
    );
    for exchange in &recording {
        assert_no_secrets(&exchange_text(exchange), &tokens);
    }
}
