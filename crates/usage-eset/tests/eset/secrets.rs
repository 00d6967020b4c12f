//! The password and tokens never show in Debug, Display or logs.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use usage_eset::TransportSettings as _;
use usage_eset::{DateRange, EsetClient, EsetError, ReportKind, ReportScope, UsageReportRequest};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const CURRENT: &str = "/api/User/Current";

/// Real time, short timeouts: one error of every variant, each checked.
#[tokio::test]
async fn debug_of_client_and_of_every_error_variant_hides_secrets() {
    let (server, tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(guarded(&tokens, |_| {
            ResponseTemplate::new(400).set_body_string("bad")
        }))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/Company/Children"))
        .respond_with(guarded(&tokens, |_| {
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"companies": [{"publicId": 7}]}))
        }))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/UsageReport/AllCompanies/categories"))
        .respond_with(guarded(&tokens, |_| {
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"companies": []}))
                .set_delay(Duration::from_secs(3))
        }))
        .mount(&server)
        .await;
    let client = client(&server)
        .timeout(Duration::from_millis(300))
        .max_attempts(1)
        .build()
        .unwrap();
    let before_login = format!("{client:?}");

    let mut errors: Vec<EsetError> = Vec::new();
    errors.push(client.current_user().await.unwrap_err()); // Http (after a login)
    errors.push(client.company_tree("root").await.unwrap_err()); // Decode
    let report = UsageReportRequest::new(
        ReportScope::AllCompanies,
        ReportKind::Categories,
        DateRange::month(2026, 10).unwrap(),
    );
    errors.push(client.usage_report(report.clone()).await.unwrap_err()); // Timeout
    let mut bad_take = report;
    bad_take.take = 0;
    errors.push(client.usage_report(bad_take).await.unwrap_err()); // InvalidInput
    let wrong = EsetClient::builder(USERNAME, SecretString::from("not-the-password"))
        .base_url(format!("{}/api", server.uri()))
        .build()
        .unwrap();
    errors.push(wrong.current_user().await.unwrap_err()); // BadCredentials
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = EsetClient::builder(USERNAME, SecretString::from(PASSWORD))
        .base_url(format!("http://127.0.0.1:{port}/api"))
        .max_attempts(1)
        .build()
        .unwrap();
    errors.push(unreachable.current_user().await.unwrap_err()); // Transport

    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            EsetError::Http { .. } => "http",
            EsetError::Decode { .. } => "decode",
            EsetError::Timeout { .. } => "timeout",
            EsetError::InvalidInput(_) => "input",
            EsetError::BadCredentials { .. } => "credentials",
            EsetError::Transport { .. } => "transport",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "http",
            "decode",
            "timeout",
            "input",
            "credentials",
            "transport"
        ]
    );
    assert!(
        !tokens.secrets().is_empty(),
        "no token was issued: the test would prove nothing"
    );
    for error in &errors {
        assert_error_clean(error, &tokens);
    }
    for text in [
        before_login,
        format!("{client:?}"),
        format!("{:?}", client.clone()),
    ] {
        assert_no_secrets(&text, &tokens);
        assert!(text.contains(USERNAME), "{text}");
    }
    let builder = EsetClient::builder(USERNAME, SecretString::from(PASSWORD));
    assert_no_secrets(&format!("{builder:?}"), &tokens);
}

thread_local! {
    /// Where the events of this thread go, while a test captures them.
    static SINK: std::cell::RefCell<Option<Arc<Mutex<String>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Collects every tracing event and span field, at every level, of the threads that asked
/// (see [`capture`]). It is the global subscriber, enabled for everything: a per-thread
/// subscriber would race with tracing's global cache of which call sites are enabled (another
/// test thread may register a call site first, with no subscriber), and miss events.
struct Capture;

/// Captures this thread's tracing events into the returned buffer until the test ends.
fn capture() -> Arc<Mutex<String>> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Capture);
    });
    let log = Arc::new(Mutex::new(String::new()));
    SINK.with(|sink| *sink.borrow_mut() = Some(Arc::clone(&log)));
    log
}

/// Runs `write` on this thread's capture buffer, if it has one.
fn with_sink(write: impl FnOnce(&mut String)) {
    SINK.with(|sink| {
        if let Some(log) = &*sink.borrow() {
            write(&mut log.lock().unwrap());
        }
    });
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        with_sink(|text| span.record(&mut Fields(text)));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        with_sink(|text| values.record(&mut Fields(text)));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        with_sink(|text| {
            let _ = write!(
                text,
                "[{} {}] ",
                event.metadata().level(),
                event.metadata().target()
            );
            event.record(&mut Fields(text));
            text.push('\n');
        });
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(start_paused = true)]
async fn logs_at_every_level_hold_no_secret() {
    let log = capture();

    let (server, tokens) = server(60).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server).build().unwrap();
    client.current_user().await.unwrap(); // login
    tokio::time::advance(Duration::from_secs(55)).await;
    client.current_user().await.unwrap(); // renew
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    client.current_user().await.unwrap(); // 401, re-login
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    client.current_user().await.unwrap(); // retried
    Mock::given(method("POST"))
        .and(path("/api/Token/Renew"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    tokio::time::advance(Duration::from_secs(55)).await;
    client.current_user().await.unwrap(); // renewal fails, login
    let wrong = EsetClient::builder(USERNAME, SecretString::from("wrong"))
        .base_url(format!("{}/api", server.uri()))
        .no_timeout()
        .build()
        .unwrap();
    let _ = wrong.current_user().await.unwrap_err();

    let text = log.lock().unwrap().clone();
    assert!(
        text.contains("retrying ESET call"),
        "nothing captured:\n{text}"
    );
    assert!(text.contains("Token/Renew failed"), "{text}");
    assert!(text.contains("logging in again"), "{text}");
    assert_no_secrets(&text, &tokens);
}

/// A server that echoes the `Authorization` header and the password back, in a 200 body and in
/// error bodies: the token and the password reach neither the caller's values, nor any error's
/// `Display` or `Debug`, nor an observer (what `--record` writes).
#[tokio::test]
async fn secrets_echoed_back_by_the_server_are_scrubbed_everywhere() {
    #[derive(Debug, Default)]
    struct Seen(Mutex<String>);
    impl usage_eset::ExchangeObserver for Seen {
        fn observe(&self, exchange: &usage_eset::Exchange) {
            let mut text = self.0.lock().unwrap();
            let _ = write!(text, "{exchange:?}");
            if let usage_eset::ExchangeOutcome::Response { body, .. } = &exchange.outcome {
                text.push_str(&String::from_utf8_lossy(body));
            }
        }
    }
    fn echo(request: &wiremock::Request) -> String {
        let header = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        format!("you sent Authorization: {header} and password {PASSWORD}")
    }
    let (server, tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(guarded(&tokens, |request| {
            let mut body = user_current();
            body["company"]["name"] = echo(request).into();
            body["echo"] = echo(request).into();
            ResponseTemplate::new(200).set_body_json(body)
        }))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/Company/Children"))
        .respond_with(guarded(&tokens, |request| {
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"code": 400, "message": echo(request)}))
        }))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/UsageReport/AllCompanies/categories"))
        .respond_with(guarded(&tokens, |request| {
            ResponseTemplate::new(502).set_body_string(format!("<html>{}</html>", echo(request)))
        }))
        .mount(&server)
        .await;
    let seen = Arc::new(Seen::default());
    let client = client(&server)
        .max_attempts(2)
        .observer(seen.clone())
        .build()
        .unwrap();

    let user = client.current_user().await.unwrap();
    let shown = format!("{user:?}");
    assert!(
        shown.contains("[REDACTED]"),
        "the echo was not there: {shown}"
    );
    let tree = client.company_tree("root").await.unwrap_err();
    let report = UsageReportRequest::new(
        ReportScope::AllCompanies,
        ReportKind::Categories,
        DateRange::month(2026, 10).unwrap(),
    );
    let report = client.usage_report(report).await.unwrap_err();

    let mut everything = shown;
    for error in [&tree, &report] {
        assert!(error.to_string().contains("[REDACTED]"), "{error}");
        let _ = write!(everything, "{error} {error:?}");
    }
    everything.push_str(&seen.0.lock().unwrap());
    let mut secrets = tokens.secrets();
    secrets.push(PASSWORD.to_owned());
    assert!(secrets.len() >= 3);
    for secret in &secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "{secret} leaked:\n{everything}"
        );
    }
}

/// A token answer that does not decode is never quoted, not even through the JSON path of the
/// failure: its keys and values may be the very tokens being issued.
#[tokio::test]
async fn a_token_answer_that_does_not_decode_is_never_quoted() {
    const NEW_SECRET: &str = "NEW-REFRESH-SECRET-7f3a";
    for body in [
        format!(r#"{{"{NEW_SECRET}": [1, }}"#),
        format!(r#"{{"accessToken": 42, "refreshToken": "{NEW_SECRET}"}}"#),
        format!(r#"{{"accessToken": "{NEW_SECRET}", "refreshToken": "#),
    ] {
        let server = wiremock::MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/Token/Get"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let client = client(&server).max_attempts(2).build().unwrap();
        let error = client.current_user().await.unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(matches!(error, EsetError::Decode { .. }), "{body}: {text}");
        assert!(!text.contains(NEW_SECRET), "{body}: {text}");
        assert!(!text.contains(PASSWORD), "{body}: {text}");
    }
}
