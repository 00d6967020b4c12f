//! A finished answer (status, headers, body bytes), built before it becomes an HTTP response so
//! fault injection can cut it or hold it back.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

/// One answer.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                )],
                body,
            },
            Err(error) => Self::text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("sandbox could not encode its answer: {error}"),
            ),
        }
    }

    /// A plain-text answer.
    pub(crate) fn text(status: StatusCode, text: &str) -> Self {
        Self {
            status,
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            body: text.as_bytes().to_vec(),
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Adds `Retry-After: <secs>`.
    pub(crate) fn with_retry_after(self, secs: u64) -> Self {
        self.with_header(header::RETRY_AFTER, HeaderValue::from(secs))
    }

    /// The same answer with only the first half of its body (never empty if the body was not).
    pub(crate) fn truncated(mut self) -> Self {
        let keep = self
            .body
            .len()
            .div_ceil(2)
            .min(self.body.len().saturating_sub(1));
        self.body.truncate(keep.max(1).min(self.body.len()));
        self
    }

    /// The HTTP response (with a `Content-Length` matching the body).
    pub(crate) fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_breaks_json() {
        let reply = Reply::json(StatusCode::OK, &serde_json::json!({"a": [1, 2, 3]})).truncated();
        assert!(!reply.body.is_empty());
        assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
        let tiny = Reply::json(StatusCode::OK, &true).truncated();
        assert!(serde_json::from_slice::<serde_json::Value>(&tiny.body).is_err());
    }
}
