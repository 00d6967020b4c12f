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
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde_json::{Map, Number, Value};
use usage_models::bitdefender::{
    GetMonthlyUsagePerProductTypeResult, GetMonthlyUsageResult, MonthlyUsage, ProductTypeUsage,
};

use crate::counters::{
    Described, describe_key, describe_known, known_index_const, write_product_key,
};
use crate::{CompanyRole, CoreError, Metric, Period, Unit, UsageRecord, Vendor, record_order};

/// `source` of records from `getMonthlyUsage`.
pub const GZ_MONTHLY_SOURCE: &str = "bitdefender:licensing.getMonthlyUsage";
/// `source` of records from `getMonthlyUsagePerProductType`.
pub const GZ_PER_PRODUCT_TYPE_SOURCE: &str = "bitdefender:licensing.getMonthlyUsagePerProductType";

/// The company a GravityZone result belongs to: the result itself does not say.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyRef {
    /// GravityZone company id, as the vendor spells it.
    pub id: String,
    /// The company's name, when known.
    pub name: Option<String>,
    /// The company directly above it in the tree; `None` for the API key's own company.
    pub parent_id: Option<String>,
    /// Where the company sits in the tree: `Msp` for the API key's own company, `Reseller` for
    /// a partner, else `Customer`.
    pub role: CompanyRole,
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
                shared: SharedCompany::new(company),
                period,
                product_type: None,
                source: Arc::clone(&MONTHLY_SOURCE),
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
    let shared = SharedCompany::new(company);
    let source = Arc::clone(&PER_PRODUCT_TYPE_SOURCE);
    let mut records = Vec::new();
    for (name, product_type, usage) in entries {
        let typed = product_type_counters(usage);
        let entry = Entry {
            company,
            shared: shared.clone(),
            period,
            product_type: Some((product_type, Arc::from(name.as_ref()))),
            source: Arc::clone(&source),
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

/// One typed counter: JSON name, product key, its index in the known counters, value (`None`:
/// absent or null).
type Typed = (&'static str, &'static str, usize, Option<Raw>);

/// Hands the list of typed counters to `$callback`, after `$args`. The list is sorted by
/// (product key, JSON name), the order their records are written in, so sorting the
/// candidates of a result finds them in order already.
macro_rules! with_typed_counters {
    ($callback:ident!($($args:tt)*)) => {
        $callback! { $($args)* {
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
            integrity_monitoring_usage: "integrityMonitoringUsage" => "integrity_monitoring",
            integrity_monitoring180_days_usage: "integrityMonitoring180DaysUsage" => "integrity_monitoring_180_days",
            integrity_monitoring1_year_usage: "integrityMonitoring1YearUsage" => "integrity_monitoring_1_year",
            integrity_monitoring90_days_usage: "integrityMonitoring90DaysUsage" => "integrity_monitoring_90_days",
            mdr_foundations_monthly_usage: "mdrFoundationsMonthlyUsage" => "mdr_foundations",
            mdr_response_monthly_usage: "mdrResponseMonthlyUsage" => "mdr_response",
            mobile_security_monthly_usage: "mobileSecurityMonthlyUsage" => "mobile_security",
            msp_secure_monthly_usage: "mspSecureMonthlyUsage" => "msp_secure",
            msp_secure_essentials_monthly_usage: "mspSecureEssentialsMonthlyUsage" => "msp_secure_essentials",
            msp_secure_extra_monthly_usage: "mspSecureExtraMonthlyUsage" => "msp_secure_extra",
            msp_secure_plus_monthly_usage: "mspSecurePlusMonthlyUsage" => "msp_secure_plus",
            patch_management_monthly_usage: "patchManagementMonthlyUsage" => "patch_management",
            sve_vdi_monthly_usage: "sveVdiMonthlyUsage" => "sve_vdi",
            sve_vs_monthly_usage: "sveVsMonthlyUsage" => "sve_vs",
            xdr_identity_sensors_monthly_usage: "xdrIdentitySensorsMonthlyUsage" => "xdr_identity_sensors",
            xdr_productivity_sensors_monthly_usage: "xdrProductivitySensorsMonthlyUsage" => "xdr_productivity_sensors",
        }}
    };
}

/// Destructures a counter struct without `..`, so a counter added to the generated models
/// stops the build here instead of being dropped silently. A key that is not a known counter's
/// stops it too (the index is computed at compile time).
macro_rules! typed_counters {
    ($value:expr, $ty:ident, [$($other:ident),*] { $($field:ident: $json:literal => $key:literal),* $(,)? }) => {{
        let $ty { $($field,)* $($other: _,)* } = $value;
        [$(($json, $key, const { known_index_const($key) }, $field.map(Raw::from))),*]
    }};
}

/// Defines `typed_counter`: a typed counter's key and known-counter index by its JSON name.
macro_rules! typed_counter_by_name {
    ({ $($field:ident: $json:literal => $key:literal),* $(,)? }) => {
        /// The product key and known-counter index of a typed counter's JSON name (a
        /// `minimumUsage` entry is named like the counter it is the minimum of).
        fn typed_counter(counter: &str) -> Option<(&'static str, usize)> {
            match counter {
                $($json => Some(($key, const { known_index_const($key) })),)*
                _ => None,
            }
        }
    };
}

with_typed_counters!(typed_counter_by_name!());

/// Number of typed counters in the generated models.
const TYPED_COUNTERS: usize = 26;

fn monthly_counters(usage: &MonthlyUsage) -> [Typed; TYPED_COUNTERS] {
    with_typed_counters!(typed_counters!(usage, MonthlyUsage, [minimum_usage, extra]))
}

fn product_type_counters(usage: &ProductTypeUsage) -> [Typed; TYPED_COUNTERS] {
    with_typed_counters!(typed_counters!(
        usage,
        ProductTypeUsage,
        [minimum_usage, extra, product_type]
    ))
}

/// [`GZ_MONTHLY_SOURCE`], allocated once per process and shared by every record that has it.
static MONTHLY_SOURCE: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(GZ_MONTHLY_SOURCE));
/// [`GZ_PER_PRODUCT_TYPE_SOURCE`], allocated once per process and shared likewise.
static PER_PRODUCT_TYPE_SOURCE: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from(GZ_PER_PRODUCT_TYPE_SOURCE));

/// The company's strings as every record of one call shares them.
#[derive(Clone)]
struct SharedCompany {
    id: Arc<str>,
    name: Option<Arc<str>>,
    parent_id: Option<Arc<str>>,
    role: CompanyRole,
}

impl SharedCompany {
    fn new(company: &CompanyRef) -> Self {
        SharedCompany {
            id: Arc::from(company.id.as_str()),
            name: company.name.as_deref().map(Arc::from),
            parent_id: company.parent_id.as_deref().map(Arc::from),
            role: company.role,
        }
    }
}

/// A counter on its way to a record.
struct Candidate<'a> {
    /// Product key, unit and built-in name.
    described: Described,
    metric: Metric,
    quantity: Number,
    /// The counter's JSON name as sent, for error messages.
    counter: &'a str,
}

/// What one result object (or one per-product-type entry) shares across its records.
struct Entry<'a> {
    /// The company, for error messages.
    company: &'a CompanyRef,
    /// The company's strings, for the records.
    shared: SharedCompany,
    period: Period,
    /// The entry's `productType` and its name.
    product_type: Option<(i64, Arc<str>)>,
    source: Arc<str>,
}

impl Entry<'_> {
    fn records<'a>(
        &self,
        typed: &[Typed],
        extra: &'a Map<String, Value>,
        minimums: Option<&'a BTreeMap<String, f64>>,
    ) -> Result<Vec<UsageRecord>, CoreError> {
        let capacity = typed.len() + extra.len() + minimums.map_or(0, |m| m.len());
        let mut candidates: Vec<Candidate<'a>> = Vec::with_capacity(capacity);

        for &(counter, key, index, raw) in typed {
            if let Some(raw) = raw {
                let described = describe_known(index).unwrap_or_else(|| describe_key(key));
                let quantity = to_quantity(raw, described.unit).map_err(|reason| {
                    let sent = match raw {
                        Raw::Whole(whole) => whole.to_string(),
                        Raw::Float(value) => value.to_string(),
                    };
                    self.invalid(counter, Metric::MonthlyUsage, sent, reason)
                })?;
                candidates.push(Candidate {
                    described,
                    metric: Metric::MonthlyUsage,
                    quantity,
                    counter,
                });
            }
        }

        // One buffer for the product keys of the counters the models do not know.
        let mut key = String::new();
        for (counter, value) in extra {
            // Only numbers are counters; null means "not reported", not 0.
            let Value::Number(number) = value else {
                continue;
            };
            write_product_key(counter, &mut key);
            let described = describe_key(&key);
            let raw = match number.as_u64() {
                Some(whole) => Raw::Whole(whole),
                None => Raw::Float(number.as_f64().unwrap_or(f64::NAN)),
            };
            let quantity = to_quantity(raw, described.unit).map_err(|reason| {
                self.invalid(counter, Metric::MonthlyUsage, number.to_string(), reason)
            })?;
            candidates.push(Candidate {
                described,
                metric: Metric::MonthlyUsage,
                quantity,
                counter,
            });
        }

        for (counter, &minimum) in minimums.into_iter().flatten() {
            let described = match typed_counter(counter) {
                Some((typed_key, index)) => {
                    describe_known(index).unwrap_or_else(|| describe_key(typed_key))
                }
                None => {
                    write_product_key(counter, &mut key);
                    describe_key(&key)
                }
            };
            let quantity = to_quantity(Raw::Float(minimum), described.unit).map_err(|reason| {
                self.invalid(counter, Metric::MinimumUsage, minimum.to_string(), reason)
            })?;
            candidates.push(Candidate {
                described,
                metric: Metric::MinimumUsage,
                quantity,
                counter,
            });
        }

        // Records of one entry share vendor, company and product type, so (product, metric)
        // is the contract's order; the counter name makes the error message deterministic.
        // (product key, metric, counter) is unique, so any sort gives the same order; a stable
        // sort is close to linear here, as the typed counters come in this order already.
        candidates.sort_by(|a, b| {
            (&*a.described.key, a.metric.as_str(), a.counter).cmp(&(
                &*b.described.key,
                b.metric.as_str(),
                b.counter,
            ))
        });
        self.check_duplicates(&mut candidates)?;

        let product_type = self.product_type.as_ref().map(|(_, name)| name);
        // Records of one entry share vendor, company and product type, and the candidates are
        // sorted by (product, metric): the records are in the contract's order already.
        let records: Vec<UsageRecord> = candidates
            .into_iter()
            .map(|candidate| UsageRecord {
                vendor: Vendor::Bitdefender,
                company_id: Arc::clone(&self.shared.id),
                company_name: self.shared.name.clone(),
                parent_company_id: self.shared.parent_id.clone(),
                company_role: self.shared.role,
                period_start: self.period.start,
                period_end: self.period.end,
                product: candidate.described.key,
                product_name: candidate.described.name,
                product_type: product_type.cloned(),
                license_type: None,
                metric: candidate.metric,
                unit: candidate.described.unit,
                quantity: candidate.quantity,
                source: Arc::clone(&self.source),
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
                && a.described.key == b.described.key
                && a.metric == b.metric
                && a.quantity != b.quantity
            {
                let name = |c: &Candidate<'_>| match c.metric {
                    Metric::MinimumUsage => format!("minimumUsage.{}", c.counter),
                    _ => c.counter.to_owned(),
                };
                return Err(CoreError::GzConflictingCounters {
                    company_id: self.company.id.clone(),
                    product_type: self.product_type.as_ref().map(|(number, _)| *number),
                    product: a.described.key.to_string(),
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
        candidates.dedup_by(|b, a| a.described.key == b.described.key && a.metric == b.metric);
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
            product_type: self.product_type.as_ref().map(|(number, _)| *number),
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
    use crate::counters::{KNOWN_COUNTERS, describe, product_key};

    /// Names of the typed counters, their keys and known-counter indexes.
    fn typed_counter_names() -> Vec<(&'static str, &'static str, usize)> {
        let empty: MonthlyUsage = serde_json::from_str("{}").unwrap();
        monthly_counters(&empty)
            .iter()
            .map(|(json, key, index, _)| (*json, *key, *index))
            .collect()
    }

    #[test]
    fn typed_counter_keys_follow_the_product_key_rule() {
        let names = typed_counter_names();
        assert_eq!(names.len(), TYPED_COUNTERS);
        for (json, key, index) in names {
            assert_eq!(product_key(json), key, "{json}");
            assert!(describe(key).1.is_some(), "{key} has no unit or name");
            assert_eq!(KNOWN_COUNTERS[index].key, key, "{json}");
            assert_eq!(typed_counter(json), Some((key, index)), "{json}");
        }
        assert_eq!(typed_counter("phasrMonthlyUsage"), None);
    }

    /// The typed counters come in record order, so sorting a result's candidates is cheap.
    #[test]
    fn typed_counters_are_in_record_order() {
        let names = typed_counter_names();
        assert!(
            names
                .windows(2)
                .all(|w| (w[0].1, w[0].0) < (w[1].1, w[1].0)),
            "{names:?}"
        );
    }
}
