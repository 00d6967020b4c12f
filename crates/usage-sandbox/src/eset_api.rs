//! The ESET MSP Administrator 2 REST emulation, under `/api`.
//!
//! Error bodies are `{"code": 99, "subCode": n, "message": "..."}`; ESET documents 99/1 (unknown
//! route, 403) and 99/2 (maintenance, 503); the other sub-codes are the sandbox's: 3 unauthorized
//! (401), 4 bad request (400), 5 internal error (500), 6 too many requests (429), 7 method not
//! allowed (405).

use std::collections::BTreeSet;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::dataset::{Dataset, EsetCompany};
use crate::drift;
use crate::eset_data::{Day, ESET_CATEGORIES, ESET_PRODUCTS, License};
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

fn bad_request(message: &str) -> Reply {
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
                Endpoint::CompanyChildren => company_list(state, body, false),
                Endpoint::CompanyDescendants => company_list(state, body, true),
                Endpoint::Report(scope, kind) => report(state, scope, kind, body),
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

fn object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("The request body must be a JSON object.")),
        Err(e) => Err(bad_request(&format!(
            "The request body is not valid JSON: {e}."
        ))),
    }
}

fn string<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, Reply> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::Null) | None => Err(bad_request(&format!("The {key} field is required."))),
        Some(_) => Err(bad_request(&format!(
            "The {key} field must be a non-empty string."
        ))),
    }
}

fn paging(map: &Map<String, Value>) -> Result<(usize, usize), Reply> {
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

fn period(map: &Map<String, Value>) -> Result<(NaiveDate, NaiveDate), Reply> {
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
fn codes(map: &Map<String, Value>, key: &str) -> Result<Option<BTreeSet<String>>, Reply> {
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

// ---- companies ---------------------------------------------------------------------------

#[derive(Serialize)]
struct CompanyItem<'a> {
    #[serde(rename = "publicId")]
    public_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    entity_type: i64,
    email: &'a str,
    status: i64,
}

#[derive(Serialize)]
struct CompanyList<'a> {
    companies: Vec<CompanyItem<'a>>,
}

/// The entity type filter of Company/Descendants: `None` for any.
fn entity_type(map: &Map<String, Value>) -> Result<Option<i64>, Reply> {
    let text = match map.get("entityType") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(bad_request("entityType must be a string such as \"Any\".")),
    };
    let code = match text.to_ascii_lowercase().as_str() {
        "any" => return Ok(None),
        "esetheadquarters" | "headquarters" | "1001" => 1001,
        "distributor" | "1002" => 1002,
        "division" | "1003" => 1003,
        "mspmanager" | "1004" => 1004,
        "msp" | "1005" => 1005,
        "managedmsp" | "1006" => 1006,
        "mspcustomer" | "customer" | "managedbymsp" | "1007" => 1007,
        _ => {
            return Err(bad_request(&format!(
                "entityType '{text}' is not valid: use Any or an EntityTypes name or code (1001-1007)."
            )));
        }
    };
    Ok(Some(code))
}

fn company_list(state: &AppState, body: &[u8], descendants: bool) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    let parsed = string(&map, "companyId").and_then(|id| {
        let (skip, take) = paging(&map)?;
        let kind = if descendants {
            entity_type(&map)?
        } else {
            None
        };
        Ok((id.to_ascii_lowercase(), skip, take, kind))
    });
    let (company_id, skip, take, kind) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let dataset = &state.dataset;
    let list: Vec<&EsetCompany> = if descendants {
        dataset.eset_descendants(&company_id)
    } else {
        dataset.eset_children(&company_id)
    };
    let companies = list
        .into_iter()
        .filter(|c| kind.is_none_or(|k| c.entity_type == k))
        .skip(skip)
        .take(take)
        .map(|c| CompanyItem {
            public_id: &c.id,
            name: &c.name,
            entity_type: c.entity_type,
            email: &c.email,
            status: 1,
        })
        .collect();
    Reply::json(StatusCode::OK, &CompanyList { companies })
}

// ---- usage reports -----------------------------------------------------------------------

/// A row code: a string, or a number for the products the sandbox sends as numbers.
#[derive(Serialize)]
#[serde(untagged)]
enum Code {
    Text(&'static str),
    Number(u64),
}

#[derive(Serialize)]
struct PerDay {
    date: String,
    usage: u64,
}

#[derive(Serialize)]
struct Row {
    code: Code,
    name: &'static str,
    #[serde(rename = "licenseType")]
    license_type: u8,
    #[serde(rename = "seatDays")]
    seat_days: u64,
    seats: u64,
    #[serde(rename = "usagePerDays", skip_serializing_if = "Option::is_none")]
    usage_per_days: Option<Vec<PerDay>>,
    /// Drift only: `billingGroup`, last.
    #[serde(rename = "billingGroup", skip_serializing_if = "Option::is_none")]
    billing_group: Option<&'static str>,
}

#[derive(Serialize)]
struct ReportCompany<'a> {
    #[serde(rename = "companyId")]
    company_id: &'a str,
    #[serde(rename = "companyName")]
    company_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<Vec<Row>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<Vec<Row>>,
    #[serde(rename = "totalUsage")]
    total_usage: u64,
    #[serde(rename = "totalSeats", skip_serializing_if = "Option::is_none")]
    total_seats: Option<u64>,
    /// Drift only: `resellerId`, last.
    #[serde(rename = "resellerId", skip_serializing_if = "Option::is_none")]
    reseller_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Paging {
    #[serde(rename = "totalCount")]
    total_count: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    companies: Vec<ReportCompany<'a>>,
    paging: Paging,
}

/// What one report asks for.
struct Query {
    kind: Kind,
    from: NaiveDate,
    to: NaiveDate,
    daily: bool,
    filter: Option<BTreeSet<String>>,
    with_total_seats: bool,
    /// Add the drift knob's fields.
    drift: bool,
}

fn report(state: &AppState, scope: Scope, kind: Kind, body: &[u8]) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    let filter_key = match kind {
        Kind::Categories => "categories",
        Kind::Products => "codes",
    };
    let common = period(&map).and_then(|(from, to)| {
        let (skip, take) = paging(&map)?;
        let filter = codes(&map, filter_key)?;
        Ok((from, to, skip, take, filter))
    });
    let (from, to, skip, take, filter) = match common {
        Ok(common) => common,
        Err(reply) => return reply,
    };
    let dataset: &Dataset = &state.dataset;
    let failing = state
        .config
        .fail_company
        .as_deref()
        .map(str::to_ascii_lowercase);
    let fails = |id: &str| failing.as_deref() == Some(id);
    let companies: Vec<&EsetCompany> = match scope {
        Scope::AllCompanies => dataset.eset_reported().collect(),
        Scope::SelectedCompanies => {
            let ids = match map.get("companyIds") {
                Some(Value::Array(items)) if !items.is_empty() => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect::<BTreeSet<String>>(),
                _ => return bad_request("companyIds must be a non-empty list of company ids."),
            };
            if ids.iter().any(|id| fails(id)) {
                return internal_error();
            }
            dataset
                .eset_reported()
                .filter(|c| ids.contains(&c.id))
                .collect()
        }
        Scope::Monthly | Scope::Daily => {
            let id = match string(&map, "companyId") {
                Ok(id) => id.to_ascii_lowercase(),
                Err(reply) => return reply,
            };
            if fails(&id) {
                return internal_error();
            }
            dataset
                .eset_company(&id)
                .filter(|c| dataset.eset_in_reports(c))
                .into_iter()
                .collect()
        }
    };
    let query = Query {
        kind,
        from,
        to,
        daily: scope == Scope::Daily,
        filter,
        with_total_seats: scope == Scope::SelectedCompanies,
        drift: state.config.drift,
    };
    let total_count = companies.len();
    let page: Vec<&EsetCompany> = companies.into_iter().skip(skip).take(take).collect();
    // A failing company takes its whole page down, as one bad row does on a real server.
    if page.iter().any(|c| fails(&c.id)) {
        return internal_error();
    }
    let page = page
        .into_iter()
        .map(|company| report_company(dataset, company, &query))
        .collect();
    Reply::json(
        StatusCode::OK,
        &Report {
            companies: page,
            paging: Paging { total_count },
        },
    )
}

fn internal_error() -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        SUB_INTERNAL,
        "An internal server error occurred.",
    )
}

fn per_days(days: &[u64], from: NaiveDate) -> Vec<PerDay> {
    from.iter_days()
        .zip(days)
        .map(|(date, usage)| PerDay {
            date: date.format("%Y-%m-%d").to_string(),
            usage: *usage,
        })
        .collect()
}

fn report_company<'a>(
    dataset: &'a Dataset,
    company: &'a EsetCompany,
    query: &Query,
) -> ReportCompany<'a> {
    let billing_group = query.drift.then_some(drift::ESET_ROW_VALUE);
    let licenses: &[License] = dataset.eset_licenses(&company.id);
    let days = dataset.eset_days(&company.id, query.from, query.to);
    let length = usize::try_from((query.to - query.from).num_days() + 1).unwrap_or(0);
    let usage_of = |days: &[Day]| -> Vec<u64> { days.iter().map(|d| d.usage).collect() };
    let seats_of = |days: &[Day]| -> u64 { days.last().map_or(0, |d| d.seats) };
    let mut rows = Vec::new();
    match query.kind {
        Kind::Products => {
            for (license, days) in licenses.iter().zip(&days) {
                let Some(product) = ESET_PRODUCTS.get(license.product) else {
                    continue;
                };
                if query
                    .filter
                    .as_ref()
                    .is_some_and(|f| !f.contains(product.code))
                {
                    continue;
                }
                let usage = usage_of(days);
                rows.push(Row {
                    code: match product.code.parse::<u64>() {
                        Ok(number) if product.code_as_number => Code::Number(number),
                        _ => Code::Text(product.code),
                    },
                    name: product.name,
                    license_type: license.license_type,
                    seat_days: usage.iter().sum(),
                    seats: seats_of(days),
                    usage_per_days: query.daily.then(|| per_days(&usage, query.from)),
                    billing_group,
                });
            }
        }
        Kind::Categories => {
            for category in ESET_CATEGORIES {
                if query
                    .filter
                    .as_ref()
                    .is_some_and(|f| !f.contains(category.code))
                {
                    continue;
                }
                let mut usage = vec![0u64; length];
                let mut seats = 0;
                let mut license_type = None;
                for (license, days) in licenses.iter().zip(&days) {
                    let in_category = ESET_PRODUCTS
                        .get(license.product)
                        .is_some_and(|p| p.category == category.code);
                    if !in_category {
                        continue;
                    }
                    license_type.get_or_insert(license.license_type);
                    for (sum, day) in usage.iter_mut().zip(days) {
                        *sum += day.usage;
                    }
                    seats += seats_of(days);
                }
                let Some(license_type) = license_type else {
                    continue;
                };
                rows.push(Row {
                    code: Code::Text(category.code),
                    name: category.name,
                    license_type,
                    seat_days: usage.iter().sum(),
                    seats,
                    usage_per_days: query.daily.then(|| per_days(&usage, query.from)),
                    billing_group,
                });
            }
        }
    }
    let total_usage = rows.iter().map(|r| r.seat_days).sum();
    let total_seats = query
        .with_total_seats
        .then(|| rows.iter().map(|r| r.seats).sum());
    let (categories, products) = match query.kind {
        Kind::Categories => (Some(rows), None),
        Kind::Products => (None, Some(rows)),
    };
    ReportCompany {
        company_id: &company.id,
        company_name: &company.name,
        categories,
        products,
        total_usage,
        total_seats,
        reseller_id: query.drift.then(|| dataset.drift_reseller_id()),
    }
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
