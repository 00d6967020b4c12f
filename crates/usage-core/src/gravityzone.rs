//! GravityZone `getMonthlyUsage` and `getMonthlyUsagePerProductType` results -> records.
//!
//! Rules beyond SPEC section 2, chosen here and documented in the README:
//! - A counter that is `null` gives no record: `null` means "not reported", which is not 0.
//! - A key whose value is a string, boolean, object or array is not a counter and gives no
//!   record (only `minimumUsage` is an object with meaning, and it is read as minimums).
//! - Two counters that give the same product key and metric (the misspelt
//!   `aLaCarteMonhtlyUsage` next to `aLaCarteMonthlyUsage`, or an unknown `fooUsage` next to
//!   `fooMonthlyUsage`) give one record when their values are equal, and an error when not.
//! - A count must be a whole number >= 0; only `hour` quantities (`sve_vdi`) may be fractional.
//!   Whole numbers are written as integers even when the vendor sent `12.0`.
//! - Per-product-type entries need a `productType`, each at most once; every entry gives its
//!   own records, nothing is summed across entries.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};
use usage_models::bitdefender::{
    GetMonthlyUsagePerProductTypeResult, GetMonthlyUsageResult, MonthlyUsage, ProductTypeUsage,
};

use crate::counters::{describe, product_key};
use crate::{CoreError, Metric, Period, Unit, UsageRecord, Vendor, record_order};

/// `source` of records from `getMonthlyUsage`.
pub const GZ_MONTHLY_SOURCE: &str = "bitdefender:licensing.getMonthlyUsage";
/// `source` of records from `getMonthlyUsagePerProductType`.
pub const GZ_PER_PRODUCT_TYPE_SOURCE: &str = "bitdefender:licensing.getMonthlyUsagePerProductType";

/// The company a GravityZone result belongs to: the result itself does not say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CompanyRef {
    /// GravityZone company id, as the vendor spells it.
    pub id: String,
    /// The company's name, when known.
    pub name: Option<String>,
    /// The company directly above it in the tree; `None` for the API key's own company.
    pub parent_id: Option<String>,
}

/// What `getMonthlyUsage` gave for one company.
#[derive(Debug, Clone, PartialEq)]
pub enum GzMonthly {
    /// The month's counters, one record each (zeros included), sorted.
    Records(Vec<UsageRecord>),
    /// The vendor answered `0`: the company has no monthly license. Not a failure: the run
    /// summary lists it under `without_monthly_license`.
    WithoutMonthlyLicense,
}

/// The records of one company's `getMonthlyUsage` result for `period`.
///
/// Every numeric counter (documented or not) gives one `monthly_usage` record and every
/// `minimumUsage` entry one `minimum_usage` record; `product_type` is null. The result `0`
/// gives [`GzMonthly::WithoutMonthlyLicense`]; any other bare number is an error, as are
/// conflicting or impossible counters (see the module docs).
pub fn normalize_gz_monthly(
    result: &GetMonthlyUsageResult,
    company: &CompanyRef,
    period: Period,
) -> Result<GzMonthly, CoreError> {
    period.check()?;
    match result {
        GetMonthlyUsageResult::Uint64(0) => Ok(GzMonthly::WithoutMonthlyLicense),
        GetMonthlyUsageResult::Uint64(value) => Err(CoreError::GzUnexpectedResult {
            company_id: company.id.clone(),
            value: *value,
        }),
        GetMonthlyUsageResult::MonthlyUsage(usage) => {
            let typed = monthly_counters(usage);
            let minimums = usage.minimum_usage.as_ref().and_then(|m| m.0.as_ref());
            let entry = Entry {
                company,
                period,
                product_type: None,
                source: GZ_MONTHLY_SOURCE,
            };
            entry
                .records(&typed, &usage.extra, minimums)
                .map(GzMonthly::Records)
        }
    }
}

/// The records of one company's `getMonthlyUsagePerProductType` result for `period`.
///
/// Each entry of `usages` gives its own records, with `product_type` set from its
/// `productType` (`0` -> `endpoint_security`, `3` -> `edr`, `5` -> `phasr`, else the number):
/// one entry's zeros never hide another entry's counts. An entry without `productType`, or a
/// `productType` listed twice, is an error. Keys beside `usages` are ignored.
pub fn normalize_gz_per_product_type(
    result: &GetMonthlyUsagePerProductTypeResult,
    company: &CompanyRef,
    period: Period,
) -> Result<Vec<UsageRecord>, CoreError> {
    period.check()?;
    let mut entries = Vec::with_capacity(result.usages.len());
    for (index, usage) in result.usages.iter().enumerate() {
        let Some(product_type) = usage.product_type else {
            return Err(CoreError::GzProductType {
                company_id: company.id.clone(),
                detail: format!("entry {index} of `usages` has no `productType`"),
            });
        };
        if entries.iter().any(|(_, seen, _)| *seen == product_type) {
            return Err(CoreError::GzProductType {
                company_id: company.id.clone(),
                detail: format!("lists productType {product_type} twice in `usages`"),
            });
        }
        entries.push((product_type_name(product_type), product_type, usage));
    }
    // Entries in the order of their product type's name, so their sorted records concatenate
    // into sorted output.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut records = Vec::new();
    for (_, product_type, usage) in entries {
        let typed = product_type_counters(usage);
        let entry = Entry {
            company,
            period,
            product_type: Some(product_type),
            source: GZ_PER_PRODUCT_TYPE_SOURCE,
        };
        records.extend(entry.records(&typed, &usage.extra, usage.minimum_usage.as_ref())?);
    }
    debug_assert!(
        records
            .windows(2)
            .all(|w| matches!(w, [a, b] if record_order(a, b).is_le()))
    );
    Ok(records)
}

/// The contract's name of a GravityZone product type.
pub fn product_type_name(product_type: i64) -> Cow<'static, str> {
    match product_type {
        0 => Cow::Borrowed("endpoint_security"),
        3 => Cow::Borrowed("edr"),
        5 => Cow::Borrowed("phasr"),
        other => Cow::Owned(other.to_string()),
    }
}

/// A counter's value as the typed model holds it.
#[derive(Debug, Clone, Copy)]
enum Raw {
    Whole(u64),
    Float(f64),
}

impl From<u64> for Raw {
    fn from(value: u64) -> Self {
        Raw::Whole(value)
    }
}

impl From<f64> for Raw {
    fn from(value: f64) -> Self {
        Raw::Float(value)
    }
}

/// One typed counter: JSON name, product key, value (`None`: absent or null).
type Typed = (&'static str, &'static str, Option<Raw>);

/// Destructures a counter struct without `..`, so a counter added to the generated models
/// stops the build here instead of being dropped silently.
macro_rules! typed_counters {
    ($value:expr, $ty:ident, [$($other:ident),*], { $($field:ident: $json:literal => $key:literal),* $(,)? }) => {{
        let $ty { $($field,)* $($other: _,)* } = $value;
        [$(($json, $key, $field.map(Raw::from))),*]
    }};
}

/// Expands to the counter list shared by `MonthlyUsage` and `ProductTypeUsage`.
macro_rules! counters_of {
    ($value:expr, $ty:ident, [$($other:ident),*]) => {
        typed_counters!($value, $ty, [$($other),*], {
            a_la_carte_monhtly_usage: "aLaCarteMonhtlyUsage" => "a_la_carte",
            a_la_carte_monthly_usage: "aLaCarteMonthlyUsage" => "a_la_carte",
            ats_monthly_usage: "atsMonthlyUsage" => "ats",
            compliance_monthly_usage: "complianceMonthlyUsage" => "compliance",
            container_protection_monthly_usage: "containerProtectionMonthlyUsage" => "container_protection",
            edr_monthly_usage: "edrMonthlyUsage" => "edr",
            email_security_monthly_usage: "emailSecurityMonthlyUsage" => "email_security",
            encryption_monthly_usage: "encryptionMonthlyUsage" => "encryption",
            endpoint_monthly_usage: "endpointMonthlyUsage" => "endpoint",
            exchange_monthly_usage: "exchangeMonthlyUsage" => "exchange",
            integrity_monitoring180_days_usage: "integrityMonitoring180DaysUsage" => "integrity_monitoring_180_days",
            integrity_monitoring1_year_usage: "integrityMonitoring1YearUsage" => "integrity_monitoring_1_year",
            integrity_monitoring90_days_usage: "integrityMonitoring90DaysUsage" => "integrity_monitoring_90_days",
            integrity_monitoring_usage: "integrityMonitoringUsage" => "integrity_monitoring",
            mdr_foundations_monthly_usage: "mdrFoundationsMonthlyUsage" => "mdr_foundations",
            mdr_response_monthly_usage: "mdrResponseMonthlyUsage" => "mdr_response",
            mobile_security_monthly_usage: "mobileSecurityMonthlyUsage" => "mobile_security",
            msp_secure_essentials_monthly_usage: "mspSecureEssentialsMonthlyUsage" => "msp_secure_essentials",
            msp_secure_extra_monthly_usage: "mspSecureExtraMonthlyUsage" => "msp_secure_extra",
            msp_secure_monthly_usage: "mspSecureMonthlyUsage" => "msp_secure",
            msp_secure_plus_monthly_usage: "mspSecurePlusMonthlyUsage" => "msp_secure_plus",
            patch_management_monthly_usage: "patchManagementMonthlyUsage" => "patch_management",
            sve_vdi_monthly_usage: "sveVdiMonthlyUsage" => "sve_vdi",
            sve_vs_monthly_usage: "sveVsMonthlyUsage" => "sve_vs",
            xdr_identity_sensors_monthly_usage: "xdrIdentitySensorsMonthlyUsage" => "xdr_identity_sensors",
            xdr_productivity_sensors_monthly_usage: "xdrProductivitySensorsMonthlyUsage" => "xdr_productivity_sensors",
        })
    };
}

/// Number of typed counters in the generated models.
const TYPED_COUNTERS: usize = 26;

fn monthly_counters(usage: &MonthlyUsage) -> [Typed; TYPED_COUNTERS] {
    counters_of!(usage, MonthlyUsage, [minimum_usage, extra])
}

fn product_type_counters(usage: &ProductTypeUsage) -> [Typed; TYPED_COUNTERS] {
    counters_of!(
        usage,
        ProductTypeUsage,
        [minimum_usage, extra, product_type]
    )
}

/// A counter on its way to a record.
struct Candidate<'a> {
    key: Cow<'a, str>,
    metric: Metric,
    unit: Unit,
    /// The built-in product name of a known counter.
    name: Option<&'static str>,
    quantity: Number,
    /// The counter's JSON name as sent, for error messages.
    counter: &'a str,
}

/// What one result object (or one per-product-type entry) shares across its records.
struct Entry<'a> {
    company: &'a CompanyRef,
    period: Period,
    product_type: Option<i64>,
    source: &'static str,
}

impl Entry<'_> {
    fn records<'a>(
        &self,
        typed: &[Typed],
        extra: &'a Map<String, Value>,
        minimums: Option<&'a std::collections::BTreeMap<String, f64>>,
    ) -> Result<Vec<UsageRecord>, CoreError> {
        let capacity = typed.len() + extra.len() + minimums.map_or(0, |m| m.len());
        let mut candidates: Vec<Candidate<'a>> = Vec::with_capacity(capacity);

        for &(counter, key, raw) in typed {
            if let Some(raw) = raw {
                let (unit, name) = describe(key);
                let quantity = to_quantity(raw, unit).map_err(|reason| {
                    let sent = match raw {
                        Raw::Whole(whole) => whole.to_string(),
                        Raw::Float(value) => value.to_string(),
                    };
                    self.invalid(counter, Metric::MonthlyUsage, sent, reason)
                })?;
                candidates.push(Candidate {
                    key: Cow::Borrowed(key),
                    metric: Metric::MonthlyUsage,
                    unit,
                    name,
                    quantity,
                    counter,
                });
            }
        }

        for (counter, value) in extra {
            // Only numbers are counters; null means "not reported", not 0.
            let Value::Number(number) = value else {
                continue;
            };
            let key = product_key(counter);
            let (unit, name) = describe(&key);
            let raw = match number.as_u64() {
                Some(whole) => Raw::Whole(whole),
                None => Raw::Float(number.as_f64().unwrap_or(f64::NAN)),
            };
            let quantity = to_quantity(raw, unit).map_err(|reason| {
                self.invalid(counter, Metric::MonthlyUsage, number.to_string(), reason)
            })?;
            candidates.push(Candidate {
                key: Cow::Owned(key),
                metric: Metric::MonthlyUsage,
                unit,
                name,
                quantity,
                counter,
            });
        }

        for (counter, &minimum) in minimums.into_iter().flatten() {
            let key = product_key(counter);
            let (unit, name) = describe(&key);
            let quantity = to_quantity(Raw::Float(minimum), unit).map_err(|reason| {
                self.invalid(counter, Metric::MinimumUsage, minimum.to_string(), reason)
            })?;
            candidates.push(Candidate {
                key: Cow::Owned(key),
                metric: Metric::MinimumUsage,
                unit,
                name,
                quantity,
                counter,
            });
        }

        // Records of one entry share vendor, company and product type, so (product, metric)
        // is the contract's order; the counter name makes the error message deterministic.
        candidates.sort_unstable_by(|a, b| {
            (a.key.as_ref(), a.metric.as_str(), a.counter).cmp(&(
                b.key.as_ref(),
                b.metric.as_str(),
                b.counter,
            ))
        });
        self.check_duplicates(&mut candidates)?;

        let product_type = self.product_type.map(product_type_name);
        // Records of one entry share vendor, company and product type, and the candidates are
        // sorted by (product, metric): the records are in the contract's order already.
        let records: Vec<UsageRecord> = candidates
            .into_iter()
            .map(|candidate| UsageRecord {
                vendor: Vendor::Bitdefender,
                company_id: self.company.id.clone(),
                company_name: self.company.name.clone(),
                parent_company_id: self.company.parent_id.clone(),
                period_start: self.period.start,
                period_end: self.period.end,
                product_name: candidate.name.map(str::to_owned),
                product: candidate.key.into_owned(),
                product_type: product_type.as_ref().map(|t| t.clone().into_owned()),
                license_type: None,
                metric: candidate.metric,
                unit: candidate.unit,
                quantity: candidate.quantity,
                source: self.source.to_owned(),
            })
            .collect();
        debug_assert!(
            records
                .windows(2)
                .all(|w| matches!(w, [a, b] if record_order(a, b).is_le()))
        );
        Ok(records)
    }

    /// Drops a counter that repeats another with the same value; errors when they disagree.
    fn check_duplicates(&self, candidates: &mut Vec<Candidate<'_>>) -> Result<(), CoreError> {
        for pair in candidates.windows(2) {
            if let [a, b] = pair
                && a.key == b.key
                && a.metric == b.metric
                && a.quantity != b.quantity
            {
                let name = |c: &Candidate<'_>| match c.metric {
                    Metric::MinimumUsage => format!("minimumUsage.{}", c.counter),
                    _ => c.counter.to_owned(),
                };
                return Err(CoreError::GzConflictingCounters {
                    company_id: self.company.id.clone(),
                    product_type: self.product_type,
                    product: a.key.clone().into_owned(),
                    metric: a.metric.as_str(),
                    counters: format!(
                        "`{}` = {} and `{}` = {}",
                        name(a),
                        a.quantity,
                        name(b),
                        b.quantity
                    ),
                });
            }
        }
        candidates.dedup_by(|b, a| a.key == b.key && a.metric == b.metric);
        Ok(())
    }

    /// The error for a counter whose value (`sent`, as the vendor wrote it) is not a count.
    fn invalid(
        &self,
        counter: &str,
        metric: Metric,
        sent: String,
        reason: &'static str,
    ) -> CoreError {
        CoreError::GzInvalidCounter {
            company_id: self.company.id.clone(),
            product_type: self.product_type,
            counter: match metric {
                Metric::MinimumUsage => format!("minimumUsage.{counter}"),
                _ => counter.to_owned(),
            },
            value: sent,
            reason,
        }
    }
}

/// A counter's value as a record quantity: a whole number >= 0, or any number >= 0 for
/// `hour`; whole numbers become integers. The error is the reason it is not a count.
fn to_quantity(raw: Raw, unit: Unit) -> Result<Number, &'static str> {
    let value = match raw {
        Raw::Whole(whole) => return Ok(Number::from(whole)),
        Raw::Float(value) => value,
    };
    // 2^64: every whole f64 below it converts to u64 exactly.
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    if !value.is_finite() {
        Err("is not a finite number")
    } else if value < 0.0 {
        Err("is negative, which no count can be")
    } else if value.fract() == 0.0 && value < LIMIT {
        // Whole and in range: the conversion is exact (and -0.0 becomes 0).
        Ok(Number::from(value as u64))
    } else if unit == Unit::Hour {
        Number::from_f64(value).ok_or("is not a finite number")
    } else if value.fract() != 0.0 {
        Err("is not a whole number, but its unit is not `hour`")
    } else {
        Err("is too large for a count")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Names of the typed counters and their keys.
    fn typed_counter_names() -> Vec<(&'static str, &'static str)> {
        let empty: MonthlyUsage = serde_json::from_str("{}").unwrap();
        monthly_counters(&empty)
            .iter()
            .map(|(json, key, _)| (*json, *key))
            .collect()
    }

    #[test]
    fn typed_counter_keys_follow_the_product_key_rule() {
        let names = typed_counter_names();
        assert_eq!(names.len(), TYPED_COUNTERS);
        for (json, key) in names {
            assert_eq!(product_key(json), key, "{json}");
            assert!(describe(key).1.is_some(), "{key} has no unit or name");
        }
    }
}
