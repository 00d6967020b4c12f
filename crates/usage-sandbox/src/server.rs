//! The HTTP server: one axum app on a loopback port serving both vendors, the request pipeline
//! (counting, latency, fault injection) and the [`Sandbox`] handle.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{FaultKind, SandboxConfig};
use crate::credentials::Credentials;
use crate::dataset::Dataset;
use crate::eset_api::{self, Endpoint};
use crate::faults::fault_for;
use crate::gz_api;
use crate::mix::rng_for;
use crate::names;
use crate::ratelimit::RateLimiter;
use crate::reply::Reply;
use crate::tokens::TokenService;

/// Path prefix of GravityZone's JSON-RPC services.
const GZ_PREFIX: &str = "/api/v1.0/jsonrpc/";
/// Path prefix of ESET's REST API.
const ESET_PREFIX: &str = "/api/";

/// Everything a request handler needs.
pub(crate) struct AppState {
    pub(crate) config: SandboxConfig,
    pub(crate) dataset: Arc<Dataset>,
    pub(crate) credentials: Credentials,
    pub(crate) tokens: TokenService,
    pub(crate) eset_user_id: String,
    pub(crate) limiter: RateLimiter,
    counts: Mutex<BTreeMap<String, u64>>,
    sequence: AtomicU64,
    stopping: watch::Receiver<bool>,
}

impl AppState {
    fn count(&self, endpoint: &str) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.entry(endpoint.to_string()).or_insert(0) += 1;
    }

    /// Sleeps until `deadline`; false if the sandbox started shutting down first.
    pub(crate) async fn sleep_until(&self, deadline: Instant) -> bool {
        let mut stopping = self.stopping.clone();
        if *stopping.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => true,
            _ = stopping.wait_for(|stop| *stop) => false,
        }
    }

    async fn sleep(&self, duration: Duration) -> bool {
        if duration.is_zero() {
            return true;
        }
        self.sleep_until(Instant::now() + duration).await
    }
}

/// Which vendor and endpoint a request is for.
enum Target<'a> {
    Eset(Option<(&'static str, Endpoint)>),
    GravityZone(Option<&'a str>),
    Elsewhere,
}

fn target(path: &str) -> Target<'_> {
    if let Some(rest) = path.strip_prefix(GZ_PREFIX) {
        Target::GravityZone(gz_api::service_of(rest))
    } else if let Some(rest) = path.strip_prefix(ESET_PREFIX) {
        Target::Eset(Endpoint::find(rest))
    } else {
        Target::Elsewhere
    }
}

/// The one handler: routes, counts, delays, injects faults, answers.
async fn dispatch(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = target(uri.path());
    let (counter, fault_eligible) = match &target {
        Target::Eset(Some((name, endpoint))) => (
            format!("eset:{name}"),
            state.config.fault_token_requests || !endpoint.is_token(),
        ),
        Target::Eset(None) => ("eset:unknown".to_string(), true),
        Target::GravityZone(Some(service)) => (
            format!("bitdefender:{}", gz_api::endpoint_name(service, &body)),
            true,
        ),
        Target::GravityZone(None) => ("bitdefender:unknown".to_string(), true),
        Target::Elsewhere => ("unknown".to_string(), false),
    };
    state.count(&counter);
    let fault = if fault_eligible {
        fault_for(
            &state.config,
            state.sequence.fetch_add(1, Ordering::Relaxed),
        )
    } else {
        None
    };
    if let Some(kind) = fault {
        state.count(&format!("fault:{kind}"));
    }
    if !state.sleep(state.config.latency).await {
        return shutting_down();
    }
    let is_gz = matches!(target, Target::GravityZone(_));
    let reply = match fault {
        Some(FaultKind::TooManyRequests) => {
            if is_gz {
                gz_api::too_many_requests(&gz_api::request_id(&body), 1)
            } else {
                eset_api::error(
                    StatusCode::TOO_MANY_REQUESTS,
                    eset_api::SUB_TOO_MANY,
                    "Too many requests.",
                )
                .with_retry_after(1)
            }
        }
        Some(FaultKind::ServerError) => {
            if is_gz {
                gz_api::rpc_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &gz_api::request_id(&body),
                    gz_api::SERVER_ERROR,
                    "An internal error occurred while processing the request.",
                )
            } else {
                eset_api::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    eset_api::SUB_INTERNAL,
                    "An internal server error occurred.",
                )
            }
        }
        Some(FaultKind::Maintenance) => {
            if is_gz {
                gz_api::rpc_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &gz_api::request_id(&body),
                    gz_api::SERVER_ERROR,
                    "Service temporarily unavailable. Please try again later.",
                )
            } else {
                eset_api::maintenance()
            }
        }
        _ => match target {
            Target::Eset(found) => {
                eset_api::handle(&state, &method, found.map(|(_, e)| e), &headers, &body)
            }
            Target::GravityZone(Some(service)) => {
                gz_api::handle(&state, &method, service, &headers, &body).await
            }
            Target::GravityZone(None) => gz_api::rpc_error(
                StatusCode::NOT_FOUND,
                &serde_json::Value::Null,
                gz_api::SERVER_ERROR,
                "Unknown path: use /api/v1.0/jsonrpc/{service}.",
            ),
            Target::Elsewhere => Reply::text(
                StatusCode::NOT_FOUND,
                "Not found: ESET is under /api, GravityZone under /api/v1.0/jsonrpc/{service}.",
            ),
        },
    };
    let reply = match fault {
        Some(FaultKind::TruncatedBody) => reply.truncated(),
        Some(FaultKind::SlowResponse) => {
            if !state.sleep(state.config.slow_response).await {
                return shutting_down();
            }
            reply
        }
        _ => reply,
    };
    tracing::debug!(
        endpoint = %counter,
        %method,
        status = reply.status.as_u16(),
        fault = ?fault,
        "sandbox answered"
    );
    reply.into_response()
}

fn shutting_down() -> Response {
    Reply::text(
        StatusCode::SERVICE_UNAVAILABLE,
        "The sandbox is shutting down.",
    )
    .into_response()
}

/// A running sandbox: both vendor APIs on one loopback port.
///
/// Dropping it stops the server too; [`Sandbox::shutdown`] also waits until it has stopped.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop_server: Option<oneshot::Sender<()>>,
    stop_handlers: watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("seed", &self.state.config.seed)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox on 127.0.0.1 with an ephemeral port. Must be called inside a tokio
    /// runtime; the server runs on it until [`shutdown`](Self::shutdown) or drop.
    ///
    /// # Errors
    /// When the port cannot be bound, or [`InvalidInput`](std::io::ErrorKind::InvalidInput)
    /// (wrapping a [`SizeError`](crate::SizeError)) when a dataset size is out of range.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Self::start_on(config, 0).await
    }

    /// Starts a sandbox on 127.0.0.1:`port` (0 picks a free port).
    ///
    /// # Errors
    /// When the port cannot be bound (for example, it is in use), or
    /// [`InvalidInput`](std::io::ErrorKind::InvalidInput) (wrapping a
    /// [`SizeError`](crate::SizeError)) when a dataset size is out of range.
    pub async fn start_on(config: SandboxConfig, port: u16) -> std::io::Result<Sandbox> {
        let dataset = Dataset::with_sizes(config.seed, config.eset_companies, config.gz_companies)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let dataset = Arc::new(dataset);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let eset_user_id = names::guid(&mut rng_for(&[config.seed, 0x5553_4552])); // "USER"
        let (stop_handlers, stopping) = watch::channel(false);
        let state = Arc::new(AppState {
            tokens: TokenService::new(
                config.seed,
                eset_user_id.clone(),
                config.eset_token_lifetime,
                config.eset_session_lifetime,
            ),
            eset_user_id,
            limiter: RateLimiter::gravityzone_licensing(),
            credentials: Credentials::demo(),
            dataset,
            counts: Mutex::new(BTreeMap::new()),
            sequence: AtomicU64::new(0),
            stopping,
            config,
        });
        let app = Router::new()
            .fallback(dispatch)
            .with_state(Arc::clone(&state));
        let (stop_server, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await
        });
        tracing::debug!(%addr, seed = state.config.seed, "sandbox listening");
        Ok(Sandbox {
            addr,
            state,
            stop_server: Some(stop_server),
            stop_handlers,
            task: Some(task),
        })
    }

    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// ESET's base URL, e.g. `http://127.0.0.1:PORT/api` (paths such as `/Token/Get` are appended).
    pub fn eset_base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// GravityZone's Access URL, e.g. `http://127.0.0.1:PORT/api`
    /// (`/v1.0/jsonrpc/{service}` is appended).
    pub fn gravityzone_base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The demo credentials the sandbox accepts.
    pub fn credentials(&self) -> Credentials {
        self.state.credentials.clone()
    }

    /// The five variables of the configuration contract, in its order: `ESET_MSP_API_URL`,
    /// `ESET_MSP_USERNAME`, `ESET_MSP_PASSWORD`, `GRAVITYZONE_API_URL`, `GRAVITYZONE_API_KEY`.
    pub fn env_exports(&self) -> Vec<(String, String)> {
        let credentials = self.credentials();
        vec![
            ("ESET_MSP_API_URL".to_string(), self.eset_base_url()),
            ("ESET_MSP_USERNAME".to_string(), credentials.eset_username),
            ("ESET_MSP_PASSWORD".to_string(), credentials.eset_password),
            (
                "GRAVITYZONE_API_URL".to_string(),
                self.gravityzone_base_url(),
            ),
            (
                "GRAVITYZONE_API_KEY".to_string(),
                credentials.gravityzone_api_key,
            ),
        ]
    }

    /// Requests received so far, per endpoint: `eset:<path>` (e.g.
    /// `eset:UsageReport/AllCompanies/categories`, `eset:unknown` for unknown routes) and
    /// `bitdefender:<service>.<method>` (e.g. `bitdefender:licensing.getMonthlyUsage`). Every
    /// request counts, answered or refused. Injected faults are counted too, as
    /// `fault:<kind>` (`fault:429`, `fault:500`, `fault:503`, `fault:truncated`, `fault:slow`).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.state
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Requests received so far for one endpoint name (see [`request_counts`](Self::request_counts)).
    pub fn request_count(&self, endpoint: &str) -> u64 {
        self.request_counts().get(endpoint).copied().unwrap_or(0)
    }

    /// Every ESET access and refresh token issued so far (Token/Get and Token/Renew), oldest
    /// first: for tests that check no token ever reaches a log or an output.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.tokens.issued()
    }

    /// The dataset being served.
    pub fn dataset(&self) -> &Dataset {
        &self.state.dataset
    }

    /// The settings the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.state.config
    }

    fn signal_stop(&mut self) {
        let _ = self.stop_handlers.send(true);
        if let Some(stop) = self.stop_server.take() {
            let _ = stop.send(());
        }
    }

    /// Stops accepting connections, cuts short any answer still being delayed (latency, slow
    /// faults, rate-limit queue) and waits until the server has stopped.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => tracing::debug!("sandbox stopped"),
                Ok(Err(error)) => tracing::warn!(%error, "sandbox server ended with an error"),
                Err(error) => tracing::warn!(%error, "sandbox server task failed"),
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn the_handle_can_cross_threads() {
        send_sync::<Sandbox>();
        send_sync::<Dataset>();
        send_sync::<SandboxConfig>();
    }

    #[test]
    fn paths_pick_the_vendor() {
        assert!(matches!(
            target("/api/v1.0/jsonrpc/licensing"),
            Target::GravityZone(Some("licensing"))
        ));
        assert!(matches!(
            target("/api/v1.0/jsonrpc/"),
            Target::GravityZone(None)
        ));
        assert!(matches!(
            target("/api/Token/Get"),
            Target::Eset(Some(("Token/Get", _)))
        ));
        assert!(matches!(
            target("/api/v1.1/jsonrpc/network"),
            Target::Eset(None)
        ));
        assert!(matches!(target("/health"), Target::Elsewhere));
    }
}
