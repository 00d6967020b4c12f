//! Turning a `result` into the generated model types, failures naming the JSON path.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
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

/// What a raw JSON value is, for messages (read from its first character; never parsed whole).
fn kind(raw: &RawValue) -> String {
    let text = raw.get().trim_start();
    match text.chars().next() {
        Some('{') => "an object".to_string(),
        Some('[') => "an array".to_string(),
        Some('"') => "a string".to_string(),
        Some('t' | 'f') => format!("the boolean {text}"),
        Some('n') => "null".to_string(),
        _ => format!("the number {}", usage_http::snippet(text.as_bytes())),
    }
}

/// True for the JSON number zero (`0`, `0.0`, `0e3`, ...).
fn is_zero(raw: &RawValue) -> bool {
    serde_json::from_str::<serde_json::Number>(raw.get())
        .is_ok_and(|n| n.as_u64() == Some(0) || n.as_f64() == Some(0.0))
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
        .scrubbed(self.inner.transport.secrets())
    }

    /// `raw` (found at `prefix`) as a `T`, read straight from its text.
    fn decode_at<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        prefix: &str,
        raw: &RawValue,
    ) -> Result<T, GravityZoneError> {
        usage_http::decode_json(raw.get().as_bytes()).map_err(|e| {
            let path = usage_http::short_path(join(prefix, &e.path));
            self.decode_error(reply, path, e.message)
        })
    }

    /// The whole `result` as a `T`.
    pub(crate) fn decode_result<T: DeserializeOwned>(
        &self,
        reply: &Reply,
    ) -> Result<T, GravityZoneError> {
        self.decode_at(reply, "result", &reply.result)
    }

    /// `getMonthlyUsage`: `0` means no monthly license; an object is the counters; anything else
    /// (another number included) is an error, never a set of zeros.
    pub(crate) fn decode_monthly_usage(
        &self,
        reply: &Reply,
    ) -> Result<MonthlyUsageOutcome, GravityZoneError> {
        let raw = &reply.result;
        if raw.get().trim_start().starts_with('{') {
            return self
                .decode_at(reply, "result", raw)
                .map(MonthlyUsageOutcome::Usage);
        }
        if is_zero(raw) {
            return Ok(MonthlyUsageOutcome::NoMonthlyLicense);
        }
        Err(self.decode_error(
            reply,
            "result".to_string(),
            format!(
                "expected an object of usage counters, or the number 0 for a company without a \
                 monthly license, but got {}",
                kind(raw)
            ),
        ))
    }

    /// `getLicenseInfo`: an object, or an array holding exactly one.
    pub(crate) fn decode_license_info(
        &self,
        reply: &Reply,
    ) -> Result<LicenseInfo, GravityZoneError> {
        let raw = &reply.result;
        let text = raw.get().trim_start();
        if text.starts_with('{') {
            return self.decode_at(reply, "result", raw);
        }
        if !text.starts_with('[') {
            return Err(self.decode_error(
                reply,
                "result".to_string(),
                format!(
                    "expected a license object (or a one-element array), got {}",
                    kind(raw)
                ),
            ));
        }
        let items: Vec<Box<RawValue>> = self.decode_at(reply, "result", raw)?;
        match items.as_slice() {
            [only] => self.decode_at(reply, "result[0]", only),
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
