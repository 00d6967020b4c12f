//! Turning a `result` into the generated model types, failures naming the JSON path.

use serde::de::DeserializeOwned;
use serde_json::Value;
use usage_models::bitdefender::{GetMonthlyUsageResult, LicenseInfo, MonthlyUsage};

use crate::call::Reply;
use crate::{GravityZoneClient, GravityZoneError};

/// What `licensing.getMonthlyUsage` answered for a company and month.
// Not boxed: callers move the counters straight into `GetMonthlyUsageResult::MonthlyUsage`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum MonthlyUsageOutcome {
    /// The month's counters (counters nobody has documented yet are in `extra`).
    Usage(MonthlyUsage),
    /// The vendor answered `0`: the company has no monthly license. Not an error, and not a set
    /// of zero counters either: such a company has no usage records.
    NoMonthlyLicense,
}

impl From<MonthlyUsageOutcome> for GetMonthlyUsageResult {
    /// Back to the generated result type (`NoMonthlyLicense` becomes the number 0).
    fn from(outcome: MonthlyUsageOutcome) -> Self {
        match outcome {
            MonthlyUsageOutcome::Usage(usage) => Self::MonthlyUsage(usage),
            MonthlyUsageOutcome::NoMonthlyLicense => Self::Uint64(0),
        }
    }
}

/// `result` + a path relative to it, e.g. `result.usages[0].productType`.
fn join(prefix: &str, path: &str) -> String {
    match path {
        "" | "." => prefix.to_string(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => format!("{prefix}.{p}"),
    }
}

/// The JSON type of a value, for messages.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".to_string(),
        Value::Array(a) => format!("an array of {} elements", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

impl GravityZoneClient {
    /// A decode error about `reply` at `path`.
    fn decode_error(&self, reply: &Reply, path: String, reason: String) -> GravityZoneError {
        GravityZoneError::Decode {
            method: reply.method.full_name(),
            company: reply.company.clone(),
            status: reply.status,
            path,
            reason,
            snippet: usage_http::snippet(&reply.body),
        }
    }

    /// `value` (found at `prefix`) as a `T`.
    fn decode_at<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        prefix: &str,
        value: Value,
    ) -> Result<T, GravityZoneError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = crate::error::short_path(join(prefix, &e.path().to_string()));
            self.decode_error(reply, path, e.into_inner().to_string())
        })
    }

    /// The whole `result` as a `T`.
    pub(crate) fn decode_result<T: DeserializeOwned>(
        &self,
        reply: &Reply,
    ) -> Result<T, GravityZoneError> {
        self.decode_at(reply, "result", reply.result.clone())
    }

    /// `getMonthlyUsage`: `0` means no monthly license; an object is the counters; anything else
    /// (another number included) is an error, never a set of zeros.
    pub(crate) fn decode_monthly_usage(
        &self,
        reply: &Reply,
    ) -> Result<MonthlyUsageOutcome, GravityZoneError> {
        match &reply.result {
            Value::Number(n) if n.as_u64() == Some(0) || n.as_f64() == Some(0.0) => {
                Ok(MonthlyUsageOutcome::NoMonthlyLicense)
            }
            Value::Object(_) => self
                .decode_at(reply, "result", reply.result.clone())
                .map(MonthlyUsageOutcome::Usage),
            other => Err(self.decode_error(
                reply,
                "result".to_string(),
                format!(
                    "expected an object of usage counters, or the number 0 for a company without \
                     a monthly license, but got {}",
                    kind(other)
                ),
            )),
        }
    }

    /// `getLicenseInfo`: an object, or an array holding exactly one.
    pub(crate) fn decode_license_info(
        &self,
        reply: &Reply,
    ) -> Result<LicenseInfo, GravityZoneError> {
        match &reply.result {
            Value::Object(_) => self.decode_at(reply, "result", reply.result.clone()),
            Value::Array(items) => match items.as_slice() {
                [only] => self.decode_at(reply, "result[0]", only.clone()),
                [] => Err(self.decode_error(
                    reply,
                    "result".to_string(),
                    "an empty array: no license information".to_string(),
                )),
                many => Err(self.decode_error(
                    reply,
                    "result".to_string(),
                    format!(
                        "an array of {} licenses, where one license object was expected",
                        many.len()
                    ),
                )),
            },
            other => Err(self.decode_error(
                reply,
                "result".to_string(),
                format!(
                    "expected a license object (or a one-element array), got {}",
                    kind(other)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn paths_join() {
        assert_eq!(join("result", "."), "result");
        assert_eq!(
            join("result", "usages[0].productType"),
            "result.usages[0].productType"
        );
        assert_eq!(join("result", "[3].id"), "result[3].id");
        assert_eq!(join("result[0]", "usedSlots"), "result[0].usedSlots");
    }
}
