//! A fake ESET MSP Administrator 2 on wiremock (loopback only), and helpers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use secrecy::SecretString;
use serde_json::{Value, json};
use usage_eset::TransportSettings as _;
use usage_eset::{EsetClient, EsetClientBuilder};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const USERNAME: &str = "api-billing@example.test";
pub const PASSWORD: &str = "Pa55-w0rd-MUST-NEVER-SHOW";

/// The shared-fixture directory of the workspace.
pub fn fixture(name: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/eset")
        .join(name);
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// The answer of User/Current (shared fixture when present).
pub fn user_current() -> Value {
    fixture("user-current.json").unwrap_or_else(|| {
        json!({
            "id": "0d30a7b5-6e01-40c8-9ec4-f056329017c7",
            "email": USERNAME,
            "company": {"companyId": "b3991cba-e3a6-45d6-b260-201139220069", "name": "Example MSP", "type": 1005}
        })
    })
}

/// 230 usage-report companies: the three shared fixture pages when present, else made up.
pub fn companies_230() -> Vec<Value> {
    let from_fixtures: Option<Vec<Value>> = (1..=3)
        .map(|n| {
            fixture(&format!(
                "usage-report-all-companies-categories-page-{n}.json"
            ))
            .and_then(|page| page.get("companies").and_then(Value::as_array).cloned())
        })
        .collect::<Option<Vec<Vec<Value>>>>()
        .map(|pages| pages.into_iter().flatten().collect());
    match from_fixtures {
        Some(companies) if companies.len() == 230 => companies,
        _ => (0..230).map(usage_company).collect(),
    }
}

/// A made-up usage-report company.
pub fn usage_company(n: usize) -> Value {
    json!({
        "companyId": format!("00000000-0000-4000-8000-{n:012}"),
        "companyName": format!("Customer {n}"),
        "categories": [{"code": "ENDPOINT", "name": "Endpoint Protection", "seatDays": 31 * n, "seats": n, "licenseType": 1}],
        "totalUsage": 31 * n
    })
}

/// The `skip` and `take` of a paged request body.
pub fn skip_take(request: &Request) -> (usize, usize) {
    let body: Value = request.body_json().unwrap_or(Value::Null);
    let skip = body.get("skip").and_then(Value::as_u64).unwrap_or(0) as usize;
    let take = body.get("take").and_then(Value::as_u64).unwrap_or(100) as usize;
    (skip, take)
}

/// The slice `skip..skip+take` of `items`.
pub fn slice(items: &[Value], skip: usize, take: usize) -> Vec<Value> {
    items.iter().skip(skip).take(take).cloned().collect()
}

/// Seconds since the epoch, real clock.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// One issued session token pair.
#[derive(Clone)]
struct Issued {
    access: String,
    refresh: String,
    exp: u64,
}

/// Issues JWT access tokens with a given lifetime and checks bearer tokens, like ESET.
pub struct Tokens {
    lifetime: u64,
    counter: AtomicUsize,
    issued: Mutex<Vec<Issued>>,
    /// Refuse expired tokens (by the real clock).
    pub enforce_expiry: bool,
}

impl Tokens {
    pub fn new(lifetime_secs: u64) -> Arc<Self> {
        Arc::new(Self {
            lifetime: lifetime_secs,
            counter: AtomicUsize::new(0),
            issued: Mutex::new(Vec::new()),
            enforce_expiry: true,
        })
    }

    fn issue(&self) -> Issued {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let now = unix_now() as u64;
        let exp = now + self.lifetime;
        let claims = json!({
            "iss": "https://identity.example.test",
            "nbf": now, "iat": now, "exp": exp,
            "aud": ["ema2_api"], "client_id": "Eset.EMA.API",
            "jti": format!("ACCESS-SECRET-{n}")
        });
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let access = format!(
            "{}.{}.{}",
            b64.encode(r#"{"alg":"RS256","typ":"at+jwt"}"#),
            b64.encode(claims.to_string()),
            b64.encode(format!("signature-{n}"))
        );
        let issued = Issued {
            access,
            refresh: format!("REFRESH-SECRET-{n}-q8Zr"),
            exp,
        };
        self.issued.lock().unwrap().push(issued.clone());
        issued
    }

    /// True if the request carries a bearer token that was issued and (if enforced) is unexpired.
    pub fn authorized(&self, request: &Request) -> bool {
        let Some(bearer) = bearer(request) else {
            return false;
        };
        let now = unix_now();
        self.issued
            .lock()
            .unwrap()
            .iter()
            .any(|i| i.access == bearer && (!self.enforce_expiry || now < i.exp as f64))
    }

    /// Every access and refresh token issued so far.
    pub fn secrets(&self) -> Vec<String> {
        self.issued
            .lock()
            .unwrap()
            .iter()
            .flat_map(|i| [i.access.clone(), i.refresh.clone()])
            .collect()
    }
}

fn bearer(request: &Request) -> Option<String> {
    let value = request.headers.get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

fn token_body(issued: &Issued) -> Value {
    json!({"accessToken": issued.access, "refreshToken": issued.refresh})
}

/// Token/Get: 200 with a fresh token for the right credentials, else 401.
struct TokenGet(Arc<Tokens>);

impl Respond for TokenGet {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap_or(Value::Null);
        if body["username"] == USERNAME && body["password"] == PASSWORD {
            ResponseTemplate::new(200).set_body_json(token_body(&self.0.issue()))
        } else {
            ResponseTemplate::new(401).set_body_json(json!({"message": "Invalid credentials"}))
        }
    }
}

/// Token/Renew: needs a valid bearer and a known refresh token.
struct TokenRenew(Arc<Tokens>);

impl Respond for TokenRenew {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap_or(Value::Null);
        let known = self
            .0
            .issued
            .lock()
            .unwrap()
            .iter()
            .any(|i| body["refreshToken"] == i.refresh.as_str());
        if known && self.0.authorized(request) {
            ResponseTemplate::new(200).set_body_json(token_body(&self.0.issue()))
        } else {
            ResponseTemplate::new(401)
        }
    }
}

/// A responder that answers 401 unless the bearer token is valid.
pub fn guarded<F>(tokens: &Arc<Tokens>, respond: F) -> impl Respond + use<F>
where
    F: Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
{
    let tokens = Arc::clone(tokens);
    move |request: &Request| {
        if tokens.authorized(request) {
            respond(request)
        } else {
            ResponseTemplate::new(401)
        }
    }
}

/// A wiremock server with Token/Get and Token/Renew, tokens of `lifetime_secs`.
pub async fn server(lifetime_secs: u64) -> (MockServer, Arc<Tokens>) {
    let server = MockServer::start().await;
    let tokens = Tokens::new(lifetime_secs);
    mount_tokens(&server, &tokens).await;
    (server, tokens)
}

pub async fn mount_tokens(server: &MockServer, tokens: &Arc<Tokens>) {
    Mock::given(method("POST"))
        .and(path("/api/Token/Get"))
        .respond_with(TokenGet(Arc::clone(tokens)))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/Token/Renew"))
        .respond_with(TokenRenew(Arc::clone(tokens)))
        .mount(server)
        .await;
}

/// User/Current answered normally (guarded by the bearer).
pub async fn mount_user_current(server: &MockServer, tokens: &Arc<Tokens>) {
    let body = user_current();
    Mock::given(method("GET"))
        .and(path("/api/User/Current"))
        .respond_with(guarded(tokens, move |_| {
            ResponseTemplate::new(200).set_body_json(body.clone())
        }))
        .mount(server)
        .await;
}

/// A client for tests on a paused tokio clock: no per-request timeout and no idle-pool
/// timer, so a pending timer never fires while the test waits for the loopback server.
pub fn paused_client(server: &MockServer) -> EsetClientBuilder {
    let http = reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    EsetClient::builder(USERNAME, SecretString::from(PASSWORD))
        .base_url(format!("{}/api", server.uri()))
        .no_timeout()
        .http_client(http)
}

/// A client with the default transport (real time).
pub fn client(server: &MockServer) -> EsetClientBuilder {
    EsetClient::builder(USERNAME, SecretString::from(PASSWORD))
        .base_url(format!("{}/api", server.uri()))
}

/// How many requests the server received on `path` (e.g. `/api/Token/Get`).
pub async fn count(server: &MockServer, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == path)
        .count()
}

/// Asserts that `text` holds neither the password nor any issued token.
pub fn assert_no_secrets(text: &str, tokens: &Tokens) {
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    for secret in tokens.secrets() {
        assert!(!text.contains(&secret), "token leaked: {text}");
        // The distinctive parts too, in case a token were cut or re-encoded.
        if let Some(payload) = secret.split('.').nth(1) {
            assert!(!text.contains(payload), "token payload leaked: {text}");
        }
    }
    assert!(
        !text.contains("REFRESH-SECRET"),
        "refresh token leaked: {text}"
    );
}

/// Asserts the Debug and Display of an error hold no secret.
pub fn assert_error_clean(error: &usage_eset::EsetError, tokens: &Tokens) {
    assert_no_secrets(&format!("{error:?}"), tokens);
    assert_no_secrets(&error.to_string(), tokens);
}
