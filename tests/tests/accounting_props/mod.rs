//! Shared by the accounting property test: the vendors' root ids, the output's lists, where a
//! company must end (`Expect`), and serving a hand-written vendor server.

pub(crate) mod eset;
pub(crate) mod gz;

use std::net::SocketAddr;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub(crate) const ESET_ROOT: &str = "00000000-0000-4000-8000-000000000000";
pub(crate) const GZ_ROOT: &str = "6572e499d2128b2f33890000";
pub(crate) const FAILURES: &str = "failures";
pub(crate) const LISTS: [&str; 4] = [
    "records",
    FAILURES,
    "without_monthly_license",
    "without_usage",
];

/// Where a company must end: its list (`None`: any one list), parent and role. A company that is
/// not `knowable` may be missing, but never in two lists.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    pub(crate) list: Option<&'static str>,
    pub(crate) parent: Option<String>,
    pub(crate) role: &'static str,
    pub(crate) knowable: bool,
}

impl Expect {
    pub(crate) fn new(
        list: Option<&'static str>,
        parent: Option<String>,
        role: &'static str,
        knowable: bool,
    ) -> Self {
        Expect {
            list,
            parent,
            role,
            knowable,
        }
    }
}

pub(crate) fn answer(body: &Value) -> Response {
    let content = [(header::CONTENT_TYPE, "application/json")];
    (StatusCode::OK, content, body.to_string()).into_response()
}

/// Serves `app` on a free loopback port for the rest of the runtime's life.
pub(crate) async fn serve<S: Clone + Send + Sync + 'static>(
    app: Router<S>,
    state: S,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app.with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

pub(crate) fn items<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc[key].as_array().unwrap()
}
