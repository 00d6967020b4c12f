//! Each failure maps to its variant, keeps what the vendor said, panics never, and never shows the
//! API key.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    BASIC, KEY, KEY_BASE64, LogCapture, Ticker, access_url, builder_for, client, fixture,
    json_body, rpc_result,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use usage_bitdefender::TransportSettings as _;
use usage_bitdefender::{GravityZoneClient, GravityZoneError, MonthlyUsageOutcome, TargetMonth};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn october() -> TargetMonth {
    TargetMonth::new(2026, 10).unwrap()
}

async fn serving(response: impl Respond + 'static) -> (MockServer, GravityZoneClient) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(&server)
        .await;
    let gz = client(&server);
    (server, gz)
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// Neither the key nor its Basic encoding shows in `text`.
fn assert_no_key(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(!text.contains(KEY_BASE64), "the encoded key leaked: {text}");
}

#[tokio::test(start_paused = true)]
async fn http_401_with_a_json_rpc_body_is_unauthorized_with_the_vendor_text() {
    let _ticker = Ticker::start();
    let (server, gz) = serving(ResponseTemplate::new(401).set_body_raw(
        fixture("error-invalid-api-key-401.json"),
        "application/json",
    ))
    .await;
    let err = gz.monthly_usage(None, october()).await.unwrap_err();
    match &err {
        GravityZoneError::Unauthorized {
            method,
            status,
            code,
            message,
            details,
        } => {
            assert_eq!(*method, "licensing.getMonthlyUsage");
            assert_eq!(*status, 401);
            assert_eq!(*code, Some(-32000));
            assert_eq!(message.as_deref(), Some("Server error"));
            assert_eq!(
                details.as_deref(),
                Some("Invalid API key. Please generate an API key in Control Center.")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_auth());
    let text = err.to_string();
    assert!(text.contains("Invalid API key"), "{text}");
    assert!(text.contains("GRAVITYZONE_API_KEY"), "{text}");
    assert!(text.contains("Access URL"), "{text}");
    assert!(!text.contains('\n'));
    assert_no_key(&text);
    assert_no_key(&format!("{err:?}"));
    assert_eq!(requests(&server).await, 1, "a refused key is not retried");
}

#[tokio::test(start_paused = true)]
async fn http_401_without_a_body_is_still_unauthorized() {
    let _ticker = Ticker::start();
    let (_server, gz) = serving(ResponseTemplate::new(401)).await;
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            GravityZoneError::Unauthorized {
                code: None,
                details: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn http_200_with_invalid_params_is_an_rpc_error_not_retried() {
    let _ticker = Ticker::start();
    let (server, gz) = serving(json_body(fixture("error-invalid-parent-id.json"))).await;
    let err = gz
        .companies_list(Some("656b64da26f2a74de4651327"))
        .await
        .unwrap_err();
    match &err {
        GravityZoneError::Rpc {
            method,
            company,
            status,
            code,
            message,
            details,
            data,
        } => {
            assert_eq!(*method, "network.getCompaniesList");
            assert_eq!(company.as_deref(), Some("656b64da26f2a74de4651327"));
            assert_eq!(*status, 200);
            assert_eq!(*code, -32602);
            assert_eq!(message, "Invalid params");
            assert_eq!(details.as_deref(), Some("Invalid value for 'parentId'"));
            assert_eq!(
                data.as_deref(),
                Some(&json!({"details": "Invalid value for 'parentId'"}))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.rpc_code(), Some(-32602));
    assert_eq!(err.details(), Some("Invalid value for 'parentId'"));
    assert_eq!(requests(&server).await, 1);
    let text = err.to_string();
    assert!(
        text.contains("-32602") && text.contains("Invalid value for 'parentId'"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn http_403_is_forbidden_and_names_the_api_to_enable() {
    let _ticker = Ticker::start();
    let (server, gz) = serving(ResponseTemplate::new(403)).await;
    let err = gz.companies_list(None).await.unwrap_err();
    assert!(
        matches!(err, GravityZoneError::Forbidden { status: 403, .. }),
        "{err:?}"
    );
    assert!(err.is_auth());
    assert!(err.to_string().contains("enable the Network API"), "{err}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn json_rpc_not_allowed_with_403_keeps_the_details() {
    let _ticker = Ticker::start();
    let (_server, gz) = serving(common::rpc_error(
        403,
        -32001,
        "Operation not allowed",
        "The Licensing API is not enabled for this API key",
    ))
    .await;
    let err = gz.monthly_usage(None, october()).await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(-32001));
    assert_eq!(err.http_status(), Some(403));
    assert!(
        err.to_string().contains("enable the Licensing API"),
        "{err}"
    );
    assert!(
        err.to_string().contains("not enabled for this API key"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn http_405_is_method_not_allowed() {
    let _ticker = Ticker::start();
    let (server, gz) =
        serving(ResponseTemplate::new(405).set_body_string("Method Not Allowed")).await;
    let err = gz.company_details(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            GravityZoneError::MethodNotAllowed {
                method: "companies.getCompanyDetails",
                status: 405
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("GRAVITYZONE_API_URL"));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_json_rpc_error_keeps_its_variant_whatever_the_status() {
    let _ticker = Ticker::start();
    // 500 with "Internal error": retried, then the JSON-RPC error.
    let (server, gz) = serving(common::rpc_error(
        500,
        -32603,
        "Internal error",
        "try later",
    ))
    .await;
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(
            &err,
            GravityZoneError::Rpc {
                status: 500,
                code: -32603,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(requests(&server).await, 5);
    // 400 with "Invalid params": not retried.
    let (server, gz) = serving(common::rpc_error(
        400,
        -32602,
        "Invalid params",
        "targetMonth",
    ))
    .await;
    let err = gz.monthly_usage(None, october()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            GravityZoneError::Rpc {
                status: 400,
                code: -32602,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_wrong_path_says_to_check_the_access_url() {
    let _ticker = Ticker::start();
    let (server, gz) = serving(ResponseTemplate::new(404).set_body_string("Not Found")).await;
    let err = gz.companies_list(None).await.unwrap_err();
    assert!(
        matches!(&err, GravityZoneError::Http { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("GRAVITYZONE_API_URL"), "{err}");
    assert_eq!(requests(&server).await, 1, "a 4xx is not retried");
}

#[tokio::test(start_paused = true)]
async fn an_html_body_with_200_is_a_decode_error_after_the_retries() {
    let _ticker = Ticker::start();
    let html = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body>Please sign in</body></html>";
    let (server, gz) = serving(ResponseTemplate::new(200).set_body_raw(html, "text/html")).await;
    let err = gz.monthly_usage(None, october()).await.unwrap_err();
    match &err {
        GravityZoneError::Decode {
            method,
            status,
            path,
            snippet,
            ..
        } => {
            assert_eq!(*method, "licensing.getMonthlyUsage");
            assert_eq!(*status, 200);
            assert_eq!(path, ".");
            assert!(
                snippet.starts_with("<!DOCTYPE html> <html><head>"),
                "{snippet}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 5, "an unreadable 200 is retried");
}

#[tokio::test(start_paused = true)]
async fn an_html_body_with_502_is_an_http_error_after_the_retries() {
    let _ticker = Ticker::start();
    let (server, gz) = serving(
        ResponseTemplate::new(502)
            .set_body_raw("<html><body>Bad Gateway</body></html>", "text/html"),
    )
    .await;
    let err = gz.license_info(None).await.unwrap_err();
    match &err {
        GravityZoneError::Http {
            status,
            snippet,
            code,
            ..
        } => {
            assert_eq!(*status, 502);
            assert_eq!(*code, None);
            assert!(snippet.contains("Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 5);
}

#[tokio::test(start_paused = true)]
async fn a_truncated_json_body_is_a_decode_error_after_the_retries() {
    let _ticker = Ticker::start();
    let full = fixture("get-monthly-usage-all-counters.json");
    let cut = &full[..full.len() / 2];
    let (server, gz) = serving(json_body(cut)).await;
    let gz = {
        drop(gz);
        builder_for(&access_url(&server))
            .max_attempts(2)
            .build()
            .unwrap()
    };
    let err = gz.monthly_usage(None, october()).await.unwrap_err();
    match &err {
        GravityZoneError::Decode { reason, path, .. } => {
            assert!(reason.contains("EOF"), "{reason}");
            // The result is read as raw JSON first: the path ends where the cut was found.
            assert!(path.starts_with("result"), "{path}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 2);
}

/// A JSON-RPC answer that is not to the request it came back for (another id, or none) is a
/// decode error of `id`, retried; the right answer on a retry is taken.
#[tokio::test(start_paused = true)]
async fn an_answer_with_another_id_is_a_decode_error_after_the_retries() {
    let _ticker = Ticker::start();
    let result = json!({"endpointMonthlyUsage": 3});
    let another_id = json!({"id": 999_999, "jsonrpc": "2.0", "result": result});
    let no_id = json!({"jsonrpc": "2.0", "result": result});
    // Served as they are: no id echoed.
    let as_is = |body: &serde_json::Value| {
        ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
    };
    for wrong in [&another_id, &no_id] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(as_is(wrong))
            .mount(&server)
            .await;
        let gz = builder_for(&access_url(&server))
            .max_attempts(2)
            .build()
            .unwrap();
        let err = gz.monthly_usage(None, october()).await.unwrap_err();
        match &err {
            GravityZoneError::Decode {
                method,
                status,
                path,
                ..
            } => {
                assert_eq!(*method, "licensing.getMonthlyUsage");
                assert_eq!(*status, 200);
                assert_eq!(path, "id", "{wrong}");
            }
            other => panic!("{wrong}: {other:?}"),
        }
        assert_eq!(requests(&server).await, 2, "{wrong}");
    }

    // Another id once, then the request's own: the retry's answer is taken.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(as_is(&another_id))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(rpc_result(result))
        .mount(&server)
        .await;
    let gz = builder_for(&access_url(&server))
        .max_attempts(2)
        .build()
        .unwrap();
    match gz.monthly_usage(None, october()).await.unwrap() {
        MonthlyUsageOutcome::Usage(usage) => assert_eq!(usage.endpoint_monthly_usage, Some(3)),
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 2);
}

/// A loopback HTTP server, on the test's runtime, that answers each request with `answer` and
/// then closes the connection (or never answers, when `answer` is `None`). Returns its Access
/// URL and a counter of the requests it read.
async fn raw_server(
    answer: Option<&'static str>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and the body (Content-Length).
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buffer).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if buffer.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                match answer {
                    Some(answer) => {
                        let _ = socket.write_all(answer.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            });
        }
    });
    (url, count)
}

#[tokio::test(start_paused = true)]
async fn a_body_cut_off_mid_way_is_a_transport_error_after_the_retries() {
    let _ticker = Ticker::start();
    let (url, count) = raw_server(Some(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n\
         {\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"endpointMonth",
    ))
    .await;
    let gz = builder_for(&url).max_attempts(3).build().unwrap();
    let err = gz.monthly_usage(None, october()).await.unwrap_err();
    match &err {
        GravityZoneError::Transport { method, detail, .. } => {
            assert_eq!(*method, "licensing.getMonthlyUsage");
            assert!(!detail.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn no_answer_within_the_timeout_is_a_timeout_after_the_retries() {
    let _ticker = Ticker::start();
    let (url, count) = raw_server(None).await;
    let gz = GravityZoneClient::builder(KEY.into())
        .base_url(url)
        .timeout(Duration::from_secs(2))
        .max_attempts(2)
        .build()
        .unwrap();
    let err = gz.license_info(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            GravityZoneError::Timeout { method: "licensing.getLicenseInfo", timeout } if timeout == Duration::from_secs(2)
        ),
        "{err:?}"
    );
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_a_transport_error() {
    let _ticker = Ticker::start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let gz = builder_for(&url).max_attempts(2).build().unwrap();
    let err = gz.companies_list(None).await.unwrap_err();
    assert!(matches!(err, GravityZoneError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("could not reach GravityZone for network.getCompaniesList")
    );
}

#[tokio::test(start_paused = true)]
async fn odd_bodies_never_panic() {
    let _ticker = Ticker::start();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"0".to_vec(),
        b"\"text\"".to_vec(),
        br#"{"result": null}"#.to_vec(),
        br#"{"error": {}}"#.to_vec(),
        br#"{"error": {"code": "x"}}"#.to_vec(),
        br#"{"error": null, "result": {"usages": "no"}}"#.to_vec(),
        br#"{"error": {"code": -32000, "data": [1, 2]}}"#.to_vec(),
        br#"{"error": {"code": 99999999999999999999999}}"#.to_vec(),
        br#"{"result": {}} trailing"#.to_vec(),
        br#"{"result": {"endpointMonthlyUsage": -1}}"#.to_vec(),
        br#"{"result": {"endpointMonthlyUsage": 1e400}}"#.to_vec(),
        br#"{"result": {"minimumUsage": {"endpointMonthlyUsage": "ten"}}}"#.to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        "[".repeat(10_000).into_bytes(),
        format!("{{\"result\": {{\"x\": \"{}\"}}}}", "é".repeat(5_000)).into_bytes(),
    ];
    let server = MockServer::start().await;
    let gz = builder_for(&access_url(&server))
        .max_attempts(1)
        .build()
        .unwrap();
    for body in bodies {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
            .mount(&server)
            .await;
        let monthly = gz.monthly_usage(Some("c1"), october()).await;
        let per_type = gz
            .monthly_usage_per_product_type(Some("c1"), october())
            .await;
        let license = gz.license_info(Some("c1")).await;
        let list = gz.companies_list(Some("c1")).await;
        let details = gz.company_details(Some("c1")).await;
        for err in [
            monthly.err(),
            per_type.err(),
            license.err(),
            list.err(),
            details.err(),
        ]
        .into_iter()
        .flatten()
        {
            let text = err.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert!(text.chars().count() < 600, "{text}");
        }
    }
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let bad_urls = [
        "http://gravityzone.example.com/api",
        "ftp://example.com/api",
        "https://user:secret@example.com/api",
        "not a url",
    ];
    for url in bad_urls {
        let err = builder_for(url).build().unwrap_err();
        assert!(
            matches!(err, GravityZoneError::InvalidInput { .. }),
            "{url}"
        );
        assert!(!err.to_string().contains("secret"), "{err}");
    }
    for key in ["", "with space", "line\nbreak"] {
        let err = GravityZoneClient::builder(key.into()).build().unwrap_err();
        assert!(matches!(err, GravityZoneError::InvalidInput { .. }));
        assert!(err.to_string().contains("GRAVITYZONE_API_KEY"), "{err}");
    }
    assert!(
        builder_for("http://127.0.0.1:9/api")
            .max_attempts(0)
            .build()
            .is_err()
    );
    assert!(
        builder_for("http://127.0.0.1:9/api")
            .timeout(Duration::ZERO)
            .build()
            .is_err()
    );
    let gz = builder_for("http://127.0.0.1:9/api").build().unwrap();
    let err = gz.company_details(Some(" ")).await.unwrap_err();
    assert!(
        matches!(err, GravityZoneError::InvalidInput { .. }),
        "{err:?}"
    );
    assert_eq!(
        GravityZoneClient::builder(KEY.into())
            .build()
            .unwrap()
            .base_url(),
        GravityZoneClient::DEFAULT_BASE_URL
    );
}

#[test]
fn debug_output_never_shows_the_key() {
    let builder = GravityZoneClient::builder(KEY.into()).base_url("http://127.0.0.1:9/api");
    let shown = format!("{builder:?} {builder:#?}");
    assert_no_key(&shown);
    assert!(shown.contains("[REDACTED]"));
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {client:#?} {:?}", client.clone());
    assert_no_key(&shown);
    assert!(shown.contains("127.0.0.1:9"));
}

/// A broken proxy that echoes the request headers (the key's Basic encoding included) and the
/// key itself into its error pages and JSON-RPC errors.
struct Echo;

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(auth, BASIC);
        let method = common::request_method(&request.body).unwrap_or_default();
        match method.as_str() {
            "getMonthlyUsage" => ResponseTemplate::new(500)
                .set_body_string(format!("<html>Authorization: {auth}</html>")),
            "getLicenseInfo" => common::rpc_error(
                200,
                -32000,
                &format!("key {KEY} rejected"),
                &format!("header was {auth}"),
            )
            .answer(request),
            "getCompanyDetails" => ResponseTemplate::new(401).set_body_raw(
                json!({"error": {"code": -32000, "message": KEY, "data": {"details": KEY, "key": KEY}}})
                    .to_string(),
                "application/json",
            ),
            "getCompaniesList" => rpc_result(json!({"oops": KEY})).answer(request),
            _ => ResponseTemplate::new(200).set_body_string(format!("{KEY} {auth}")),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_key_appears_in_no_error_and_no_log_line() {
    let logs = LogCapture::default();
    let _logging = logs.install();
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Echo)
        .mount(&server)
        .await;
    let gz = builder_for(&access_url(&server))
        .max_attempts(2)
        .build()
        .unwrap();
    let errors = [
        gz.monthly_usage(None, october()).await.unwrap_err(),
        gz.license_info(None).await.unwrap_err(),
        gz.company_details(None).await.unwrap_err(),
        gz.companies_list(None).await.unwrap_err(),
        gz.monthly_usage_per_product_type(None, october())
            .await
            .unwrap_err(),
    ];
    for err in &errors {
        assert_no_key(&err.to_string());
        assert_no_key(&format!("{err:?}"));
        assert_no_key(&format!("{err:#?}"));
    }
    assert!(
        errors[0].to_string().contains("[REDACTED]"),
        "{}",
        errors[0]
    );
    let logged = logs.logged();
    assert!(logged.iter().any(|l| l.level == tracing::Level::DEBUG));
    assert!(logged.iter().any(|l| l.level == tracing::Level::WARN));
    for line in &logged {
        assert_no_key(&line.text());
    }
}
