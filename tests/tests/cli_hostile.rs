//! End to end: hostile vendor servers that echo every secret they are sent (the ESET password,
//! access and refresh tokens, the GravityZone API key and its HTTP Basic form) back inside
//! answers, error bodies and headers. None of them may reach standard output, standard error
//! (with `-vvv` logs) or any file of `--record DIR`; the recording shows `[REDACTED]` where the
//! echoes were.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use common::{MONTH, Run, run_bounded};

/// How long one run of the binary may take before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Requests one hostile server answers before it answers every further one with 410 (a
/// runaway client cannot keep it busy).
const MAX_REQUESTS: usize = 200;

/// The ESET access token the hostile server issues: a JWT (`{"alg":"none"}`, `{"exp":4102444800}`)
/// so the client accepts it and keeps it for the whole run.
const ESET_ACCESS_TOKEN: &str =
    "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl-echo-test";
/// The refresh token it issues.
const ESET_REFRESH_TOKEN: &str = "refresh-secret-0123456789";
/// The ESET password, with a quote so that its JSON-escaped form differs from its plain form.
const ESET_PASSWORD: &str = "Pa\"ss-Echo-7f3c9a1e-hostile";
/// A fragment of the password found in every form of it (plain, JSON-escaped, debug-quoted).
const ESET_PASSWORD_TAIL: &str = "ss-Echo-7f3c9a1e-hostile";
/// The API user's company and its one customer.
const ESET_ROOT: &str = "b3991cba-e3a6-45d6-b260-201139220069";
const ESET_CHILD: &str = "0f4faeaf-6bb6-4b07-8f2e-9c1f59aecb7a";

/// The GravityZone API key (distinctive, ≥ 16 characters).
const GZ_API_KEY: &str = "gzKEY-echo-9d41c7b2e8a35f60-hostile";
/// The API key's own company.
const GZ_ROOT: &str = "6572e499d2128b2f33892f90";

/// What a hostile server saw: how many requests each call got.
#[derive(Default)]
struct Seen {
    calls: Mutex<BTreeMap<String, usize>>,
}

impl Seen {
    /// Counts one request of `call`; `false` once the server has answered enough.
    fn count(&self, call: &str) -> bool {
        let mut calls = self.calls.lock().unwrap();
        let total: usize = calls.values().sum();
        *calls.entry(call.to_owned()).or_default() += 1;
        total < MAX_REQUESTS
    }

    fn get(&self, call: &str) -> usize {
        self.calls.lock().unwrap().get(call).copied().unwrap_or(0)
    }
}

/// Serves `app` on a free loopback port until the returned task is aborted.
async fn serve(app: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, task)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn authorization(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(none)")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// ESET

/// The hostile ESET server's state: the password it was sent and what it answered.
#[derive(Default)]
struct EsetServer {
    password: Mutex<String>,
    seen: Seen,
}

/// ESET MSP Administrator 2, echoing the password (as received by Token/Get), the
/// `Authorization` header and both tokens into every answer after the login. Company/Children
/// first fails with HTTP 500 (the echo in its body and in `Retry-After`), then lists one
/// customer whose name echoes the secrets; every usage report is refused with HTTP 400.
async fn eset_handler(
    State(server): State<Arc<EsetServer>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches("/api/").to_owned();
    let call = if path.starts_with("UsageReport/") {
        "UsageReport"
    } else {
        path.as_str()
    };
    if !server.seen.count(call) {
        return StatusCode::GONE.into_response();
    }
    let auth = authorization(&headers);
    if (path == "Token/Get" || path == "Token/Renew")
        && let Ok(request) = serde_json::from_slice::<Value>(&body)
        && let Some(password) = request["password"].as_str()
    {
        *server.password.lock().unwrap() = password.to_owned();
    }
    let password = server.password.lock().unwrap().clone();
    let echo = format!(
        "Authorization: {auth}; password={password}; refresh={ESET_REFRESH_TOKEN}; token={ESET_ACCESS_TOKEN}"
    );
    match path.as_str() {
        "Token/Get" | "Token/Renew" => json_response(
            StatusCode::OK,
            &json!({
                "accessToken": ESET_ACCESS_TOKEN,
                "refreshToken": ESET_REFRESH_TOKEN,
                "expiresIn": 3600,
                "welcome": format!("logged in with password {password}"),
            }),
        ),
        "User/Current" => json_response(
            StatusCode::OK,
            &json!({
                "id": "0d30a7b5-6e01-40c8-9ec4-f056329017c7",
                "firstName": auth,
                "lastName": password,
                "email": "api-billing@hostile.example",
                "description": echo,
                "phoneNumber": null,
                "twoFactorEnabled": false,
                "status": 1,
                "created": "2023-03-01T10:00:00Z",
                "lastUpdate": "2026-05-02T08:00:00Z",
                "company": {
                    "companyId": ESET_ROOT,
                    "name": format!("Echo GmbH {echo}"),
                    "type": 1005,
                },
                "country": {"countryCode": "DEU"},
                "timeZone": {"name": "W. Europe Standard Time", "code": "CET", "timeShift": "+01:00"},
                "echoedSecrets": {"authorization": auth, "password": password, "refreshToken": ESET_REFRESH_TOKEN},
            }),
        ),
        "Company/Children" if server.seen.get("Company/Children") == 1 => {
            let mut response = json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"code": 99, "subCode": 3, "message": echo, "password": password}),
            );
            if let Ok(value) = HeaderValue::from_str(&auth) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        "Company/Children" => json_response(
            StatusCode::OK,
            &json!({
                "companies": [{
                    "publicId": ESET_CHILD,
                    "name": format!("Customer {echo}"),
                    "type": 1007,
                    "email": password,
                    "status": 1,
                }],
                "paging": {"totalCount": 1},
            }),
        ),
        _ if call == "UsageReport" => json_response(
            StatusCode::BAD_REQUEST,
            &json!({
                "code": 1,
                "subCode": 1,
                "message": echo,
                "take": [format!("The input was not valid for {password}")],
            }),
        ),
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"code": 99, "subCode": 1, "message": echo}),
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn eset_secrets_echoed_back_never_leak() {
    let server = Arc::new(EsetServer::default());
    let app = Router::new()
        .fallback(eset_handler)
        .with_state(Arc::clone(&server));
    let (addr, task) = serve(app).await;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("recording");
    let vars = vec![
        ("ESET_MSP_API_URL".to_owned(), format!("http://{addr}/api")),
        (
            "ESET_MSP_USERNAME".to_owned(),
            "api@hostile.example".to_owned(),
        ),
        ("ESET_MSP_PASSWORD".to_owned(), ESET_PASSWORD.to_owned()),
        ("MSP_USAGE_MAX_ATTEMPTS".to_owned(), "2".to_owned()),
        ("MSP_USAGE_TIMEOUT_SECS".to_owned(), "10".to_owned()),
    ];
    let run = collect(home.path(), "eset", &dir, vars).await;
    task.abort();

    // The server was asked everything it echoes into.
    assert_eq!(*server.password.lock().unwrap(), ESET_PASSWORD);
    for call in [
        "Token/Get",
        "User/Current",
        "Company/Children",
        "UsageReport",
    ] {
        assert!(
            server.seen.get(call) >= 1,
            "{call} was never called; stderr:\n{}",
            run.stderr
        );
    }
    assert_eq!(
        server.seen.get("Company/Children"),
        2,
        "one 500, then one list"
    );

    let json_escaped_password = serde_json::to_string(ESET_PASSWORD).unwrap();
    let json_escaped_password = json_escaped_password.trim_matches('"');
    assert_no_secret(
        &run,
        &dir,
        &[
            ("the ESET access token", ESET_ACCESS_TOKEN),
            ("the ESET refresh token", ESET_REFRESH_TOKEN),
            ("the ESET password", ESET_PASSWORD),
            ("the ESET password, JSON-escaped", json_escaped_password),
            ("a part of the ESET password", ESET_PASSWORD_TAIL),
        ],
    );
    // Every echoing answer was recorded, with the echo replaced.
    for call in [
        "Token_Get",
        "User_Current",
        "Company_Children",
        "UsageReport",
    ] {
        assert_redacted_in(&dir, call);
    }
}

/// How the hostile ESET login answers: each time with the password it was sent echoed back,
/// next to a refresh token the client never gets to install.
#[derive(Debug, Clone, Copy)]
enum LoginAnswer {
    /// HTTP 401, a JSON error body echoing the password.
    Refused,
    /// HTTP 200, JSON that is not a token answer (`accessToken` a number).
    Malformed,
    /// HTTP 200, an HTML page.
    Html,
}

/// ESET's Token/Get, answering badly with the password echoed: a token call's answer is
/// handed back unscrubbed (it holds the new tokens), so its error path must never quote it.
async fn eset_login_handler(
    State((answer, seen)): State<(LoginAnswer, Arc<Seen>)>,
    uri: Uri,
    body: Bytes,
) -> Response {
    if !seen.count(uri.path()) {
        return StatusCode::GONE.into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let password = request["password"].as_str().unwrap_or("(none)").to_owned();
    match answer {
        LoginAnswer::Refused => json_response(
            StatusCode::UNAUTHORIZED,
            &json!({
                "code": 3,
                "subCode": 1,
                "message": format!("Invalid password {password}"),
                "Message": format!("password={password}"),
                "refreshToken": ESET_REFRESH_TOKEN,
            }),
        ),
        LoginAnswer::Malformed => json_response(
            StatusCode::OK,
            &json!({
                "accessToken": 42,
                "refreshToken": ESET_REFRESH_TOKEN,
                "message": format!("password {password}"),
            }),
        ),
        LoginAnswer::Html => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html")],
            format!("<html><body>password={password} refresh={ESET_REFRESH_TOKEN}</body></html>"),
        )
            .into_response(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn eset_password_echoed_by_a_failed_login_never_leaks() {
    for answer in [
        LoginAnswer::Refused,
        LoginAnswer::Malformed,
        LoginAnswer::Html,
    ] {
        let seen = Arc::new(Seen::default());
        let app = Router::new()
            .fallback(eset_login_handler)
            .with_state((answer, Arc::clone(&seen)));
        let (addr, task) = serve(app).await;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("recording");
        let vars = vec![
            ("ESET_MSP_API_URL".to_owned(), format!("http://{addr}/api")),
            (
                "ESET_MSP_USERNAME".to_owned(),
                "api@hostile.example".to_owned(),
            ),
            ("ESET_MSP_PASSWORD".to_owned(), ESET_PASSWORD.to_owned()),
            ("MSP_USAGE_MAX_ATTEMPTS".to_owned(), "2".to_owned()),
            ("MSP_USAGE_TIMEOUT_SECS".to_owned(), "10".to_owned()),
        ];
        let run = collect(home.path(), "eset", &dir, vars).await;
        task.abort();

        assert!(seen.get("/api/Token/Get") >= 1, "{answer:?}: no login");
        if !matches!(answer, LoginAnswer::Html) {
            // The password echo was recorded, replaced (an HTML page is not recorded at all:
            // it might hold a token in some other form).
            assert_redacted_in(&dir, "Token_Get");
        }
        assert_eq!(run.code, 1, "{answer:?}: stderr:\n{}", run.stderr);
        let json_escaped_password = serde_json::to_string(ESET_PASSWORD).unwrap();
        assert_no_secret(
            &run,
            &dir,
            &[
                ("the ESET refresh token", ESET_REFRESH_TOKEN),
                ("the ESET password", ESET_PASSWORD),
                (
                    "the ESET password, JSON-escaped",
                    json_escaped_password.trim_matches('"'),
                ),
                ("a part of the ESET password", ESET_PASSWORD_TAIL),
            ],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// GravityZone

/// GravityZone's JSON-RPC, echoing the `Authorization` header and the API key (decoded from
/// it) everywhere: the own company's details carry them in its name; listing its children
/// fails with HTTP 500 and a JSON-RPC error that echoes them in `message` and `data.details`;
/// monthly usage answers error -32602 echoing them.
async fn gz_handler(
    State(seen): State<Arc<Seen>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let service = uri
        .path()
        .trim_start_matches("/api/v1.0/jsonrpc/")
        .to_owned();
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or("(none)").to_owned();
    let call = format!("{service}.{method}");
    if !seen.count(&call) {
        return StatusCode::GONE.into_response();
    }
    let auth = authorization(&headers);
    let key = auth
        .strip_prefix("Basic ")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|user_colon| user_colon.trim_end_matches(':').to_owned())
        .unwrap_or_default();
    let echo = format!("Authorization: {auth}; API key {key}");
    let error = |status: StatusCode, code: i64, message: String| {
        json_response(
            status,
            &json!({
                "id": id,
                "jsonrpc": "2.0",
                "error": {"code": code, "message": message, "data": {"details": echo, "key": key}},
            }),
        )
    };
    match call.as_str() {
        "companies.getCompanyDetails" => json_response(
            StatusCode::OK,
            &json!({
                "id": id,
                "jsonrpc": "2.0",
                "result": {
                    "type": 0,
                    "name": format!("Echo Partner {echo}"),
                    "id": GZ_ROOT,
                    "address": key,
                    "phone": auth,
                    "canBeManagedByAbove": false,
                    "enforce2FA": false,
                    "isSuspended": false,
                    "createdAt": "2023-11-14T09:14:11",
                    "country": "DE",
                    "echoedKey": {"key": key, "authorization": auth},
                },
            }),
        ),
        "network.getCompaniesList" => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            -32000,
            format!("Server error: {echo}"),
        ),
        "licensing.getMonthlyUsage" => error(
            StatusCode::OK,
            -32602,
            format!("Invalid params: the key {key} may not read this company"),
        ),
        _ => error(
            StatusCode::OK,
            -32601,
            format!("Method not found for {echo}"),
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gravityzone_secrets_echoed_back_never_leak() {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .fallback(gz_handler)
        .with_state(Arc::clone(&seen));
    let (addr, task) = serve(app).await;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("recording");
    let vars = vec![
        (
            "GRAVITYZONE_API_URL".to_owned(),
            format!("http://{addr}/api"),
        ),
        ("GRAVITYZONE_API_KEY".to_owned(), GZ_API_KEY.to_owned()),
        ("MSP_USAGE_MAX_ATTEMPTS".to_owned(), "2".to_owned()),
        ("MSP_USAGE_TIMEOUT_SECS".to_owned(), "10".to_owned()),
    ];
    let run = collect(home.path(), "bitdefender", &dir, vars).await;
    task.abort();

    for call in [
        "companies.getCompanyDetails",
        "network.getCompaniesList",
        "licensing.getMonthlyUsage",
    ] {
        assert!(
            seen.get(call) >= 1,
            "{call} was never called; stderr:\n{}",
            run.stderr
        );
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{GZ_API_KEY}:"));
    assert_no_secret(
        &run,
        &dir,
        &[
            ("the GravityZone API key", GZ_API_KEY),
            ("the API key as HTTP Basic credentials", &basic),
        ],
    );
    for call in [
        "companies.getCompanyDetails",
        "network.getCompaniesList",
        "licensing.getMonthlyUsage",
    ] {
        assert_redacted_in(&dir, call);
    }
}

// ---------------------------------------------------------------------------------------------
// shared

/// `collect --vendor VENDOR --month 2026-10 --format json --record DIR -vvv` with only `vars`.
async fn collect(home: &Path, vendor: &str, dir: &Path, vars: Vec<(String, String)>) -> Run {
    let home = home.to_path_buf();
    let dir = dir.to_str().unwrap().to_owned();
    let vendor = vendor.to_owned();
    tokio::task::spawn_blocking(move || {
        let args = [
            "collect", "--vendor", &vendor, "--month", MONTH, "--format", "json", "--record", &dir,
            "-vvv",
        ];
        run_bounded(&home, &args, &vars, RUN_LIMIT, |_| {})
    })
    .await
    .unwrap()
}

/// Every file below `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The run ended as a failure or a partial result (not success, not a panic), and none of
/// `secrets` is in its standard output, standard error or any recorded file.
fn assert_no_secret(run: &Run, dir: &Path, secrets: &[(&str, &str)]) {
    assert!(
        run.code == 1 || run.code == 3,
        "exit code {} (expected 1 or 3); stderr:\n{}",
        run.code,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "the binary panicked:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("DEBUG"),
        "-vvv wrote no debug log lines:\n{}",
        run.stderr
    );
    let recorded = files(dir);
    assert!(
        recorded.iter().any(|f| f.ends_with("index.json")),
        "no index.json in {recorded:?}"
    );
    for (what, secret) in secrets {
        assert!(
            !run.stdout.contains(secret),
            "{what} leaked to standard output:\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(secret),
            "{what} leaked to standard error:\n{}",
            run.stderr
        );
        for file in &recorded {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !contains(&bytes, secret),
                "{what} leaked to {}:\n{}",
                file.display(),
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// Some recorded body of `call` (its name as in file names) holds `[REDACTED]`: the echo
/// reached the client and was replaced.
fn assert_redacted_in(dir: &Path, call: &str) {
    let bodies: Vec<PathBuf> = files(dir)
        .into_iter()
        .filter(|f| f.file_name().unwrap().to_str().unwrap().contains(call))
        .collect();
    assert!(!bodies.is_empty(), "no recorded body of {call}");
    assert!(
        bodies
            .iter()
            .any(|f| contains(&std::fs::read(f).unwrap(), "[REDACTED]")),
        "no recorded body of {call} shows [REDACTED]: {bodies:?}"
    );
}
