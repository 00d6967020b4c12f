//! A small billing view of normalized records: totals that never count a GravityZone child
//! twice, and the ESET average seats of a period.
//!
//! Both are derived figures: the records stay the vendors' numbers, untouched.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Number;

use crate::{Metric, Period, Unit, UsageRecord, Vendor};

/// The total of one vendor, product type, product, metric and unit over a set of records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Total {
    /// The vendor.
    pub vendor: Vendor,
    /// The product key.
    pub product: String,
    /// GravityZone product type (per-product-type records), else `None`. Records with a
    /// product type are never added to records without one.
    pub product_type: Option<String>,
    /// What the quantity measures.
    pub metric: Metric,
    /// What one unit of the quantity counts.
    pub unit: Unit,
    /// The sum (see [`totals`] for what is added); an integer unless a fractional quantity
    /// (hours) was added.
    pub quantity: Number,
    /// How many distinct companies the total covers: every company with a record in the
    /// group, including GravityZone children whose usage is already inside an ancestor's.
    pub companies: usize,
}

/// Totals per (vendor, product_type, product, metric, unit), in that order.
///
/// - ESET: the quantities of all companies are added (ESET reports each company's own usage).
/// - GravityZone: a parent company's counters already include its children's, so a company's
///   record is added only if none of its ancestors has a record in the same group. Ancestors
///   are followed through `parent_company_id` among the companies present in `records`; a
///   parent that is not present ends the chain. (The parent chains are expected to form a
///   tree; should they loop, the walk stops after one round.)
///
/// Records of different periods are added as they are: pass one period's records.
pub fn totals(records: &[UsageRecord]) -> Vec<Total> {
    let ancestors = gz_ancestors(records);

    let mut groups: BTreeMap<GroupKey<'_>, Vec<&UsageRecord>> = BTreeMap::new();
    for record in records {
        groups.entry(GroupKey::of(record)).or_default().push(record);
    }

    groups
        .into_values()
        .map(|members| {
            let companies: HashSet<&str> = members.iter().map(|r| &*r.company_id).collect();
            let mut sum = Sum::default();
            for record in &members {
                let counted_by_ancestor = record.vendor == Vendor::Bitdefender
                    && ancestors
                        .get(&*record.company_id)
                        .is_some_and(|chain| chain.iter().any(|a| companies.contains(a)));
                if !counted_by_ancestor {
                    sum.add(&record.quantity);
                }
            }
            // `members` is never empty: a group exists because a record opened it.
            let first = members.first().copied();
            Total {
                vendor: first.map_or(Vendor::Eset, |r| r.vendor),
                product: first.map(|r| r.product.to_string()).unwrap_or_default(),
                product_type: first.and_then(|r| r.product_type.as_deref().map(str::to_owned)),
                metric: first.map_or(Metric::MonthlyUsage, |r| r.metric),
                unit: first.map_or(Unit::Unit, |r| r.unit),
                quantity: sum.total(),
                companies: companies.len(),
            }
        })
        .collect()
}

/// ESET average seats of a period: `seat_days / days in the period`.
///
/// A derived figure, not a vendor number: ESET reports seat-days (days of use summed over all
/// devices) and the seats ordered on the period's last day; the average says how many seats
/// were in use on an average day. A period that ends before it starts has no days: NaN.
pub fn eset_average_seats(seat_days: u64, period: Period) -> f64 {
    match period.days() {
        0 => f64::NAN,
        days => seat_days as f64 / days as f64,
    }
}

/// What records are grouped by; compared as text, like the record order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey<'a> {
    vendor: &'static str,
    product_type: Option<&'a str>,
    product: &'a str,
    metric: &'static str,
    unit: &'static str,
}

impl<'a> GroupKey<'a> {
    fn of(record: &'a UsageRecord) -> Self {
        GroupKey {
            vendor: record.vendor.as_str(),
            product_type: record.product_type.as_deref(),
            product: &record.product,
            metric: record.metric.as_str(),
            unit: record.unit.as_str(),
        }
    }
}

/// Every GravityZone company's ancestors among the companies present in `records`, nearest
/// first.
fn gz_ancestors(records: &[UsageRecord]) -> HashMap<&str, Vec<&str>> {
    let mut parent_of: HashMap<&str, Option<&str>> = HashMap::new();
    for record in records.iter().filter(|r| r.vendor == Vendor::Bitdefender) {
        parent_of
            .entry(&*record.company_id)
            .or_insert(record.parent_company_id.as_deref());
    }
    parent_of
        .keys()
        .map(|&company| {
            let mut chain = Vec::new();
            let mut next = parent_of.get(company).copied().flatten();
            while let Some(parent) = next {
                if !parent_of.contains_key(parent) || parent == company || chain.contains(&parent) {
                    break;
                }
                chain.push(parent);
                next = parent_of.get(parent).copied().flatten();
            }
            (company, chain)
        })
        .collect()
}

/// A sum of quantities that stays an exact integer while every addend is one.
#[derive(Debug, Default)]
struct Sum {
    whole: u128,
    fractional: f64,
    any_fractional: bool,
}

impl Sum {
    fn add(&mut self, quantity: &Number) {
        if let Some(whole) = quantity.as_u64() {
            self.whole = self.whole.saturating_add(u128::from(whole));
        } else if let Some(value) = quantity.as_f64() {
            self.fractional += value;
            self.any_fractional = true;
        }
    }

    fn total(&self) -> Number {
        if let (false, Ok(whole)) = (self.any_fractional, u64::try_from(self.whole)) {
            return Number::from(whole);
        }
        let value = self.whole as f64 + self.fractional;
        if value.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&value) {
            return Number::from(value as u64);
        }
        Number::from_f64(value).unwrap_or_else(|| Number::from(u64::MAX))
    }
}
