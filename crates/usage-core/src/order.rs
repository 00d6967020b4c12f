//! The deterministic order of records (SPEC section 2).

use std::cmp::Ordering;

use crate::UsageRecord;

/// Sorts records by vendor, company_id, product_type, product, metric, so the same input always
/// gives byte-identical output.
///
/// Every key compares as the text it is written as (`"bitdefender"` before `"eset"`,
/// `"minimum_usage"` before `"monthly_usage"`, a null `product_type` first), so the order can
/// be checked on the output alone. Ties (e.g. a full and a trial row of one ESET product) are
/// broken by license_type, period_start, period_end and source; records equal in all of these
/// keep their input order (the sort is stable).
pub fn sort_records(records: &mut [UsageRecord]) {
    records.sort_by(record_order);
}

/// The order [`sort_records`] sorts by.
pub fn record_order(a: &UsageRecord, b: &UsageRecord) -> Ordering {
    a.vendor
        .as_str()
        .cmp(b.vendor.as_str())
        .then_with(|| a.company_id.cmp(&b.company_id))
        .then_with(|| a.product_type.cmp(&b.product_type))
        .then_with(|| a.product.cmp(&b.product))
        .then_with(|| a.metric.as_str().cmp(b.metric.as_str()))
        .then_with(|| {
            let license = |r: &UsageRecord| r.license_type.map(|l| l.as_str());
            license(a).cmp(&license(b))
        })
        .then_with(|| a.period_start.cmp(&b.period_start))
        .then_with(|| a.period_end.cmp(&b.period_end))
        .then_with(|| a.source.cmp(&b.source))
}
