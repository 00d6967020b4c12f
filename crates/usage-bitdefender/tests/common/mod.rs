//! Shared helpers of the integration tests: loopback servers, fixtures, a paused-clock ticker and
//! a tracing subscriber that records what the client logs.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use usage_bitdefender::TransportSettings as _;
use usage_bitdefender::{GravityZoneClient, GravityZoneClientBuilder};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// The API key of every test client.
pub(crate) const KEY: &str = "gz-test-key-7c1f0e9a4b2d";
/// `Basic base64("<KEY>:")`, computed independently.
pub(crate) const BASIC: &str = "Basic Z3otdGVzdC1rZXktN2MxZjBlOWE0YjJkOg==";
/// The base64 part of [`BASIC`].
pub(crate) const KEY_BASE64: &str = "Z3otdGVzdC1rZXktN2MxZjBlOWE0YjJkOg==";

/// A whole JSON-RPC response body from `tests/fixtures/bitdefender/`.
pub(crate) fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/bitdefender/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// The Access URL of a mock server.
pub(crate) fn access_url(server: &MockServer) -> String {
    format!("{}/api", server.uri())
}

/// A builder pointed at `base` with a very long timeout: the paused test clock races ahead while
/// a request is on the wire, so a realistic timeout would fire before the loopback answer came.
pub(crate) fn builder_for(base: &str) -> GravityZoneClientBuilder {
    GravityZoneClient::builder(SecretString::from(KEY))
        .base_url(base)
        .timeout(Duration::from_secs(24 * 3600))
}

/// A client of `server` (see [`builder_for`]).
pub(crate) fn client(server: &MockServer) -> GravityZoneClient {
    builder_for(&access_url(server)).build().unwrap()
}

/// A canned JSON-RPC answer that, like a real server's, carries the id of the request it
/// answers: when served, the `id` member of a body that is a JSON object with one is replaced by
/// the request's id, byte for byte in place (whitespace, key order and the rest of the body are
/// kept). Any other body (HTML, cut off, garbage, no `id`) is served unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Rpc {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
    delay: Option<Duration>,
}

impl Rpc {
    /// An answer with HTTP `status` and `body` (served as `application/json`).
    pub(crate) fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: None,
        }
    }

    /// Adds a response header.
    pub(crate) fn insert_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Delays the response.
    pub(crate) fn set_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The body served to `request`: the stored one with the request's id.
    pub(crate) fn body_for(&self, request: &Request) -> String {
        match request_id(&request.body) {
            Some(id) => echo_id(&self.body, id),
            None => self.body.clone(),
        }
    }

    /// The response to `request` (for `impl Respond` blocks that pick an answer).
    pub(crate) fn answer(&self, request: &Request) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status)
            .set_body_raw(self.body_for(request), "application/json");
        for (name, value) in &self.headers {
            template = template.insert_header(name.as_str(), value.as_str());
        }
        if let Some(delay) = self.delay {
            template = template.set_delay(delay);
        }
        template
    }
}

impl Respond for Rpc {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.answer(request)
    }
}

/// `body` with the value of its top-level `id` member replaced by `id`, everything else kept
/// byte for byte; `body` itself when it is not a JSON object with an `id`.
pub(crate) fn echo_id(body: &str, id: u64) -> String {
    match id_span(body) {
        Some(span) => format!("{}{id}{}", &body[..span.start], &body[span.end..]),
        None => body.to_string(),
    }
}

/// Where the value of the top-level `id` member of `text` is, if `text` is a JSON object with
/// one.
fn id_span(text: &str) -> Option<std::ops::Range<usize>> {
    serde_json::from_str::<Value>(text)
        .ok()?
        .as_object()?
        .get("id")?;
    // `text` is valid JSON: scan it for the `"id"` key at depth 1, skipping strings.
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut last_string = 0..0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                last_string = start..i + 1;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b':' if depth == 1 && &text[last_string.clone()] == "\"id\"" => {
                let rest = &text[i + 1..];
                let start = text.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
                let mut values =
                    serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
                values.next()?.ok()?;
                return Some(start..start + values.byte_offset());
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A 200 answer carrying `body` as JSON (its `id`, if any, echoes the request's: see [`Rpc`]).
pub(crate) fn json_body(body: impl Into<String>) -> Rpc {
    Rpc::new(200, body)
}

/// A 200 JSON-RPC success with `result`.
pub(crate) fn rpc_result(result: Value) -> Rpc {
    json_body(json!({"id": 1, "jsonrpc": "2.0", "result": result}).to_string())
}

/// A JSON-RPC error body (with HTTP `status`).
pub(crate) fn rpc_error(status: u16, code: i64, message: &str, details: &str) -> Rpc {
    let body = json!({
        "id": 1,
        "jsonrpc": "2.0",
        "error": {"code": code, "message": message, "data": {"details": details}}
    });
    Rpc::new(status, body.to_string())
}

/// Keeps a 1 ms timer pending while alive.
///
/// Under `start_paused = true` tokio advances the clock to the next timer whenever the runtime is
/// idle, also while a request is waiting for the loopback server. Without this, the only pending
/// timer during a request would be its timeout (the clock would jump there and the request would
/// time out); with it, the clock moves in steps of at most 1 ms while waiting for I/O, and rate
/// limiter and backoff timers still fire exactly at their deadlines.
pub(crate) struct Ticker(tokio::task::JoinHandle<()>);

impl Ticker {
    /// Starts ticking on the current runtime.
    pub(crate) fn start() -> Self {
        Self(tokio::spawn(async {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }))
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One event or span the client logged.
#[derive(Debug, Clone)]
pub(crate) struct Logged {
    /// `tokio::time::Instant::now()` when it was logged (the paused clock in paused tests).
    pub(crate) at: Instant,
    /// The level.
    pub(crate) level: tracing::Level,
    /// The target (module path).
    pub(crate) target: String,
    /// All fields, `message` included, formatted.
    pub(crate) fields: BTreeMap<String, String>,
}

impl Logged {
    /// A field.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// Everything that was logged, on one line.
    pub(crate) fn text(&self) -> String {
        format!("{} {} {:?}", self.level, self.target, self.fields)
    }
}

/// A tracing subscriber recording every event and span at every level.
#[derive(Clone, Default)]
pub(crate) struct LogCapture {
    logged: Arc<Mutex<Vec<Logged>>>,
    next_span: Arc<AtomicU64>,
}

impl LogCapture {
    /// Records on this thread until the guard is dropped (`#[tokio::test]` runs every task of
    /// the test on its thread).
    ///
    /// One global subscriber routes each event to the capture of the thread it happens on.
    /// (Per-thread `set_default` subscribers race in tracing's callsite-interest cache when other
    /// test threads install and drop theirs, which silently loses events under load.)
    pub(crate) fn install(&self) -> CaptureGuard {
        static ROUTER: std::sync::Once = std::sync::Once::new();
        ROUTER.call_once(|| {
            let _ = tracing::subscriber::set_global_default(Router);
        });
        CURRENT.with(|current| *current.borrow_mut() = Some(self.clone()));
        CaptureGuard(())
    }

    /// What was recorded so far.
    pub(crate) fn logged(&self) -> Vec<Logged> {
        self.logged.lock().unwrap().clone()
    }

    /// The `sending GravityZone request` events of `method` (e.g. `licensing.getMonthlyUsage`).
    pub(crate) fn sends(&self, method: &str) -> Vec<Logged> {
        self.logged()
            .into_iter()
            .filter(|l| {
                l.field("message") == Some("sending GravityZone request")
                    && l.field("method") == Some(method)
            })
            .collect()
    }

    /// The `GravityZone answered` events of `method`: when each answer had been read.
    pub(crate) fn answers(&self, method: &str) -> Vec<Logged> {
        self.logged()
            .into_iter()
            .filter(|l| {
                l.field("message") == Some("GravityZone answered")
                    && l.field("method") == Some(method)
            })
            .collect()
    }

    /// How long the client waited between reading each answer and sending the next request of
    /// `method` (the paused clock also moves while a request is on the wire, so the gaps between
    /// sends include that).
    pub(crate) fn waits(&self, method: &str) -> Vec<Duration> {
        let sends = self.sends(method);
        let answers = self.answers(method);
        answers
            .iter()
            .zip(sends.iter().skip(1))
            .map(|(answer, next)| next.at - answer.at)
            .collect()
    }

    /// When the request with JSON-RPC id `id` was sent.
    pub(crate) fn sent_at(&self, id: u64) -> Option<Instant> {
        let id = id.to_string();
        self.logged.lock().unwrap().iter().find_map(|l| {
            (l.field("message") == Some("sending GravityZone request")
                && l.field("id") == Some(id.as_str()))
            .then_some(l.at)
        })
    }

    fn push(&self, metadata: &Metadata<'_>, fields: BTreeMap<String, String>) {
        self.logged.lock().unwrap().push(Logged {
            at: Instant::now(),
            level: *metadata.level(),
            target: metadata.target().to_string(),
            fields,
        });
    }
}

thread_local! {
    static CURRENT: std::cell::RefCell<Option<LogCapture>> = const { std::cell::RefCell::new(None) };
}

/// Stops this thread's capture when dropped.
pub(crate) struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

fn with_capture<T>(f: impl FnOnce(&LogCapture) -> T) -> Option<T> {
    CURRENT.with(|current| current.borrow().as_ref().map(f))
}

/// The global subscriber: always interested, forwards to the current thread's capture.
struct Router;

impl Subscriber for Router {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        with_capture(|c| c.new_span(span)).unwrap_or_else(|| Id::from_u64(u64::MAX))
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        with_capture(|c| c.record(id, values));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        with_capture(|c| c.event(event));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for LogCapture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::default();
        span.record(&mut fields);
        self.push(span.metadata(), fields.0);
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        self.logged.lock().unwrap().push(Logged {
            at: Instant::now(),
            level: tracing::Level::TRACE,
            target: "span-record".to_string(),
            fields: fields.0,
        });
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.push(event.metadata(), fields.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// The JSON-RPC id of a request body.
pub(crate) fn request_id(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get("id")?
        .as_u64()
}

/// Whether a `getCompaniesList` request asks for partner companies only
/// (`filters.companyType` 0), as the tree walk does beside the full listing.
pub(crate) fn partners_only(body: &[u8]) -> bool {
    request_params(body)["filters"]["companyType"] == json!(0)
}

/// The JSON-RPC method of a request body.
pub(crate) fn request_method(body: &[u8]) -> Option<String> {
    Some(
        serde_json::from_slice::<Value>(body)
            .ok()?
            .get("method")?
            .as_str()?
            .to_string(),
    )
}

/// The params of a request body.
pub(crate) fn request_params(body: &[u8]) -> Value {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("params").cloned())
        .unwrap_or(Value::Null)
}
