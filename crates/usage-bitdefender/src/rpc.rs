//! The JSON-RPC 2.0 envelope, written by hand and generic over params and result (the generated
//! models cover only the payloads), and the methods this client calls.

use serde::{Deserialize, Serialize};

/// One request object: `{"id", "jsonrpc": "2.0", "method", "params"}`. GravityZone supports
/// neither batches nor notifications, so every request carries an id.
#[derive(Debug, Serialize)]
pub(crate) struct Request<'a, P> {
    /// Unique per request of a client (and its clones).
    pub(crate) id: u64,
    /// Always `"2.0"`.
    pub(crate) jsonrpc: &'static str,
    /// The method name without its service, e.g. `getMonthlyUsage`.
    pub(crate) method: &'a str,
    /// Named parameters; always an object, possibly empty.
    pub(crate) params: &'a P,
}

/// One response object: `result` on success, `error` on failure; the id must be the request's
/// (checked by the caller). `result` stays raw JSON text until it is decoded into its model,
/// so a large answer is never held as a tree of values.
#[derive(Debug, Deserialize)]
pub(crate) struct Response<R> {
    /// The echoed id (a number, or a number in a string).
    #[serde(default)]
    pub(crate) id: Option<serde_json::Value>,
    /// The result; absent (or null) when `error` is set.
    #[serde(default = "none")]
    pub(crate) result: Option<R>,
    /// The error object, when the call failed.
    #[serde(default)]
    pub(crate) error: Option<RpcError>,
}

fn none<R>() -> Option<R> {
    None
}

/// A JSON-RPC error object: `{"code", "message", "data": {"details"}}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RpcError {
    /// E.g. -32602.
    pub(crate) code: i64,
    /// E.g. "Invalid params".
    #[serde(default)]
    pub(crate) message: String,
    /// Usually `{"details": "..."}`; may be missing or carry other keys. Kept as raw JSON: it
    /// is read only when it is small.
    #[serde(default)]
    pub(crate) data: Option<Box<serde_json::value::RawValue>>,
}

/// Largest `error.data` read into an error (a hostile server could send megabytes).
const MAX_ERROR_DATA: usize = 64 * 1024;

impl RpcError {
    /// `data` as a JSON value, when there is one of a sensible size.
    pub(crate) fn data_value(&self) -> Option<serde_json::Value> {
        let raw = self.data.as_ref()?.get();
        if raw.len() > MAX_ERROR_DATA {
            return None;
        }
        serde_json::from_str(raw).ok()
    }

    /// `data.details`, or `data` itself when it is a string.
    pub(crate) fn details(&self) -> Option<String> {
        match self.data_value()? {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Object(mut map) => match map.remove("details")? {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
}

/// JSON-RPC "Invalid Request".
pub(crate) const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC "Method not found" (also: the API is not available on this service path).
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC "Invalid params"; from `getCompaniesList` it means "this company has no children".
pub(crate) const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC "Internal error".
pub(crate) const INTERNAL_ERROR: i64 = -32603;
/// GravityZone "too many requests" (sent with HTTP 429).
pub(crate) const TOO_MANY_REQUESTS: i64 = -32003;

/// The methods this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    MonthlyUsage,
    MonthlyUsagePerProductType,
    LicenseInfo,
    CompaniesList,
    CompanyFoldersList,
    CompanyDetails,
}

/// Which documented per-key budget a method counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateClass {
    /// Licensing methods and `companies.getCompanyDetails`: 5 requests/s.
    Licensing,
    /// Every other method (here: `network.getCompaniesList` and `getCompanyFoldersList`):
    /// 10 requests/s.
    Default,
}

/// The services (path segments under `/v1.0/jsonrpc/`) this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Licensing,
    Network,
    Companies,
}

impl Service {
    /// The path segment, e.g. `licensing`.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Licensing => "licensing",
            Self::Network => "network",
            Self::Companies => "companies",
        }
    }
}

impl Method {
    /// The method name as sent, e.g. `getMonthlyUsage`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::MonthlyUsage => "getMonthlyUsage",
            Self::MonthlyUsagePerProductType => "getMonthlyUsagePerProductType",
            Self::LicenseInfo => "getLicenseInfo",
            Self::CompaniesList => "getCompaniesList",
            Self::CompanyFoldersList => "getCompanyFoldersList",
            Self::CompanyDetails => "getCompanyDetails",
        }
    }

    /// The service the method lives in.
    pub(crate) fn service(self) -> Service {
        match self {
            Self::MonthlyUsage | Self::MonthlyUsagePerProductType | Self::LicenseInfo => {
                Service::Licensing
            }
            Self::CompaniesList | Self::CompanyFoldersList => Service::Network,
            Self::CompanyDetails => Service::Companies,
        }
    }

    /// `service.method`, e.g. `licensing.getMonthlyUsage`: how errors and logs name the call.
    pub(crate) fn full_name(self) -> &'static str {
        match self {
            Self::MonthlyUsage => "licensing.getMonthlyUsage",
            Self::MonthlyUsagePerProductType => "licensing.getMonthlyUsagePerProductType",
            Self::LicenseInfo => "licensing.getLicenseInfo",
            Self::CompaniesList => "network.getCompaniesList",
            Self::CompanyFoldersList => "network.getCompanyFoldersList",
            Self::CompanyDetails => "companies.getCompanyDetails",
        }
    }

    /// The documented budget the method counts against.
    pub(crate) fn rate_class(self) -> RateClass {
        match self {
            Self::MonthlyUsage
            | Self::MonthlyUsagePerProductType
            | Self::LicenseInfo
            | Self::CompanyDetails => RateClass::Licensing,
            Self::CompaniesList | Self::CompanyFoldersList => RateClass::Default,
        }
    }
}
