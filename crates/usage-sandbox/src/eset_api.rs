//! The ESET MSP Administrator 2 REST emulation, under `/api`.
//!
//! Error bodies are `{"code": 99, "subCode": n, "message": "..."}`; ESET documents 99/1 (unknown
//! route, 403) and 99/2 (maintenance, 503); the other sub-codes are the sandbox's: 3 unauthorized
//! (401), 4 bad request (400), 5 internal error (500), 6 too many requests (429), 7 method not
//! allowed (405).
//!
//! This module routes, checks tokens and parses requests; the company listings are in
//! `eset_companies`, the usage reports in `eset_report`.

use std::collections::BTreeSet;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::drift;
use crate::reply::Reply;
use crate::server::AppState;
use crate::tokens::{AuthError, Claims};

pub(crate) use crate::eset_error_codes::{
    BAD_REQUEST as SUB_BAD_REQUEST, INTERNAL as SUB_INTERNAL, MAINTENANCE as SUB_MAINTENANCE,
    METHOD_NOT_ALLOWED as SUB_METHOD, NOT_FOUND as SUB_NOT_FOUND,
    TOO_MANY_REQUESTS as SUB_TOO_MANY, UNAUTHORIZED as SUB_UNAUTHORIZED,
};

/// The longest date range a report accepts, in days (about ten years).
const MAX_RANGE_DAYS: i64 = 3660;

/// Which companies a usage report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    AllCompanies,
    SelectedCompanies,
    Monthly,
    Daily,
}

/// Categories or products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Categories,
    Products,
}

/// One ESET endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    TokenGet,
    TokenRenew,
    TokenCheck,
    UserCurrent,
    CompanyChildren,
    CompanyDescendants,
    Report(Scope, Kind),
}

/// Every endpoint with its canonical path (after `/api/`) and HTTP method.
const ENDPOINTS: [(&str, Endpoint); 14] = [
    ("Token/Get", Endpoint::TokenGet),
    ("Token/Renew", Endpoint::TokenRenew),
    ("Token/Check", Endpoint::TokenCheck),
    ("User/Current", Endpoint::UserCurrent),
    ("Company/Children", Endpoint::CompanyChildren),
    ("Company/Descendants", Endpoint::CompanyDescendants),
    (
        "UsageReport/AllCompanies/categories",
        Endpoint::Report(Scope::AllCompanies, Kind::Categories),
    ),
    (
        "UsageReport/AllCompanies/products",
        Endpoint::Report(Scope::AllCompanies, Kind::Products),
    ),
    (
        "UsageReport/SelectedCompanies/categories",
        Endpoint::Report(Scope::SelectedCompanies, Kind::Categories),
    ),
    (
        "UsageReport/SelectedCompanies/products",
        Endpoint::Report(Scope::SelectedCompanies, Kind::Products),
    ),
    (
        "UsageReport/Monthly/categories",
        Endpoint::Report(Scope::Monthly, Kind::Categories),
    ),
    (
        "UsageReport/Monthly/products",
        Endpoint::Report(Scope::Monthly, Kind::Products),
    ),
    (
        "UsageReport/Daily/categories",
        Endpoint::Report(Scope::Daily, Kind::Categories),
    ),
    (
        "UsageReport/Daily/products",
        Endpoint::Report(Scope::Daily, Kind::Products),
    ),
];

impl Endpoint {
    /// The endpoint of a path below `/api/` (case-insensitive, a trailing slash allowed) and its
    /// canonical name.
    pub(crate) fn find(path: &str) -> Option<(&'static str, Endpoint)> {
        let path = path.trim_end_matches('/');
        ENDPOINTS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(path))
            .copied()
    }

    fn method(self) -> Method {
        if self == Endpoint::UserCurrent {
            Method::GET
        } else {
            Method::POST
        }
    }

    /// Whether fault injection leaves this endpoint alone unless told otherwise.
    pub(crate) fn is_token(self) -> bool {
        matches!(
            self,
            Endpoint::TokenGet | Endpoint::TokenRenew | Endpoint::TokenCheck
        )
    }
}

/// An error body.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: i64,
    #[serde(rename = "subCode")]
    sub_code: i64,
    message: &'a str,
}

/// An ESET error answer.
pub(crate) fn error(status: StatusCode, sub_code: i64, message: &str) -> Reply {
    Reply::json(
        status,
        &ErrorBody {
            code: 99,
            sub_code,
            message,
        },
    )
}

/// The maintenance answer.
pub(crate) fn maintenance() -> Reply {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        SUB_MAINTENANCE,
        "ESET MSP Administrator API is being updated. Please try again later.",
    )
}

pub(crate) fn bad_request(message: &str) -> Reply {
    error(StatusCode::BAD_REQUEST, SUB_BAD_REQUEST, message)
}

fn unauthorized(reason: AuthError) -> Reply {
    error(StatusCode::UNAUTHORIZED, SUB_UNAUTHORIZED, reason.message())
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
}

/// Answers one ESET request. `endpoint` is `None` for an unknown route.
pub(crate) fn handle(
    state: &AppState,
    method: &Method,
    endpoint: Option<Endpoint>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if state.config.eset_maintenance {
        return maintenance();
    }
    let Some(endpoint) = endpoint else {
        return error(StatusCode::FORBIDDEN, SUB_NOT_FOUND, "Page not found.");
    };
    if *method != endpoint.method() {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            SUB_METHOD,
            &format!(
                "Method {method} is not allowed here: use {}.",
                endpoint.method()
            ),
        )
        .with_header(
            header::ALLOW,
            HeaderValue::from_static(if endpoint == Endpoint::UserCurrent {
                "GET"
            } else {
                "POST"
            }),
        );
    }
    match endpoint {
        Endpoint::TokenGet => token_get(state, body),
        Endpoint::TokenCheck => token_check(state, body),
        _ => {
            let claims = match bearer(headers).and_then(|token| state.tokens.validate(token)) {
                Ok(claims) => claims,
                Err(reason) => return unauthorized(reason),
            };
            match endpoint {
                Endpoint::TokenRenew => token_renew(state, &claims, body),
                Endpoint::UserCurrent => user_current(state),
                Endpoint::CompanyChildren => {
                    crate::eset_companies::company_list(state, body, false)
                }
                Endpoint::CompanyDescendants => {
                    crate::eset_companies::company_list(state, body, true)
                }
                Endpoint::Report(scope, kind) => {
                    crate::eset_report::report(state, scope, kind, body)
                }
                Endpoint::TokenGet | Endpoint::TokenCheck => {
                    error(StatusCode::FORBIDDEN, SUB_NOT_FOUND, "Page not found.")
                }
            }
        }
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token.trim())
}

// ---- request parsing -------------------------------------------------------------------------

pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("The request body must be a JSON object.")),
        Err(e) => Err(bad_request(&format!(
            "The request body is not valid JSON: {e}."
        ))),
    }
}

pub(crate) fn string<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, Reply> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::Null) | None => Err(bad_request(&format!("The {key} field is required."))),
        Some(_) => Err(bad_request(&format!(
            "The {key} field must be a non-empty string."
        ))),
    }
}

pub(crate) fn paging(map: &Map<String, Value>) -> Result<(usize, usize), Reply> {
    let skip = match map.get("skip") {
        None | Some(Value::Null) => 0,
        Some(value) => value
            .as_u64()
            .ok_or_else(|| bad_request("skip must be a whole number, 0 or more."))?,
    };
    let take = map
        .get("take")
        .and_then(Value::as_u64)
        .filter(|take| (1..=100).contains(take))
        .ok_or_else(|| bad_request("take must be a whole number from 1 to 100."))?;
    Ok((
        usize::try_from(skip).unwrap_or(usize::MAX),
        usize::try_from(take).unwrap_or(100),
    ))
}

fn date(map: &Map<String, Value>, key: &str) -> Result<NaiveDate, Reply> {
    let text = string(map, key)?;
    // YYYY-MM-DD, or a date-time whose date part is that.
    let day = match text.split_once('T') {
        Some((day, _)) => day,
        None => text,
    };
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .filter(|_| day.len() == 10)
        .ok_or_else(|| {
            bad_request(&format!(
                "The {key} field '{text}' is not a valid date (YYYY-MM-DD)."
            ))
        })
}

pub(crate) fn period(map: &Map<String, Value>) -> Result<(NaiveDate, NaiveDate), Reply> {
    let from = date(map, "from")?;
    let to = date(map, "to")?;
    if from > to {
        return Err(bad_request(&format!(
            "from ({from}) must not be after to ({to})."
        )));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(bad_request(&format!(
            "The range from {from} to {to} is too long: at most {MAX_RANGE_DAYS} days."
        )));
    }
    Ok((from, to))
}

/// An optional list of codes (strings or numbers, as JSON).
pub(crate) fn codes(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<BTreeSet<String>>, Reply> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.trim().to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad_request(&format!("{key} must be a list of strings."))),
            })
            .collect::<Result<BTreeSet<String>, Reply>>()
            .map(Some),
        Some(_) => Err(bad_request(&format!("{key} must be a list of strings."))),
    }
}

// ---- tokens and user ---------------------------------------------------------------------

fn token_get(state: &AppState, body: &[u8]) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    let (username, password) = match (string(&map, "username"), string(&map, "password")) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    if !username.eq_ignore_ascii_case(&state.credentials.eset_username)
        || password != state.credentials.eset_password
    {
        return unauthorized(AuthError::BadCredentials);
    }
    Reply::json(StatusCode::OK, &state.tokens.login())
}

fn token_renew(state: &AppState, claims: &Claims, body: &[u8]) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    let refresh_token = match string(&map, "refreshToken") {
        Ok(token) => token,
        Err(reply) => return reply,
    };
    match state.tokens.renew(claims, refresh_token) {
        Ok(pair) => Reply::json(StatusCode::OK, &pair),
        Err(reason) => unauthorized(reason),
    }
}

fn token_check(state: &AppState, body: &[u8]) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    match string(&map, "accessToken") {
        Ok(token) => Reply::json(StatusCode::OK, &state.tokens.check(token)),
        Err(reply) => reply,
    }
}

fn user_current(state: &AppState) -> Reply {
    let root = state.dataset.eset_root();
    let mut body = serde_json::json!({
        "id": state.eset_user_id,
        "firstName": "Zoë",
        "lastName": "Nováková",
        "email": state.credentials.eset_username,
        "description": null,
        "phoneNumber": null,
        "twoFactorEnabled": false,
        "status": 1,
        "created": "2021-03-01T10:00:00Z",
        "lastUpdate": "2024-05-02T08:00:00Z",
        "company": {
            "companyId": root.id,
            "name": root.name,
            "type": root.entity_type,
        },
        "country": { "countryCode": "AUT" },
        "timeZone": {
            "name": "Central Europe Standard Time",
            "code": "CET",
            "timeShift": "+01:00",
        },
    });
    if state.config.drift
        && let Some(map) = body.as_object_mut()
    {
        map.insert(
            drift::ESET_USER_FIELD.to_string(),
            Value::from(drift::ESET_USER_VALUE),
        );
    }
    Reply::json(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_case_insensitive_and_allow_a_trailing_slash() {
        assert_eq!(
            Endpoint::find("usagereport/monthly/CATEGORIES/"),
            Some((
                "UsageReport/Monthly/categories",
                Endpoint::Report(Scope::Monthly, Kind::Categories)
            ))
        );
        assert_eq!(Endpoint::find("UsageReport/Yearly/categories"), None);
        assert!(Endpoint::TokenGet.is_token());
    }
}
