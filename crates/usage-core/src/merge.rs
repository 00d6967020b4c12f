//! A company that a vendor lists twice (on one page or on two): its rows are merged, never
//! dropped, and the same row twice with different numbers is refused (SPEC section 5).

use crate::UsageRecord;

/// The same row (product, license type, metric) came twice with different quantities.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "listed twice with different numbers for `{product}` ({metric}): {first} and {second}; \
     check the company in the vendor's console and run again"
)]
pub struct RowConflict {
    /// The product key.
    pub product: String,
    /// The metric, as written in the output (`seat_days`, `seats`).
    pub metric: String,
    /// The quantity first seen.
    pub first: String,
    /// The quantity seen again.
    pub second: String,
}

/// The records of a company's repeated entry that are not already among `existing` (that
/// company's records so far): a row seen before with the same quantity is a repeat and is
/// skipped; a row not seen before is new and is kept; the same row with another quantity is a
/// conflict. Rows are matched on product, license type and metric.
pub fn merge_repeated(
    existing: &[&UsageRecord],
    repeated: Vec<UsageRecord>,
) -> Result<Vec<UsageRecord>, RowConflict> {
    let mut added = Vec::new();
    for record in repeated {
        let same_row = |other: &&&UsageRecord| {
            other.product == record.product
                && other.license_type == record.license_type
                && other.metric == record.metric
                && other.product_type == record.product_type
        };
        match existing.iter().find(same_row) {
            Some(first) if first.quantity == record.quantity => {}
            Some(first) => {
                return Err(RowConflict {
                    product: record.product.to_string(),
                    metric: serde_json::to_value(record.metric)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    first: first.quantity.to_string(),
                    second: record.quantity.to_string(),
                });
            }
            None => added.push(record),
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;
    use crate::{LicenseType, Metric, Period, Unit, Vendor};

    fn record(product: &str, metric: Metric, quantity: u64) -> UsageRecord {
        let period: Period = "2026-10".parse::<crate::Month>().unwrap().into();
        UsageRecord {
            vendor: Vendor::Eset,
            company_id: Arc::from("c-1"),
            company_name: None,
            parent_company_id: None,
            company_role: crate::CompanyRole::Customer,
            period_start: period.start,
            period_end: period.end,
            product: Arc::from(product),
            product_name: None,
            product_type: None,
            license_type: Some(LicenseType::Full),
            metric,
            unit: Unit::SeatDay,
            quantity: quantity.into(),
            source: Arc::from("eset:test"),
        }
    }

    #[test]
    fn repeats_are_skipped_new_rows_kept_conflicts_refused() {
        let first = [record("ENDPOINT", Metric::SeatDays, 310)];
        let existing: Vec<&UsageRecord> = first.iter().collect();
        let same = merge_repeated(&existing, vec![record("ENDPOINT", Metric::SeatDays, 310)]);
        assert_eq!(same.unwrap(), Vec::new());
        let added =
            merge_repeated(&existing, vec![record("SERVER", Metric::SeatDays, 62)]).unwrap();
        assert_eq!(added.len(), 1);
        let conflict =
            merge_repeated(&existing, vec![record("ENDPOINT", Metric::SeatDays, 311)]).unwrap_err();
        assert_eq!(
            (
                conflict.first.as_str(),
                conflict.second.as_str(),
                conflict.metric.as_str()
            ),
            ("310", "311", "seat_days")
        );
    }
}
