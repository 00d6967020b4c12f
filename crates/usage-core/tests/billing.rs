//! The billing view: totals never count a GravityZone child twice; ESET average seats.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use serde_json::{Number, json};
use usage_core::billing::{Total, eset_average_seats, totals};
use usage_core::{
    CompanyRef, CompanyRole, EsetReportKind, GzMonthly, Metric, Month, Period, Unit, UsageRecord,
    Vendor, normalize_eset_company, normalize_gz_monthly, normalize_gz_per_product_type,
};

fn march() -> Period {
    Month::new(2026, 3).unwrap().into()
}

fn gz_company(id: &str, parent: Option<&str>, result: serde_json::Value) -> Vec<UsageRecord> {
    let company = CompanyRef {
        id: id.into(),
        name: None,
        parent_id: parent.map(Into::into),
        role: if parent.is_some() {
            CompanyRole::Customer
        } else {
            CompanyRole::Msp
        },
    };
    match normalize_gz_monthly(&serde_json::from_value(result).unwrap(), &company, march()).unwrap()
    {
        GzMonthly::Records(records) => records,
        GzMonthly::WithoutMonthlyLicense => vec![],
    }
}

fn total<'a>(
    totals: &'a [Total],
    vendor: Vendor,
    product: &str,
    product_type: Option<&str>,
) -> &'a Total {
    totals
        .iter()
        .find(|t| {
            t.vendor == vendor && t.product == product && t.product_type.as_deref() == product_type
        })
        .unwrap_or_else(|| panic!("no total for {product}"))
}

/// root R -> A, B; A -> C. Every parent's counters include its children's.
fn tree() -> Vec<UsageRecord> {
    let mut records = Vec::new();
    records.extend(gz_company(
        "R",
        None,
        json!({"endpointMonthlyUsage": 12, "sveVdiMonthlyUsage": 3.5}),
    ));
    records.extend(gz_company(
        "A",
        Some("R"),
        json!({"endpointMonthlyUsage": 8, "sveVdiMonthlyUsage": 1.5}),
    ));
    records.extend(gz_company(
        "B",
        Some("R"),
        json!({"endpointMonthlyUsage": 4, "sveVdiMonthlyUsage": 2}),
    ));
    records.extend(gz_company(
        "C",
        Some("A"),
        json!({"endpointMonthlyUsage": 3, "edrMonthlyUsage": 1}),
    ));
    records
}

#[test]
fn gz_children_are_not_counted_twice() {
    let records = tree();
    let totals = totals(&records);
    let endpoint = total(&totals, Vendor::Bitdefender, "endpoint", None);
    assert_eq!(
        endpoint.quantity,
        Number::from(12u64),
        "only the root counts"
    );
    assert_eq!(endpoint.companies, 4);
    assert_eq!(
        (endpoint.metric, endpoint.unit),
        (Metric::MonthlyUsage, Unit::Endpoint)
    );
    let hours = total(&totals, Vendor::Bitdefender, "sve_vdi", None);
    assert_eq!(hours.quantity.to_string(), "3.5");
    // Only C reports EDR: it counts, since no ancestor has an `edr` record.
    assert_eq!(
        total(&totals, Vendor::Bitdefender, "edr", None).quantity,
        Number::from(1u64)
    );
}

#[test]
fn without_the_root_its_children_are_the_top() {
    let records: Vec<_> = tree()
        .into_iter()
        .filter(|r| &*r.company_id != "R")
        .collect();
    let totals = totals(&records);
    // A (8, which includes C's 3) + B (4).
    assert_eq!(
        total(&totals, Vendor::Bitdefender, "endpoint", None).quantity,
        Number::from(12u64)
    );
    // Fractional hours add up as numbers: 1.5 + 2.
    assert_eq!(
        total(&totals, Vendor::Bitdefender, "sve_vdi", None)
            .quantity
            .to_string(),
        "3.5"
    );
    // Without A, C's parent is absent: its chain ends and C counts with B.
    let records: Vec<_> = tree()
        .into_iter()
        .filter(|r| &*r.company_id == "B" || &*r.company_id == "C")
        .collect();
    assert_eq!(
        total(&totals_of(&records), Vendor::Bitdefender, "endpoint", None).quantity,
        Number::from(7u64)
    );
}

fn totals_of(records: &[UsageRecord]) -> Vec<Total> {
    totals(records)
}

#[test]
fn per_product_type_totals_stay_apart() {
    let mut records = tree();
    let company = CompanyRef {
        id: "R".into(),
        name: None,
        parent_id: None,
        role: CompanyRole::Msp,
    };
    records.extend(
        normalize_gz_per_product_type(
            &serde_json::from_value(json!({"usages": [
                {"productType": 0, "endpointMonthlyUsage": 9},
                {"productType": 3, "endpointMonthlyUsage": 0}
            ]}))
            .unwrap(),
            &company,
            march(),
        )
        .unwrap(),
    );
    let totals = totals(&records);
    assert_eq!(
        total(&totals, Vendor::Bitdefender, "endpoint", None).quantity,
        Number::from(12u64)
    );
    assert_eq!(
        total(
            &totals,
            Vendor::Bitdefender,
            "endpoint",
            Some("endpoint_security")
        )
        .quantity,
        Number::from(9u64)
    );
    assert_eq!(
        total(&totals, Vendor::Bitdefender, "endpoint", Some("edr")).quantity,
        Number::from(0u64)
    );
}

#[test]
fn eset_sums_every_company_and_orders_totals() {
    let page = |id: &str, seat_days: u64, seats: u64| {
        let company = serde_json::from_value(json!({"companyId": id, "categories": [
            {"code": "EES", "seatDays": seat_days, "seats": seats}]}))
        .unwrap();
        normalize_eset_company(
            &company,
            EsetReportKind::Categories,
            march(),
            "UsageReport/AllCompanies/categories",
            Some("msp"),
            CompanyRole::Customer,
        )
        .unwrap()
    };
    let mut records = tree();
    records.extend(page("e-1", 93, 3));
    records.extend(page("e-2", 31, 1));
    let totals = totals(&records);
    let seat_days = totals
        .iter()
        .find(|t| t.vendor == Vendor::Eset && t.metric == Metric::SeatDays)
        .unwrap();
    assert_eq!(
        (seat_days.quantity.clone(), seat_days.companies),
        (Number::from(124u64), 2)
    );
    let keys: Vec<_> = totals
        .iter()
        .map(|t| {
            (
                t.vendor.as_str(),
                t.product_type.clone(),
                t.product.clone(),
                t.metric.as_str(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "totals come in (vendor, product_type, product, metric) order"
    );
    assert_eq!(
        serde_json::to_value(seat_days).unwrap(),
        json!({"vendor": "eset", "product": "EES", "product_type": null, "metric": "seat_days",
               "unit": "seat_day", "quantity": 124, "companies": 2})
    );
}

#[test]
fn parent_cycles_terminate() {
    let mut records = gz_company("X", Some("Y"), json!({"endpointMonthlyUsage": 1}));
    records.extend(gz_company(
        "Y",
        Some("X"),
        json!({"endpointMonthlyUsage": 1}),
    ));
    let totals = totals(&records);
    assert_eq!(totals.len(), 1);
}

#[test]
fn eset_average_seats_is_seat_days_per_day() {
    assert_eq!(eset_average_seats(93, march()), 3.0);
    assert_eq!(eset_average_seats(0, march()), 0.0);
    let feb: Period = Month::new(2024, 2).unwrap().into();
    assert!((eset_average_seats(100, feb) - 100.0 / 29.0).abs() < 1e-12);
    let inverted = Period {
        start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    };
    assert!(eset_average_seats(10, inverted).is_nan());
}
