//! Retries, backoff, Retry-After, rate limiting.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use usage_eset::TransportSettings as _;
use usage_eset::{EsetClient, EsetError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const CURRENT: &str = "/api/User/Current";

fn maintenance_body() -> serde_json::Value {
    fixture("error-maintenance-503.json").unwrap_or_else(|| {
        serde_json::json!({"code": 99, "subCode": 2, "message": "ESET MSP Administrator API is being updated."})
    })
}

/// Mounts `template` for User/Current for the first `times` calls, before the normal answer.
async fn fail_first(server: &wiremock::MockServer, template: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(template)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_honoured() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    fail_first(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        1,
    )
    .await;
    let client = paused_client(&server).build().unwrap();

    let start = Instant::now();
    client.current_user().await.unwrap();
    let waited = start.elapsed();

    // Without Retry-After the first backoff is 0.5 s plus jitter, always below 1 s.
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_millis(1100), "waited {waited:?}");
    assert_eq!(count(&server, CURRENT).await, 2);
}

/// A wait longer than the 120 s msp-usage honours fails that call at once, with a message that
/// names the wait, instead of stalling the run (429 and 503 alike).
#[tokio::test(start_paused = true)]
async fn retry_after_longer_than_120_s_fails_at_once_naming_the_wait() {
    for status in [429, 503] {
        let (server, tokens) = server(3600).await;
        mount_user_current(&server, &tokens).await;
        fail_first(
            &server,
            ResponseTemplate::new(status).insert_header("Retry-After", "100000"),
            1,
        )
        .await;
        let client = paused_client(&server).build().unwrap();

        let start = Instant::now();
        let error = client.current_user().await.unwrap_err();

        assert_eq!(start.elapsed(), Duration::ZERO, "it waited");
        assert_eq!(count(&server, CURRENT).await, 1);
        assert!(
            matches!(&error, EsetError::WaitTooLong { call, status: Some(s), wait }
                if call == "User/Current" && *s == status && wait.as_secs() == 100_000),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains("100000 s"), "{text}");
        assert!(text.contains("120 s"), "{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date_is_honoured() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(4));
    fail_first(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", when.as_str()),
        1,
    )
    .await;
    let client = paused_client(&server).build().unwrap();

    let start = Instant::now();
    client.current_user().await.unwrap();
    let waited = start.elapsed();

    // The date has whole seconds: 3 to 4 s from now.
    assert!(
        waited >= Duration::from_millis(2900),
        "waited only {waited:?}"
    );
    assert!(waited <= Duration::from_millis(4100), "waited {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn maintenance_503_is_retried_and_can_recover() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    fail_first(
        &server,
        ResponseTemplate::new(503).set_body_json(maintenance_body()),
        2,
    )
    .await;
    let client = paused_client(&server).build().unwrap();

    client.current_user().await.unwrap();

    assert_eq!(count(&server, CURRENT).await, 3);
}

#[tokio::test(start_paused = true)]
async fn persistent_maintenance_is_surfaced_with_code_and_subcode() {
    let (server, tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(503).set_body_json(maintenance_body()))
        .mount(&server)
        .await;
    let client = paused_client(&server).max_attempts(3).build().unwrap();

    let error = client.current_user().await.unwrap_err();

    match &error {
        EsetError::Http {
            call,
            status,
            code,
            sub_code,
            attempts,
            ..
        } => {
            assert_eq!(call, "User/Current");
            assert_eq!(*status, 503);
            assert_eq!(*code, Some(99));
            assert_eq!(*sub_code, Some(2));
            assert_eq!(*attempts, 3);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.is_maintenance());
    let text = error.to_string();
    assert!(text.contains("code 99, subCode 2"), "{text}");
    assert!(text.contains("maintenance"), "{text}");
    assert_eq!(count(&server, CURRENT).await, 3);
    assert_error_clean(&error, &tokens);
}

#[tokio::test(start_paused = true)]
async fn client_errors_400_403_404_are_not_retried() {
    for status in [400u16, 403, 404] {
        let (server, tokens) = server(3600).await;
        let body = fixture("error-validation-400.json")
            .unwrap_or_else(|| serde_json::json!({"take": ["The input was not valid."]}));
        Mock::given(method("GET"))
            .and(path(CURRENT))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let client = paused_client(&server).build().unwrap();

        let error = client.current_user().await.unwrap_err();

        assert!(
            matches!(&error, EsetError::Http { status: s, attempts: 1, .. } if *s == status),
            "{error:?}"
        );
        assert_eq!(
            count(&server, CURRENT).await,
            1,
            "HTTP {status} was retried"
        );
        if status == 400 {
            assert!(
                error.to_string().contains("The input was not valid."),
                "{error}"
            );
        }
        assert_error_clean(&error, &tokens);
    }
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried() {
    for status in [500u16, 502, 504, 429] {
        let (server, tokens) = server(3600).await;
        mount_user_current(&server, &tokens).await;
        fail_first(&server, ResponseTemplate::new(status), 2).await;
        let client = paused_client(&server).build().unwrap();

        client.current_user().await.unwrap();

        assert_eq!(count(&server, CURRENT).await, 3, "HTTP {status}");
    }
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded_by_max_attempts() {
    let (server, _tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let client = paused_client(&server).build().unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(
        matches!(
            error,
            EsetError::Http {
                status: 500,
                attempts: 5,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(count(&server, CURRENT).await, 5);
}

#[tokio::test(start_paused = true)]
async fn a_login_under_maintenance_is_retried_but_not_multiplied() {
    let (server, _tokens) = server(3600).await;
    Mock::given(method("POST"))
        .and(path("/api/Token/Get"))
        .respond_with(ResponseTemplate::new(503).set_body_json(maintenance_body()))
        .with_priority(1)
        .mount(&server)
        .await;
    let client = paused_client(&server).max_attempts(3).build().unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(error.is_maintenance(), "{error:?}");
    assert_eq!(error.call(), Some("Token/Get"));
    assert_eq!(count(&server, "/api/Token/Get").await, 3);
    assert_eq!(count(&server, CURRENT).await, 0);
}

#[tokio::test(start_paused = true)]
async fn the_rate_limiter_spaces_requests() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server)
        .requests_per_second(NonZeroU32::new(2).unwrap())
        .build()
        .unwrap();

    let start = Instant::now();
    for _ in 0..6 {
        client.current_user().await.unwrap();
    }
    let waited = start.elapsed();

    // 7 requests (login included) at 2 per second with a burst of 2: 5 waits of 0.5 s.
    assert_eq!(server.received_requests().await.unwrap().len(), 7);
    assert!(
        waited >= Duration::from_millis(2450),
        "waited only {waited:?}"
    );
    assert!(waited <= Duration::from_millis(2600), "waited {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn clones_share_the_rate_limiter() {
    let (server, tokens) = server(3600).await;
    mount_user_current(&server, &tokens).await;
    let client = paused_client(&server)
        .requests_per_second(NonZeroU32::new(1).unwrap())
        .build()
        .unwrap();
    let clone = client.clone();

    let start = Instant::now();
    let (a, b) = tokio::join!(client.current_user(), clone.current_user());
    a.unwrap();
    b.unwrap();

    // Login and two calls at 1 per second: 2 s of waiting, whichever clone sends.
    assert!(
        start.elapsed() >= Duration::from_millis(1950),
        "{:?}",
        start.elapsed()
    );
}

/// Real time: the server answers after 2 s, the client gives up after 200 ms, twice.
#[tokio::test]
async fn timeouts_are_retried_then_reported() {
    let (server, tokens) = server(3600).await;
    Mock::given(method("GET"))
        .and(path(CURRENT))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(user_current())
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let client = client(&server)
        .timeout(Duration::from_millis(200))
        .max_attempts(2)
        .build()
        .unwrap();

    let error = client.current_user().await.unwrap_err();

    match &error {
        EsetError::Timeout {
            call,
            timeout,
            attempts,
        } => {
            assert_eq!(call, "User/Current");
            assert_eq!(*timeout, Duration::from_millis(200));
            assert_eq!(*attempts, 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(count(&server, CURRENT).await, 2);
    assert_error_clean(&error, &tokens);
}

#[tokio::test(start_paused = true)]
async fn connection_errors_are_retried_then_reported() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = EsetClient::builder(USERNAME, PASSWORD.into())
        .base_url(format!("http://127.0.0.1:{port}/api"))
        .no_timeout()
        .max_attempts(2)
        .build()
        .unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(
        matches!(&error, EsetError::Transport { call, attempts: 2, .. } if call == "Token/Get"),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains(PASSWORD));
}

/// A raw loopback server: Token/Get answers properly; every other call gets a 200 whose
/// `Content-Length` promises more than is sent before the connection closes.
async fn cut_off_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let cut = Arc::new(AtomicUsize::new(0));
    let cut_count = Arc::clone(&cut);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let cut = Arc::clone(&cut);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the head, then as much body as Content-Length says.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let head = String::from_utf8_lossy(&request).to_string();
                let response = if head.starts_with("POST /api/Token/Get") {
                    let body = r#"{"accessToken":"a.b.c","refreshToken":"REFRESH-SECRET-raw"}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    cut.fetch_add(1, Ordering::SeqCst);
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{\"id\": \"0d30a7b5".to_owned()
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, cut_count)
}

#[tokio::test(start_paused = true)]
async fn a_connection_closed_mid_body_is_retried_then_reported() {
    let (url, cut) = cut_off_server().await;
    let client = EsetClient::builder(USERNAME, PASSWORD.into())
        .base_url(url)
        .no_timeout()
        .max_attempts(3)
        .build()
        .unwrap();

    let error = client.current_user().await.unwrap_err();

    assert!(
        matches!(&error, EsetError::Transport { call, attempts: 3, .. } if call == "User/Current"),
        "{error:?}"
    );
    assert_eq!(cut.load(std::sync::atomic::Ordering::SeqCst), 3);
}
