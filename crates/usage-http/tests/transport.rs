//! The transport against loopback servers: the size limit, secrets echoed back, credential
//! answers, and what an observer sees.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use usage_http::{
    Auth, Exchange, ExchangeObserver, ExchangeOutcome, HttpRequest, Method, Secrets, Transport,
    TransportError, TransportSettings as _,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "gz-key-4f1e2d3c";
const BASIC_B64: &str = "Z3ota2V5LTRmMWUyZDNjOg=="; // base64("gz-key-4f1e2d3c:")

#[derive(Debug, Default)]
struct Seen(Mutex<Vec<Exchange>>);

impl ExchangeObserver for Seen {
    fn observe(&self, exchange: &Exchange) {
        self.0.lock().unwrap().push(exchange.clone());
    }
}

fn transport(observer: Option<Arc<Seen>>) -> Transport {
    let secrets = Secrets::new();
    secrets.add(&SecretString::from(KEY));
    let mut builder = Transport::builder()
        .base_url("http://127.0.0.1:1/")
        .max_attempts(1);
    if let Some(observer) = observer {
        builder = builder.observer(observer);
    }
    builder.build("Test", secrets).unwrap()
}

fn post<'a>(url: &'a str, auth: Auth<'a>, request: &'a Value) -> HttpRequest<'a> {
    HttpRequest {
        call: "svc.method",
        url,
        method: Method::Post,
        body: b"{}",
        request,
        auth,
        answer_secret_keys: &[],
        pacer: None,
    }
}

/// Echoes the request's `Authorization` header (and the key decoded from it) into its body.
struct EchoAuth(u16);

impl Respond for EchoAuth {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let header = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = json!({
            "error": format!("bad request, you sent Authorization: {header}"),
            "key": KEY,
            "escaped": format!("{{\"k\":\"{KEY}\"}}"),
        });
        ResponseTemplate::new(self.0)
            .insert_header("Retry-After", KEY)
            .set_body_string(body.to_string())
    }
}

fn assert_clean(text: &str) {
    assert!(!text.contains(KEY), "key in: {text}");
    assert!(!text.contains(BASIC_B64), "Basic header in: {text}");
}

#[tokio::test]
async fn echoed_secrets_are_scrubbed_from_bodies_and_exchanges() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(EchoAuth(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(EchoAuth(200))
        .mount(&server)
        .await;
    let seen = Arc::new(Seen::default());
    let transport = transport(Some(Arc::clone(&seen)));
    let key = SecretString::from(KEY);
    let url = server.uri();
    let request = json!({"companyId": "c1", "echo": KEY});

    for expected in [500, 200] {
        let response = transport
            .send(&post(&url, Auth::Basic(&key), &request))
            .await
            .unwrap();
        assert_eq!(response.status, expected);
        let body = String::from_utf8(response.body).unwrap();
        assert!(body.contains("[REDACTED]"), "{body}");
        assert_clean(&body);
    }
    // The key really went out, in the Basic header.
    let sent = server.received_requests().await.unwrap();
    assert_eq!(
        sent[0].headers.get("authorization").unwrap(),
        &format!("Basic {BASIC_B64}")
    );
    let exchanges = seen.0.lock().unwrap().clone();
    assert_eq!(exchanges.len(), 2);
    let text = format!("{exchanges:?}");
    assert!(text.contains("[REDACTED]"), "{text}");
    assert_clean(&text);
    assert_clean(&format!("{transport:?}"));
}

#[tokio::test]
async fn a_credential_answer_reaches_the_client_whole_and_the_observer_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"accessToken":"eyJ.access.token","refreshToken":"refresh-77","expiresIn":60}"#,
        ))
        .mount(&server)
        .await;
    let seen = Arc::new(Seen::default());
    let transport = transport(Some(Arc::clone(&seen)));
    let url = server.uri();
    let request = json!({"username": "u", "password": "[REDACTED]"});
    let mut login = post(&url, Auth::None, &request);
    login.answer_secret_keys = &["accessToken", "refreshToken"];

    let response = transport.send(&login).await.unwrap();
    assert!(String::from_utf8_lossy(&response.body).contains("eyJ.access.token"));
    let exchanges = seen.0.lock().unwrap().clone();
    match &exchanges[0].outcome {
        ExchangeOutcome::Response { body, .. } => {
            let body: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(
                body,
                json!({"accessToken":"[REDACTED]","refreshToken":"[REDACTED]","expiresIn":60})
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A raw loopback server that answers every connection with a `total`-byte body in 1 MiB
/// chunks, announcing its length or not.
async fn huge_body_server(total: usize, announce: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let head = if announce {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                        .to_owned()
                };
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 1024 * 1024];
                let mut sent = 0;
                while sent < total {
                    let n = chunk.len().min(total - sent);
                    if socket.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    sent += n;
                }
            });
        }
    });
    format!("http://{address}/")
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_whether_announced_or_not() {
    let request = Value::Null;
    for announce in [true, false] {
        let url = huge_body_server(200 * 1024 * 1024, announce).await;
        let seen = Arc::new(Seen::default());
        let transport = transport(Some(Arc::clone(&seen)));
        let error = transport
            .send(&post(&url, Auth::None, &request))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            TransportError::TooLarge {
                limit: 64 * 1024 * 1024
            },
            "announce={announce}"
        );
        assert!(!error.retry().is_retryable());
        assert!(error.to_string().contains("64 MiB"), "{error}");
        let exchanges = seen.0.lock().unwrap().clone();
        assert!(
            matches!(&exchanges[0].outcome, ExchangeOutcome::Failed { error } if error.contains("64 MiB")),
            "{exchanges:?}"
        );
    }
}

#[tokio::test]
async fn a_lower_limit_is_kept_and_a_body_at_the_limit_is_read() {
    let url = huge_body_server(4096, false).await;
    let request = Value::Null;
    let secrets = Secrets::new();
    let at_limit = Transport::builder()
        .base_url("http://127.0.0.1:1/")
        .body_limit(4096)
        .build("Test", secrets.clone())
        .unwrap();
    let body = at_limit
        .send(&post(&url, Auth::None, &request))
        .await
        .unwrap()
        .body;
    assert_eq!(body.len(), 4096);
    let below = Transport::builder()
        .base_url("http://127.0.0.1:1/")
        .body_limit(4095)
        .build("Test", secrets)
        .unwrap();
    assert!(matches!(
        below.send(&post(&url, Auth::None, &request)).await,
        Err(TransportError::TooLarge { limit: 4095 })
    ));
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let zero = Transport::builder()
        .base_url("http://127.0.0.1:1/")
        .timeout(std::time::Duration::ZERO)
        .build("Test", Secrets::new());
    assert!(zero.is_err());
    for attempts in [0, 21] {
        let error = Transport::builder()
            .base_url("http://127.0.0.1:1/")
            .max_attempts(attempts)
            .build("Test", Secrets::new())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("from 1 to 20"), "{error}");
    }
    assert!(
        Transport::builder()
            .base_url("http://127.0.0.1:1/")
            .no_timeout()
            .build("Test", Secrets::new())
            .is_ok()
    );
}
