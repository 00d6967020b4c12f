//! Record/replay hooks: what an `ExchangeObserver` sees against a loopback server, and a client
//! answered by an `ExchangeSource` with no server at all.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{
    KEY, KEY_BASE64, Rpc, Ticker, builder_for, echo_id, fixture, json_body, request_id,
    request_method,
};
use futures::StreamExt;
use serde_json::{Value, json};
use usage_bitdefender::TransportSettings as _;
use usage_bitdefender::{
    Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource, GravityZoneClient,
    GravityZoneError, GzCompany, MonthlyUsageOutcome, TargetMonth,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A closed port: any connection attempt fails, so a replaying client that touched the network
/// would end in a transport error.
const NOWHERE: &str = "http://127.0.0.1:9/api";

/// Keeps every exchange it is shown.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Exchange>>);

impl Recorder {
    fn exchanges(&self) -> Vec<Exchange> {
        self.0.lock().unwrap().clone()
    }
}

impl ExchangeObserver for Recorder {
    fn observe(&self, exchange: &Exchange) {
        self.0.lock().unwrap().push(exchange.clone());
    }
}

/// Answers from a table: (call, request) -> outcomes, handed out in order; the last one repeats.
/// Remembers every question.
#[derive(Debug, Default)]
struct Canned {
    answers: Mutex<HashMap<(String, String), VecDeque<ExchangeOutcome>>>,
    asked: Mutex<Vec<(String, Value)>>,
}

impl Canned {
    fn with(self, call: &str, request: Value, outcome: ExchangeOutcome) -> Self {
        self.answers
            .lock()
            .unwrap()
            .entry((call.to_string(), request.to_string()))
            .or_default()
            .push_back(outcome);
        self
    }

    /// A table made of recorded exchanges.
    fn from_exchanges(exchanges: &[Exchange]) -> Self {
        exchanges.iter().fold(Self::default(), |canned, e| {
            canned.with(&e.call, e.request.clone(), e.outcome.clone())
        })
    }

    fn asked(&self) -> Vec<(String, Value)> {
        self.asked.lock().unwrap().clone()
    }
}

impl ExchangeSource for Canned {
    fn answer(&self, call: &str, request: &Value) -> ExchangeOutcome {
        self.asked
            .lock()
            .unwrap()
            .push((call.to_string(), request.clone()));
        let mut answers = self.answers.lock().unwrap();
        let Some(queue) = answers.get_mut(&(call.to_string(), request.to_string())) else {
            return ExchangeOutcome::Failed {
                error: format!("nothing recorded for {call} {request}"),
            };
        };
        match queue.len() {
            0 => ExchangeOutcome::Failed {
                error: "empty".to_string(),
            },
            1 => queue.front().cloned().unwrap(),
            _ => queue.pop_front().unwrap(),
        }
    }
}

fn ok(body: impl Into<Vec<u8>>) -> ExchangeOutcome {
    status(200, body)
}

fn status(status: u16, body: impl Into<Vec<u8>>) -> ExchangeOutcome {
    ExchangeOutcome::Response {
        status,
        retry_after: None,
        body: body.into(),
    }
}

fn failed(error: &str) -> ExchangeOutcome {
    ExchangeOutcome::Failed {
        error: error.to_string(),
    }
}

fn march() -> TargetMonth {
    TargetMonth::new(2026, 3).unwrap()
}

/// The body of a response outcome.
fn body_of(outcome: &ExchangeOutcome) -> &[u8] {
    match outcome {
        ExchangeOutcome::Response { body, .. } => body,
        ExchangeOutcome::Failed { error } => panic!("no response: {error}"),
    }
}

/// (status, retry_after) of each exchange; status 0 for a failure.
fn statuses(exchanges: &[Exchange]) -> Vec<(u16, Option<String>)> {
    exchanges
        .iter()
        .map(|e| match &e.outcome {
            ExchangeOutcome::Response {
                status,
                retry_after,
                ..
            } => (*status, retry_after.clone()),
            ExchangeOutcome::Failed { .. } => (0, None),
        })
        .collect()
}

/// Fails the test if `exchange` shows the API key anywhere: in its `Debug` form (call, request,
/// error text, header) or in its body bytes.
fn assert_no_key(exchange: &Exchange) {
    let mut text = format!("{exchange:?}");
    if let ExchangeOutcome::Response { body, .. } = &exchange.outcome {
        text.push_str(&String::from_utf8_lossy(body));
    }
    for secret in [KEY, KEY_BASE64, "gz-test-key"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_observer_sees_the_raw_body_the_status_and_the_params() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    let body = fixture("get-monthly-usage-all-counters.json");
    Mock::given(method("POST"))
        .and(path("/api/v1.0/jsonrpc/licensing"))
        .respond_with(json_body(body.clone()))
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let gz = builder_for(&format!("{}/api", server.uri()))
        .observer(recorder.clone())
        .build()
        .unwrap();
    let before = SystemTime::now();
    let usage = gz
        .monthly_usage(Some("55115935b1a43dcc4a7b23c6"), march())
        .await
        .unwrap();
    let after = SystemTime::now();
    assert!(matches!(usage, MonthlyUsageOutcome::Usage(_)));

    let exchanges = recorder.exchanges();
    assert_eq!(exchanges.len(), 1);
    let exchange = &exchanges[0];
    let received = server.received_requests().await.unwrap();
    let sent = echo_id(&body, request_id(&received[0].body).unwrap());
    assert_eq!(exchange.call, "licensing.getMonthlyUsage");
    assert_eq!(
        exchange.request,
        json!({"companyId": "55115935b1a43dcc4a7b23c6", "targetMonth": "03/2026"})
    );
    assert_eq!(
        exchange.outcome,
        ExchangeOutcome::Response {
            status: 200,
            retry_after: None,
            body: sent.clone().into_bytes(),
        }
    );
    // Byte for byte what went over the wire: whitespace and key order kept.
    assert!(sent.contains("\n  \"jsonrpc\": \"2.0\""));
    assert!(before <= exchange.at && exchange.at <= after);
    assert_no_key(exchange);
}

/// Answers each request with the fixture of its method.
struct ByMethod;

impl Respond for ByMethod {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if common::partners_only(&request.body)
            || request_method(&request.body).as_deref() == Some("getCompanyFoldersList")
        {
            // The fixture's companies are customers: no partner among them, and no folder.
            return common::rpc_result(json!([])).answer(request);
        }
        let name = match request_method(&request.body).as_deref() {
            Some("getMonthlyUsage") => "get-monthly-usage-all-counters.json",
            Some("getMonthlyUsagePerProductType") => "get-monthly-usage-per-product-type.json",
            Some("getLicenseInfo") => "get-license-info.json",
            Some("getCompaniesList") => "get-companies-list.json",
            Some("getCompanyDetails") => "get-company-details.json",
            other => panic!("unexpected method {other:?}"),
        };
        json_body(fixture(name)).answer(request)
    }
}

#[tokio::test(start_paused = true)]
async fn call_and_request_of_every_method_are_what_was_sent() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ByMethod)
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let gz = builder_for(&format!("{}/api", server.uri()))
        .observer(recorder.clone())
        .build()
        .unwrap();
    let c = Some("55115935b1a43dcc4a7b23c6");
    gz.monthly_usage(c, march()).await.unwrap();
    gz.monthly_usage(None, march()).await.unwrap();
    gz.monthly_usage_per_product_type(c, march()).await.unwrap();
    gz.license_info(c).await.unwrap();
    gz.license_info(None).await.unwrap();
    gz.companies_list(c).await.unwrap();
    gz.companies_list(None).await.unwrap();
    gz.company_details(c).await.unwrap();
    gz.company_details(None).await.unwrap();

    let exchanges = recorder.exchanges();
    let shapes: Vec<(String, Value)> = exchanges
        .iter()
        .map(|e| (e.call.clone(), e.request.clone()))
        .collect();
    let id = "55115935b1a43dcc4a7b23c6";
    let expected = vec![
        (
            "licensing.getMonthlyUsage",
            json!({"companyId": id, "targetMonth": "03/2026"}),
        ),
        (
            "licensing.getMonthlyUsage",
            json!({"targetMonth": "03/2026"}),
        ),
        (
            "licensing.getMonthlyUsagePerProductType",
            json!({"companyId": id, "targetMonth": "03/2026"}),
        ),
        ("licensing.getLicenseInfo", json!({"companyId": id})),
        ("licensing.getLicenseInfo", json!({})),
        ("network.getCompaniesList", json!({"parentId": id})),
        ("network.getCompaniesList", json!({})),
        ("companies.getCompanyDetails", json!({"companyId": id})),
        ("companies.getCompanyDetails", json!({})),
    ];
    let expected: Vec<(String, Value)> = expected
        .into_iter()
        .map(|(c, r)| (c.to_string(), r))
        .collect();
    assert_eq!(shapes, expected);

    // `request` is exactly the `params` member of the body that went out; the API key is in
    // neither.
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), exchanges.len());
    for (request, exchange) in received.iter().zip(&exchanges) {
        assert_eq!(common::request_params(&request.body), exchange.request);
        let service = exchange.call.split('.').next().unwrap();
        assert_eq!(request.url.path(), format!("/api/v1.0/jsonrpc/{service}"));
        assert_no_key(exchange);
    }
}

#[tokio::test(start_paused = true)]
async fn every_attempt_is_its_own_exchange_in_order() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    let unavailable = "<html><body>503 Service Unavailable</body></html>";
    let too_many =
        r#"{"id":1,"jsonrpc":"2.0","error":{"code":-32003,"message":"Too many requests"}}"#;
    let good = fixture("get-monthly-usage-all-counters.json");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string(unavailable))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(Rpc::new(429, too_many).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_body(good.clone()))
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let gz = builder_for(&format!("{}/api", server.uri()))
        .observer(recorder.clone())
        .build()
        .unwrap();
    gz.monthly_usage(None, march()).await.unwrap();

    let exchanges = recorder.exchanges();
    assert_eq!(
        statuses(&exchanges),
        vec![(503, None), (429, Some("1".to_string())), (200, None)]
    );
    // The bodies as served: the JSON-RPC ones carry the id of the request they answer.
    let received = server.received_requests().await.unwrap();
    let id = |n: usize| request_id(&received[n].body).unwrap();
    assert_eq!(body_of(&exchanges[0].outcome), unavailable.as_bytes());
    assert_eq!(
        body_of(&exchanges[1].outcome),
        echo_id(too_many, id(1)).as_bytes()
    );
    assert_eq!(
        body_of(&exchanges[2].outcome),
        echo_id(&good, id(2)).as_bytes()
    );
    for e in &exchanges {
        assert_eq!(e.call, "licensing.getMonthlyUsage");
        assert_eq!(e.request, json!({"targetMonth": "03/2026"}));
    }
    assert!(exchanges.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test(start_paused = true)]
async fn failed_attempts_are_exchanges_too() {
    let _ticker = Ticker::start();
    // Connection refused, twice.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let recorder = Arc::new(Recorder::default());
    let gz = builder_for(&url)
        .max_attempts(2)
        .observer(recorder.clone())
        .build()
        .unwrap();
    let err = gz.companies_list(None).await.unwrap_err();
    assert!(matches!(err, GravityZoneError::Transport { .. }), "{err:?}");
    let exchanges = recorder.exchanges();
    assert_eq!(exchanges.len(), 2);
    for e in &exchanges {
        assert_eq!(e.call, "network.getCompaniesList");
        match &e.outcome {
            ExchangeOutcome::Failed { error } => {
                assert!(!error.is_empty());
                assert!(!error.starts_with("timed out"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert_no_key(e);
    }

    // No answer within the timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let recorder = Arc::new(Recorder::default());
    let gz = GravityZoneClient::builder(KEY.into())
        .base_url(url)
        .timeout(Duration::from_secs(2))
        .max_attempts(1)
        .observer(recorder.clone())
        .build()
        .unwrap();
    let err = gz.license_info(None).await.unwrap_err();
    assert!(matches!(err, GravityZoneError::Timeout { .. }), "{err:?}");
    let exchanges = recorder.exchanges();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(
        exchanges[0].outcome,
        failed("timed out after 2 s without an answer")
    );
}

/// A GravityZone whose bodies and headers sometimes echo the API key (as a careless proxy or
/// error page might): company tree, usage, a 5xx page quoting the request headers, then a 401.
struct Echoing {
    root: String,
    children: Vec<String>,
    usage_calls: std::sync::atomic::AtomicU32,
}

impl Respond for Echoing {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let params = common::request_params(&request.body);
        match request_method(&request.body).as_deref() {
            Some("getCompanyDetails") => {
                common::rpc_result(json!({"id": self.root, "name": "Root"})).answer(request)
            }
            Some("getCompaniesList") if common::partners_only(&request.body) => {
                common::rpc_result(json!([])).answer(request)
            }
            Some("getCompanyFoldersList") => common::rpc_result(json!([])).answer(request),
            Some("getCompaniesList") if params["parentId"] == json!(self.root) => {
                let list: Vec<Value> = self
                    .children
                    .iter()
                    .map(|c| json!({"id": c, "name": format!("Customer {c}")}))
                    .collect();
                common::rpc_result(Value::Array(list)).answer(request)
            }
            Some("getCompaniesList") => {
                json_body(fixture("error-invalid-parent-id.json")).answer(request)
            }
            Some("getMonthlyUsage") => {
                let n = self
                    .usage_calls
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n == 0 {
                    ResponseTemplate::new(502)
                        .insert_header("Retry-After", format!("0 {KEY}"))
                        .set_body_string(format!(
                            "<html>Bad gateway. Request headers: Authorization: Basic {KEY_BASE64}\n\
                             key={KEY}</html>"
                        ))
                } else {
                    json_body(fixture("get-monthly-usage-all-counters.json")).answer(request)
                }
            }
            Some("getLicenseInfo") => ResponseTemplate::new(401).set_body_raw(
                fixture("error-invalid-api-key-401.json"),
                "application/json",
            ),
            other => panic!("unexpected method {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn no_exchange_of_a_whole_session_holds_the_api_key() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    let root = "64f1a2c3b1a43d5e8c7b23a1".to_string();
    let children = vec![
        "656b64da26f2a74de4651327".to_string(),
        "6572e499d2128b2f33892f90".to_string(),
    ];
    Mock::given(method("POST"))
        .respond_with(Echoing {
            root: root.clone(),
            children: children.clone(),
            usage_calls: 0.into(),
        })
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let gz = builder_for(&format!("{}/api", server.uri()))
        .observer(recorder.clone())
        .build()
        .unwrap();
    let tree: Vec<GzCompany> = gz
        .company_tree()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(tree.len(), 3);
    for company in &tree {
        gz.monthly_usage(Some(&company.id), march()).await.unwrap();
    }
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(err, GravityZoneError::Unauthorized { .. }),
        "{err:?}"
    );

    let exchanges = recorder.exchanges();
    // details, 3 listings of the root (all, partners, folders; customers are not listed),
    // 1 + 3 usage attempts, 1 license: 9.
    assert_eq!(exchanges.len(), 9, "{exchanges:#?}");
    for e in &exchanges {
        assert_no_key(e);
    }
    // The echoing page is kept byte for byte except for the key itself.
    let page = exchanges
        .iter()
        .find(|e| matches!(e.outcome, ExchangeOutcome::Response { status: 502, .. }))
        .unwrap();
    assert_eq!(
        page.outcome,
        ExchangeOutcome::Response {
            status: 502,
            retry_after: Some("0 [REDACTED]".to_string()),
            body: b"<html>Bad gateway. Request headers: Authorization: Basic [REDACTED]\n\
                    key=[REDACTED]</html>"
                .to_vec(),
        }
    );
    let refused = exchanges.last().unwrap();
    assert_eq!(refused.call, "licensing.getLicenseInfo");
    assert_eq!(
        body_of(&refused.outcome),
        fixture("error-invalid-api-key-401.json").as_bytes()
    );
}

/// The answers of a small tree: the root (from the fixture), two customers.
fn canned_tree() -> (Canned, String, Vec<String>) {
    let root = "6572e499d2128b2f33892f90".to_string();
    let a = "656b64da26f2a74de4651327".to_string();
    let b = "6580428d955d9dc9f80ed904".to_string();
    let list = json!({"id": 7, "jsonrpc": "2.0", "result": [
        {"id": a, "name": "Boulangerie Lefèvre SARL"},
        {"id": b, "name": "Ørsted & Dahl Revision ApS"}
    ]})
    .to_string();
    let canned = Canned::default()
        .with(
            "companies.getCompanyDetails",
            json!({}),
            // The key's own company is a partner (type 0): its children are listed.
            ok(json!({"id": 6, "jsonrpc": "2.0", "result": {"id": root, "name": "Partner Süd", "type": 0}})
                .to_string()),
        )
        .with(
            "network.getCompaniesList",
            json!({"parentId": root}),
            ok(list),
        )
        .with(
            "network.getCompaniesList",
            json!({"parentId": root, "filters": {"companyType": 0}}),
            ok(r#"{"id": 8, "jsonrpc": "2.0", "result": []}"#),
        )
        .with(
            "network.getCompanyFoldersList",
            json!({"parentId": root}),
            ok(r#"{"id": 9, "jsonrpc": "2.0", "result": []}"#),
        )
        .with(
            "network.getCompaniesList",
            json!({"parentId": a}),
            ok(fixture("error-invalid-parent-id.json")),
        )
        .with(
            "network.getCompaniesList",
            json!({"parentId": b}),
            ok(fixture("error-invalid-parent-id.json")),
        )
        .with(
            "licensing.getMonthlyUsage",
            json!({"companyId": root, "targetMonth": "03/2026"}),
            ok(fixture("get-monthly-usage-all-counters.json")),
        )
        .with(
            "licensing.getMonthlyUsage",
            json!({"companyId": a, "targetMonth": "03/2026"}),
            ok(fixture("get-monthly-usage-no-monthly-license.json")),
        )
        .with(
            "licensing.getMonthlyUsagePerProductType",
            json!({"companyId": b, "targetMonth": "03/2026"}),
            ok(fixture("get-monthly-usage-per-product-type.json")),
        )
        .with(
            "licensing.getLicenseInfo",
            json!({"companyId": b}),
            ok(fixture("get-license-info.json")),
        );
    (canned, root, vec![a, b])
}

#[tokio::test]
async fn a_replaying_client_needs_no_server() {
    let (canned, root, customers) = canned_tree();
    let source = Arc::new(canned);
    let gz = builder_for(NOWHERE).replay(source.clone()).build().unwrap();
    assert!(format!("{gz:?}").contains("replay: true"));

    let mut tree: Vec<GzCompany> = gz
        .company_tree()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .await;
    tree.sort_by(|x, y| x.id.cmp(&y.id));
    let ids: Vec<&str> = tree.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec![&customers[0], &root, &customers[1]]);
    assert_eq!(tree[0].parent_id.as_deref(), Some(root.as_str()));
    assert_eq!(tree[1].depth, 0);

    let usage = gz.monthly_usage(Some(&root), march()).await.unwrap();
    match usage {
        MonthlyUsageOutcome::Usage(u) => assert_eq!(u.endpoint_monthly_usage, Some(57)),
        other => panic!("{other:?}"),
    }
    let none = gz
        .monthly_usage(Some(&customers[0]), march())
        .await
        .unwrap();
    assert!(matches!(none, MonthlyUsageOutcome::NoMonthlyLicense));
    gz.monthly_usage_per_product_type(Some(&customers[1]), march())
        .await
        .unwrap();
    gz.license_info(Some(&customers[1])).await.unwrap();

    // Each call asked exactly once, with the same call/request shapes a recording has (the
    // customers are not listed: only the root: all, partners and folders).
    let asked = source.asked();
    assert_eq!(asked.len(), 8, "{asked:#?}");
    assert_eq!(
        asked[0],
        ("companies.getCompanyDetails".to_string(), json!({}))
    );
    assert_eq!(
        asked[1],
        (
            "network.getCompaniesList".to_string(),
            json!({"parentId": root})
        )
    );
}

#[tokio::test(start_paused = true)]
async fn replayed_retries_and_pacing_take_no_time() {
    let body = fixture("get-monthly-usage-all-counters.json");
    let request = json!({"targetMonth": "03/2026"});
    let source = Arc::new(
        Canned::default()
            .with(
                "licensing.getMonthlyUsage",
                request.clone(),
                status(503, "unavailable"),
            )
            .with(
                "licensing.getMonthlyUsage",
                request.clone(),
                ExchangeOutcome::Response {
                    status: 429,
                    retry_after: Some("60".to_string()),
                    body: Vec::new(),
                },
            )
            .with(
                "licensing.getMonthlyUsage",
                request.clone(),
                failed("connection reset by peer"),
            )
            .with("licensing.getMonthlyUsage", request.clone(), ok(body)),
    );
    let recorder = Arc::new(Recorder::default());
    let gz = builder_for(NOWHERE)
        .replay(source.clone())
        .observer(recorder.clone())
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let usage = gz.monthly_usage(None, march()).await.unwrap();
    assert!(matches!(usage, MonthlyUsageOutcome::Usage(_)));
    // The paused clock only moves when something sleeps: no backoff, no Retry-After wait.
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(source.asked().len(), 4);
    // The observer sees the replayed exchanges, in order.
    assert_eq!(
        statuses(&recorder.exchanges()),
        vec![
            (503, None),
            (429, Some("60".to_string())),
            (0, None),
            (200, None)
        ]
    );

    // No pacing either: 20 licensing calls would take 4 s of (paused) time live.
    for _ in 0..20 {
        gz.monthly_usage(None, march()).await.unwrap();
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(source.asked().len(), 24);
}

#[tokio::test]
async fn replayed_answers_end_like_live_ones() {
    let month = json!({"targetMonth": "03/2026"});
    let source = Arc::new(
        Canned::default()
            .with(
                "licensing.getMonthlyUsage",
                month.clone(),
                failed("error sending request: connection refused"),
            )
            .with(
                "licensing.getMonthlyUsagePerProductType",
                month.clone(),
                failed("timed out after 30s"),
            )
            .with(
                "licensing.getLicenseInfo",
                json!({}),
                status(401, fixture("error-invalid-api-key-401.json")),
            )
            .with(
                "network.getCompaniesList",
                json!({"parentId": "c1"}),
                ok(fixture("error-invalid-parent-id.json")),
            )
            .with("companies.getCompanyDetails", json!({}), status(42, "?"))
            .with(
                "network.getCompaniesList",
                json!({}),
                ok(r#"{"id":1,"jsonrpc":"2.0","result":[{"name":"no id"}]}"#),
            ),
    );
    let gz = builder_for(NOWHERE)
        .timeout(Duration::from_secs(7))
        .max_attempts(3)
        .replay(source.clone())
        .build()
        .unwrap();

    let err = gz.monthly_usage(None, march()).await.unwrap_err();
    match &err {
        GravityZoneError::Transport { method, detail } => {
            assert_eq!(*method, "licensing.getMonthlyUsage");
            assert_eq!(detail, "error sending request: connection refused");
        }
        other => panic!("{other:?}"),
    }
    let err = gz
        .monthly_usage_per_product_type(None, march())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GravityZoneError::Timeout { timeout, .. } if timeout == Duration::from_secs(7)),
        "{err:?}"
    );
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(err, GravityZoneError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.details(),
        Some("Invalid API key. Please generate an API key in Control Center.")
    );
    let err = gz.companies_list(Some("c1")).await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(-32602));
    let err = gz.company_details(None).await.unwrap_err();
    assert!(
        matches!(&err, GravityZoneError::InvalidInput { reason } if reason.contains("status 42")),
        "{err:?}"
    );
    let err = gz.companies_list(None).await.unwrap_err();
    assert!(matches!(err, GravityZoneError::Decode { .. }), "{err:?}");

    // Failures are retried (3 attempts each); final answers are not.
    let mut per_call: BTreeMap<String, usize> = BTreeMap::new();
    for (call, _) in source.asked() {
        *per_call.entry(call).or_default() += 1;
    }
    let per_call: Vec<(&str, usize)> = per_call.iter().map(|(c, n)| (c.as_str(), *n)).collect();
    assert_eq!(
        per_call,
        vec![
            ("companies.getCompanyDetails", 1),
            ("licensing.getLicenseInfo", 1),
            ("licensing.getMonthlyUsage", 3),
            ("licensing.getMonthlyUsagePerProductType", 3),
            ("network.getCompaniesList", 2),
        ]
    );
}

/// The same collection, run against whatever the client talks to: the tree, then usage per
/// company. Results as text, companies sorted (the walk lists several parents at once).
async fn collect(gz: &GravityZoneClient) -> Vec<String> {
    let mut tree: Vec<GzCompany> = gz
        .company_tree()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .await;
    tree.sort_by(|x, y| x.id.cmp(&y.id));
    let mut out = Vec::new();
    for company in tree {
        let usage = gz.monthly_usage(Some(&company.id), march()).await;
        out.push(format!("{company:?} {usage:?}"));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn a_recorded_session_replays_to_the_same_results() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    let root = "64f1a2c3b1a43d5e8c7b23a1".to_string();
    Mock::given(method("POST"))
        .respond_with(Echoing {
            root: root.clone(),
            children: vec!["656b64da26f2a74de4651327".to_string()],
            usage_calls: 0.into(),
        })
        .mount(&server)
        .await;
    let recording = Arc::new(Recorder::default());
    let live = builder_for(&format!("{}/api", server.uri()))
        .observer(recording.clone())
        .build()
        .unwrap();
    let recorded = collect(&live).await;
    let recorded_exchanges = recording.exchanges();
    assert_eq!(recorded_exchanges.len(), 7, "{recorded_exchanges:#?}");

    let source = Arc::new(Canned::from_exchanges(&recorded_exchanges));
    let rerecording = Arc::new(Recorder::default());
    let replay = builder_for(NOWHERE)
        .replay(source)
        .observer(rerecording.clone())
        .build()
        .unwrap();
    assert_eq!(collect(&replay).await, recorded);
    // The replay sees the same exchanges (the 502 included), apart from when they happened.
    let strip = |exchanges: Vec<Exchange>| -> Vec<(String, Value, ExchangeOutcome)> {
        exchanges
            .into_iter()
            .map(|e| (e.call, e.request, e.outcome))
            .collect()
    };
    assert_eq!(strip(rerecording.exchanges()), strip(recorded_exchanges));
}

#[test]
fn the_builder_and_client_debug_show_the_hooks_but_no_key() {
    let builder = builder_for(NOWHERE)
        .observer(Arc::new(Recorder::default()))
        .replay(Arc::new(Canned::default()));
    let text = format!("{builder:?}");
    assert!(text.contains("observed: true"), "{text}");
    assert!(text.contains("replay: true"), "{text}");
    assert!(!text.contains(KEY), "{text}");
    let gz = builder.build().unwrap();
    let text = format!("{gz:?}");
    assert!(text.contains("observed: true"), "{text}");
    assert!(!text.contains(KEY), "{text}");
}
