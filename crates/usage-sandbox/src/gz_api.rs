//! The GravityZone JSON-RPC emulation, under `/api/v1.0/jsonrpc/{service}`.
//!
//! Choices where the reference is silent: unknown parameters are refused with -32602 (as
//! `page`/`perPage` on getCompaniesList are); `null` parameters count as absent; a missing or
//! non-JSON `Content-Type` gets -32600; `usageCoverageType` and the registration dates are
//! validated (type 3 needs both dates) but do not filter; `productType` on getMonthlyUsage picks
//! that product type's counters; getMonthlyUsagePerProductType of the company without a monthly
//! license answers `{"usages": []}`; getLicenseInfo answers one object.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::drift;
use crate::gz_data::{Counters, CountersJson, GZ_PRODUCT_TYPES};
use crate::gz_tree::{GzCompany, GzFolder};
use crate::ratelimit::{Admission, retry_after_secs};
use crate::reply::Reply;
use crate::server::AppState;

/// JSON-RPC: the body is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: not a valid request object.
const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: no such method on this service.
const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: bad parameters.
const INVALID_PARAMS: i64 = -32602;
/// GravityZone: server error (also the invalid-key answer).
pub(crate) const SERVER_ERROR: i64 = -32000;
/// GravityZone: too many requests.
pub(crate) const TOO_MANY_REQUESTS: i64 = -32003;

/// The details of the invalid-key answer.
const INVALID_KEY: &str = "Invalid API key. Please generate an API key in Control Center.";

/// Every service name GravityZone knows (methods outside the emulated ones answer -32601).
const SERVICES: [&str; 14] = [
    "accounts",
    "companies",
    "licensing",
    "network",
    "packages",
    "policies",
    "integrations",
    "reports",
    "push",
    "incidents",
    "quarantine",
    "general",
    "investigation",
    "maintenancewindows",
];

/// One emulated method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    MonthlyUsage,
    MonthlyUsagePerProductType,
    LicenseInfo,
    CompaniesList,
    CompanyFoldersList,
    CompanyDetails,
}

impl Call {
    fn find(service: &str, method: &str) -> Option<Call> {
        match (service, method) {
            ("licensing", "getMonthlyUsage") => Some(Call::MonthlyUsage),
            ("licensing", "getMonthlyUsagePerProductType") => {
                Some(Call::MonthlyUsagePerProductType)
            }
            ("licensing", "getLicenseInfo") => Some(Call::LicenseInfo),
            ("network", "getCompaniesList") => Some(Call::CompaniesList),
            ("network", "getCompanyFoldersList") => Some(Call::CompanyFoldersList),
            ("companies", "getCompanyDetails") => Some(Call::CompanyDetails),
            _ => None,
        }
    }

    /// The parameters the method accepts.
    fn params(self) -> &'static [&'static str] {
        match self {
            Call::MonthlyUsage => &[
                "companyId",
                "targetMonth",
                "usageCoverageType",
                "companyRegistrationStartDate",
                "companyRegistrationEndDate",
                "productType",
            ],
            Call::MonthlyUsagePerProductType => &["companyId", "targetMonth"],
            Call::LicenseInfo => &["companyId", "returnAllProducts"],
            Call::CompaniesList => &["parentId", "filters"],
            Call::CompanyFoldersList => &["parentId"],
            Call::CompanyDetails => &["companyId"],
        }
    }

    fn is_licensing(self) -> bool {
        matches!(
            self,
            Call::MonthlyUsage | Call::MonthlyUsagePerProductType | Call::LicenseInfo
        )
    }
}

/// The service name of a path below `/api/v1.0/jsonrpc/` (one segment, a trailing slash allowed).
pub(crate) fn service_of(path: &str) -> Option<&str> {
    let service = path.strip_suffix('/').unwrap_or(path);
    (!service.is_empty() && !service.contains('/')).then_some(service)
}

/// The counter name of a request: `service.method` when the body names a method.
pub(crate) fn endpoint_name(service: &str, body: &[u8]) -> String {
    let method = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("method").and_then(Value::as_str).map(str::to_string));
    match method {
        Some(method) => format!("{service}.{method}"),
        None => service.to_string(),
    }
}

/// The request id of a body, if it has one (for error answers).
pub(crate) fn request_id(body: &[u8]) -> Value {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    id: &'a Value,
    jsonrpc: &'static str,
    result: T,
}

/// A JSON-RPC error answer.
pub(crate) fn rpc_error(status: StatusCode, id: &Value, code: i64, details: &str) -> Reply {
    let message = match code {
        PARSE_ERROR => "Parse error",
        INVALID_REQUEST => "Invalid Request",
        METHOD_NOT_FOUND => "Method not found",
        INVALID_PARAMS => "Invalid params",
        TOO_MANY_REQUESTS => "Too many requests",
        _ => "Server error",
    };
    Reply::json(
        status,
        &Failure {
            id,
            jsonrpc: "2.0",
            error: ErrorObject {
                code,
                message,
                data: ErrorData { details },
            },
        },
    )
}

#[derive(Serialize)]
struct Failure<'a> {
    id: &'a Value,
    jsonrpc: &'static str,
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    code: i64,
    message: &'static str,
    data: ErrorData<'a>,
}

#[derive(Serialize)]
struct ErrorData<'a> {
    details: &'a str,
}

fn invalid_params(id: &Value, details: &str) -> Reply {
    rpc_error(StatusCode::OK, id, INVALID_PARAMS, details)
}

/// The 429 answer of the rate limit (and of an injected fault).
pub(crate) fn too_many_requests(id: &Value, retry_after: u64) -> Reply {
    rpc_error(
        StatusCode::TOO_MANY_REQUESTS,
        id,
        TOO_MANY_REQUESTS,
        "Too many requests: the rate limit of this API key was exceeded. Retry after the time in the Retry-After header.",
    )
    .with_retry_after(retry_after)
}

/// Checks HTTP Basic with the API key as user name and an empty password.
fn authorized(headers: &HeaderMap, key: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    decoded == format!("{key}:").as_bytes()
}

/// The request key of the rate limiter (the API key, or what was sent).
fn api_key(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Answers one GravityZone request.
pub(crate) async fn handle(
    state: &AppState,
    method: &Method,
    service: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if *method != Method::POST {
        return rpc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &Value::Null,
            INVALID_REQUEST,
            &format!("HTTP method {method} is not allowed: every call is a POST."),
        )
        .with_header(header::ALLOW, HeaderValue::from_static("POST"));
    }
    let id = request_id(body);
    if !authorized(headers, &state.credentials.gravityzone_api_key) {
        return rpc_error(StatusCode::UNAUTHORIZED, &id, SERVER_ERROR, INVALID_KEY);
    }
    let json_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_content {
        return rpc_error(
            StatusCode::OK,
            &id,
            INVALID_REQUEST,
            "The Content-Type header must be application/json.",
        );
    }
    let request = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Array(_)) => {
            return rpc_error(
                StatusCode::OK,
                &Value::Null,
                INVALID_REQUEST,
                "Batch requests are not supported.",
            );
        }
        Ok(_) => {
            return rpc_error(
                StatusCode::OK,
                &Value::Null,
                INVALID_REQUEST,
                "The request must be a JSON-RPC 2.0 object.",
            );
        }
        Err(e) => {
            return rpc_error(
                StatusCode::OK,
                &Value::Null,
                PARSE_ERROR,
                &format!("The body is not valid JSON: {e}."),
            );
        }
    };
    let id = match request.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => {
            return rpc_error(
                StatusCode::OK,
                &Value::Null,
                INVALID_REQUEST,
                "The request needs an id (a string or a number): notifications are not supported.",
            );
        }
    };
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return rpc_error(
            StatusCode::OK,
            &id,
            INVALID_REQUEST,
            "jsonrpc must be \"2.0\".",
        );
    }
    let Some(method_name) = request.get("method").and_then(Value::as_str) else {
        return rpc_error(
            StatusCode::OK,
            &id,
            INVALID_REQUEST,
            "method must be a string.",
        );
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params.clone(),
        Some(_) => return invalid_params(&id, "params must be an object."),
    };
    if !SERVICES.contains(&service) {
        return rpc_error(
            StatusCode::OK,
            &id,
            METHOD_NOT_FOUND,
            "The selected API is not available.",
        );
    }
    let Some(call) = Call::find(service, method_name) else {
        return rpc_error(
            StatusCode::OK,
            &id,
            METHOD_NOT_FOUND,
            &format!("The method '{method_name}' is not available in the '{service}' API."),
        );
    };
    // Null values count as absent; anything the method does not take is refused.
    let params: Map<String, Value> = params.into_iter().filter(|(_, v)| !v.is_null()).collect();
    if let Some(unknown) = params.keys().find(|k| !call.params().contains(&k.as_str())) {
        return invalid_params(
            &id,
            &format!("Invalid value for '{unknown}': this method does not take it."),
        );
    }
    if call.is_licensing() {
        if state.config.rate_limit {
            match state
                .limiter
                .admit(&api_key(headers), tokio::time::Instant::now())
            {
                Admission::Now => {}
                Admission::At(at) => {
                    if !state.sleep_until(at).await {
                        return rpc_error(
                            StatusCode::SERVICE_UNAVAILABLE,
                            &id,
                            SERVER_ERROR,
                            "The server is shutting down.",
                        );
                    }
                }
                Admission::Refused(wait) => return too_many_requests(&id, retry_after_secs(wait)),
            }
        }
        let named = params.get("companyId").and_then(Value::as_str);
        if named.is_some() && named == state.config.fail_company.as_deref() {
            return rpc_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &id,
                SERVER_ERROR,
                "An internal error occurred while processing the request.",
            );
        }
    }
    let result = match call {
        Call::MonthlyUsage => monthly_usage(state, &params),
        Call::MonthlyUsagePerProductType => per_product_type(state, &params),
        Call::LicenseInfo => license_info(state, &params),
        Call::CompaniesList => companies_list(state, &params),
        Call::CompanyFoldersList => company_folders(state, &params),
        Call::CompanyDetails => company_details(state, &params),
    };
    match result {
        Ok(result) => Reply::json(
            StatusCode::OK,
            &Success {
                id: &id,
                jsonrpc: "2.0",
                result,
            },
        ),
        Err(details) => invalid_params(&id, &details),
    }
}

// ---- parameters ----------------------------------------------------------------------------

type Outcome = Result<Value, String>;

/// The company named by `key`, or the key's own company when absent.
fn company<'a>(
    state: &'a AppState,
    params: &Map<String, Value>,
    key: &str,
) -> Result<&'a GzCompany, String> {
    match params.get(key) {
        None => Ok(state.dataset.gravityzone_root()),
        Some(Value::String(id)) => state
            .dataset
            .gravityzone_company(id)
            .ok_or_else(|| format!("Invalid value for '{key}'")),
        Some(_) => Err(format!("Invalid value for '{key}'")),
    }
}

/// `targetMonth` as (year, month): `MM/YYYY`, zero-padded; the current month when absent.
fn target_month(params: &Map<String, Value>) -> Result<(i32, u32), String> {
    let Some(value) = params.get("targetMonth") else {
        let today = Utc::now().date_naive();
        return Ok((today.year(), today.month()));
    };
    let invalid = || "Invalid value for 'targetMonth'. The expected format is mm/yyyy.".to_string();
    let text = value.as_str().ok_or_else(invalid)?;
    let (month, year) = text.split_once('/').ok_or_else(invalid)?;
    if month.len() != 2
        || year.len() != 4
        || !(month.chars().chain(year.chars())).all(|c| c.is_ascii_digit())
    {
        return Err(invalid());
    }
    let month: u32 = month.parse().map_err(|_| invalid())?;
    let year: i32 = year.parse().map_err(|_| invalid())?;
    if !(1..=12).contains(&month) || year < 1970 {
        return Err(invalid());
    }
    Ok((year, month))
}

fn registration_date(
    params: &Map<String, Value>,
    key: &str,
) -> Result<Option<NaiveDateTime>, String> {
    let Some(value) = params.get(key) else {
        return Ok(None);
    };
    let text = value
        .as_str()
        .ok_or_else(|| format!("Invalid value for '{key}'"))?;
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .map(Some)
        .map_err(|_| format!("Invalid value for '{key}'"))
}

// ---- licensing ----------------------------------------------------------------------------

fn monthly_usage(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let company = company(state, params, "companyId")?;
    let (year, month) = target_month(params)?;
    let start = registration_date(params, "companyRegistrationStartDate")?;
    let end = registration_date(params, "companyRegistrationEndDate")?;
    match params.get("usageCoverageType") {
        None => {
            if start.is_some() || end.is_some() {
                return Err("Invalid value for 'usageCoverageType': the registration dates need usageCoverageType 3".into());
            }
        }
        Some(value) if value.as_i64() == Some(3) => {
            if start.is_none() || end.is_none() {
                return Err("Invalid value for 'usageCoverageType': type 3 needs companyRegistrationStartDate and companyRegistrationEndDate".into());
            }
        }
        Some(_) => return Err("Invalid value for 'usageCoverageType'".into()),
    }
    let type_index = match params.get("productType") {
        None => 0,
        Some(value) => value
            .as_i64()
            .and_then(|t| GZ_PRODUCT_TYPES.iter().position(|p| *p == t))
            .ok_or_else(|| "Invalid value for 'productType'".to_string())?,
    };
    if !company.monthly_license {
        return Ok(json!(0));
    }
    let per_type = state.dataset.gz_month(&company.id, year, month);
    let counters = per_type
        .get(type_index)
        .cloned()
        .flatten()
        .unwrap_or_default();
    let minimum = state
        .dataset
        .gz_profile(&company.id)
        .and_then(|p| p.minimum_endpoints)
        .filter(|_| type_index == 0);
    let mut result = serde_json::to_value(CountersJson {
        product_type: None,
        counters: &counters,
        with_phasr: false,
        minimum_endpoints: minimum,
    })
    .map_err(|e| e.to_string())?;
    if state.config.drift
        && let Some(map) = result.as_object_mut()
    {
        let extra = drift::ai_security_usage(state.dataset.seed(), &company.id, year, month);
        map.insert(drift::GZ_COUNTER.to_string(), json!(extra));
        if company.id == state.dataset.drift_type_change_company().id
            && let Some(value) = map.get_mut(drift::GZ_TYPE_CHANGE_FIELD)
            && value.is_number()
        {
            // The same text the number would have had, as a string.
            *value = Value::String(value.to_string());
        }
    }
    Ok(result)
}

fn per_product_type(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let company = company(state, params, "companyId")?;
    let (year, month) = target_month(params)?;
    let per_type = state.dataset.gz_month(&company.id, year, month);
    let usages: Vec<Value> = GZ_PRODUCT_TYPES
        .iter()
        .zip(&per_type)
        .filter_map(|(product_type, counters)| {
            let counters: &Counters = counters.as_ref()?;
            serde_json::to_value(CountersJson {
                product_type: Some(*product_type),
                counters,
                with_phasr: true,
                minimum_endpoints: None,
            })
            .ok()
        })
        .collect();
    Ok(json!({ "usages": usages }))
}

fn license_info(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let company = company(state, params, "companyId")?;
    if params
        .get("returnAllProducts")
        .is_some_and(|v| !v.is_boolean())
    {
        return Err("Invalid value for 'returnAllProducts'".into());
    }
    let Some(profile) = state.dataset.gz_profile(&company.id) else {
        return Err("Invalid value for 'companyId'".into());
    };
    let today = Utc::now().date_naive();
    let used = if company.monthly_license {
        state
            .dataset
            .gz_month(&company.id, today.year(), today.month())
            .first()
            .cloned()
            .flatten()
            .map_or(0, |c| c.endpoints())
    } else {
        // A yearly key: the seats in use are the company's own endpoints.
        u64::from(profile.endpoints)
    };
    let mut info = json!({
        "isAddon": false,
        "usedSlots": used,
        "assignedProtectionModel": profile.model_name(),
        "additionalProductTypes": profile.additional_product_types(),
        "manageExchange": profile.exchange > 0.0,
        "manageEncryption": profile.encryption > 0.0,
        "manageRemoteEnginesScanning": profile.sve_vs > 0,
        "manageHyperDetect": profile.ats,
        "manageSandboxAnalyzer": profile.ats,
        "managePatchManagement": profile.patch > 0.0,
        "manageEventCorrelator": profile.edr > 0.0 || profile.edr_standalone > 0,
        "manageEmailSecurity": profile.email > 0.0,
    });
    if let Some(map) = info.as_object_mut() {
        if company.monthly_license {
            map.insert("subscriptionType".into(), json!(3));
            map.insert("totalSlots".into(), Value::Null);
            map.insert("endSubscription".into(), json!(""));
            map.insert("autoRenewPeriod".into(), json!(0));
        } else {
            map.insert("subscriptionType".into(), json!(2));
            map.insert(
                "totalSlots".into(),
                json!(used.max(1).div_ceil(10) * 10 + 10),
            );
            map.insert(
                "expiryDate".into(),
                json!(format!("{}-01-18T10:02:30", today.year() + 1)),
            );
            map.insert("licenseKey".into(), json!("SBX4K2M"));
        }
    }
    Ok(info)
}

// ---- network and companies -----------------------------------------------------------------

/// What `parentId` names: a partner company or a company folder (the key's company when
/// absent); a customer company or an unknown id is -32602, as the vendor answers.
fn listing<'a>(
    state: &'a AppState,
    params: &Map<String, Value>,
) -> Result<(Vec<&'a GzCompany>, Vec<&'a GzFolder>), String> {
    let invalid = || "Invalid value for 'parentId'".to_string();
    let parent = match params.get("parentId") {
        None => state.dataset.gravityzone_root().id.as_str(),
        Some(Value::String(id)) => id.as_str(),
        Some(_) => return Err(invalid()),
    };
    state
        .dataset
        .gravityzone_listing(parent)
        .ok_or_else(invalid)
}

fn companies_list(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let (companies, _) = listing(state, params)?;
    let (company_type, license_type) = match params.get("filters") {
        None => (None, None),
        Some(Value::Object(filters)) => {
            let mut company_type = None;
            let mut license_type = None;
            for (key, value) in filters {
                match (key.as_str(), value.as_i64()) {
                    (_, None) if value.is_null() => {}
                    ("companyType", Some(t @ (0 | 1))) => company_type = Some(t),
                    ("licenseType", Some(t @ (1..=3))) => license_type = Some(t),
                    _ => return Err(format!("Invalid value for 'filters.{key}'")),
                }
            }
            (company_type, license_type)
        }
        Some(_) => return Err("Invalid value for 'filters'".into()),
    };
    let children: Vec<Value> = companies
        .into_iter()
        .filter(|c| company_type.is_none_or(|t| c.company_type == t))
        .filter(|c| license_type.is_none_or(|t| t == if c.monthly_license { 3 } else { 2 }))
        .map(|c| json!({ "id": c.id, "name": c.name }))
        .collect();
    Ok(Value::Array(children))
}

fn company_folders(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let (_, folders) = listing(state, params)?;
    Ok(Value::Array(
        folders
            .into_iter()
            .map(|f| json!({ "id": f.id, "name": f.name }))
            .collect(),
    ))
}

fn company_details(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let company = company(state, params, "companyId")?;
    let Some(profile) = state.dataset.gz_profile(&company.id) else {
        return Err("Invalid value for 'companyId'".into());
    };
    let details = &profile.details;
    let risk = details.risk;
    let impact = match risk {
        0..=33 => "Low",
        34..=66 => "Medium",
        _ => "High",
    };
    let mut body = json!({
        "id": company.id,
        "name": company.name,
        "type": company.company_type,
        "address": details.address,
        "phone": details.phone,
        "canBeManagedByAbove": true,
        "enforce2FA": details.enforce_2fa,
        "skip2FAPeriod": 0,
        "isSuspended": false,
        "createdAt": details.created_at,
        "country": details.country,
        "state": "N/A",
        "industry": details.industry,
        "riskScore": {
            "value": format!("{risk}%"),
            "impact": impact,
            "misconfigurations": format!("{}%", risk / 2),
            "appVulnerabilities": format!("{}%", risk / 3),
            "humanRisks": format!("{}%", risk / 6),
            "industryModifier": "1.0",
        },
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(parent) = &company.parent_id {
            map.insert("parentCompanyId".into(), json!(parent));
        }
        if company.company_type == 0 {
            let (full_name, role) = details.contact;
            map.insert(
                "contactPerson".into(),
                json!({
                    "fullName": full_name,
                    "email": format!("contact@{}.example", &company.id[..8.min(company.id.len())]),
                    "phoneNumber": details.phone,
                    "companyRole": role,
                }),
            );
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_month_is_strict() {
        let month = |text: &str| {
            let mut params = Map::new();
            params.insert("targetMonth".into(), json!(text));
            target_month(&params)
        };
        assert_eq!(month("03/2026"), Ok((2026, 3)));
        assert!(month("3/2026").is_err());
        assert!(month("2026-03").is_err());
        assert!(month("13/2026").is_err());
        assert!(month("00/2026").is_err());
    }

    #[test]
    fn service_paths() {
        assert_eq!(service_of("licensing"), Some("licensing"));
        assert_eq!(service_of("licensing/"), Some("licensing"));
        assert_eq!(service_of("licensing/x"), None);
        assert_eq!(service_of(""), None);
        assert_eq!(
            endpoint_name("licensing", br#"{"method":"getMonthlyUsage"}"#),
            "licensing.getMonthlyUsage"
        );
        assert_eq!(endpoint_name("network", b"nope"), "network");
    }
}
