//! Helpers for the protocol tests: a plain reqwest client speaking to the sandbox the way an
//! outside client written from the vendor documentation would.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usage_sandbox::{Credentials, Sandbox, SandboxConfig};

/// A started sandbox and an HTTP client.
pub struct Harness {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

/// An answer: status, headers and body (raw and, when it parses, as JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap().to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            bytes,
            json,
        }
    }

    /// The ESET error body's (code, subCode).
    pub fn eset_code(&self) -> (i64, i64) {
        (
            self.json["code"].as_i64().unwrap_or(-1),
            self.json["subCode"].as_i64().unwrap_or(-1),
        )
    }

    /// The JSON-RPC error code.
    pub fn rpc_code(&self) -> Option<i64> {
        self.json["error"]["code"].as_i64()
    }

    /// The JSON-RPC error details.
    pub fn rpc_details(&self) -> &str {
        self.json["error"]["data"]["details"].as_str().unwrap_or("")
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }
}

impl Harness {
    pub async fn start(config: SandboxConfig) -> Self {
        let sandbox = Sandbox::start(config).await.unwrap();
        Self {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    pub async fn default() -> Self {
        Self::start(SandboxConfig::default()).await
    }

    // ---- ESET ------------------------------------------------------------------------------

    pub fn eset_url(&self, path: &str) -> String {
        format!("{}/{path}", self.sandbox.eset_base_url())
    }

    /// POST without authentication.
    pub async fn eset_post_anon(&self, path: &str, body: &Value) -> Answer {
        let response = self
            .http
            .post(self.eset_url(path))
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }

    /// Token/Get with the demo credentials: (accessToken, refreshToken).
    pub async fn eset_login(&self) -> (String, String) {
        let credentials = Credentials::demo();
        let answer = self
            .eset_post_anon(
                "Token/Get",
                &json!({"username": credentials.eset_username, "password": credentials.eset_password}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json);
        (
            answer.json["accessToken"].as_str().unwrap().to_string(),
            answer.json["refreshToken"].as_str().unwrap().to_string(),
        )
    }

    /// POST with a bearer token.
    pub async fn eset_post(&self, token: &str, path: &str, body: &Value) -> Answer {
        let response = self
            .http
            .post(self.eset_url(path))
            .bearer_auth(token)
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }

    /// GET with a bearer token.
    pub async fn eset_get(&self, token: &str, path: &str) -> Answer {
        let response = self
            .http
            .get(self.eset_url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }

    // ---- GravityZone ---------------------------------------------------------------------

    pub fn gz_url(&self, service: &str) -> String {
        format!(
            "{}/v1.0/jsonrpc/{service}",
            self.sandbox.gravityzone_base_url()
        )
    }

    /// A JSON-RPC call with the demo key.
    pub async fn gz(&self, service: &str, method: &str, params: Value) -> Answer {
        self.gz_with_key(Credentials::GRAVITYZONE_API_KEY, service, method, params)
            .await
    }

    pub async fn gz_with_key(
        &self,
        key: &str,
        service: &str,
        method: &str,
        params: Value,
    ) -> Answer {
        let body = json!({"id": "5087eab8-b74f-4a3e-85b3-4271e85890d4", "jsonrpc": "2.0", "method": method, "params": params});
        self.gz_raw(key, &self.gz_url(service), &body).await
    }

    pub async fn gz_raw(&self, key: &str, url: &str, body: &Value) -> Answer {
        let response = self
            .http
            .post(url)
            .header("Authorization", basic(key))
            .json(body)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }
}

/// `Basic base64("<key>:")`.
pub fn basic(key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:")))
}

/// The claims of a JWT-shaped token.
pub fn jwt_claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

/// The ESET body of a report over a period.
pub fn period(from: &str, to: &str, skip: u64, take: u64) -> Value {
    json!({"from": from, "to": to, "skip": skip, "take": take})
}
