//! The normalization rules of SPEC section 2, on small inline payloads.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use serde_json::{Value, json};
use usage_core::{
    CompanyRef, CompanyRole, CoreError, EsetReportKind, GzMonthly, LicenseType, Metric, Month,
    Period, Unit, UsageRecord, Vendor, normalize_eset_company, normalize_gz_monthly,
    normalize_gz_per_product_type, record_order,
};
use usage_models::bitdefender::{GetMonthlyUsagePerProductTypeResult, GetMonthlyUsageResult};
use usage_models::eset::UsageCompany;

fn march() -> Period {
    Month::new(2026, 3).unwrap().into()
}

fn eset(company: Value, kind: EsetReportKind) -> Result<Vec<UsageRecord>, CoreError> {
    let company: UsageCompany = serde_json::from_value(company).unwrap();
    let endpoint = format!("UsageReport/AllCompanies/{}", kind.rows_key());
    normalize_eset_company(
        &company,
        kind,
        march(),
        &endpoint,
        Some("parent-guid"),
        CompanyRole::Customer,
    )
}

fn company() -> CompanyRef {
    CompanyRef {
        id: "gz-1".into(),
        name: Some("Acme Ltd".into()),
        parent_id: Some("gz-root".into()),
        role: CompanyRole::Customer,
    }
}

fn gz(result: Value) -> Result<GzMonthly, CoreError> {
    let result: GetMonthlyUsageResult = serde_json::from_value(result).unwrap();
    normalize_gz_monthly(&result, &company(), march())
}

fn gz_records(result: Value) -> Vec<UsageRecord> {
    match gz(result).unwrap() {
        GzMonthly::Records(records) => records,
        GzMonthly::WithoutMonthlyLicense => panic!("expected records"),
    }
}

fn gz_per_type(result: Value) -> Result<Vec<UsageRecord>, CoreError> {
    let result: GetMonthlyUsagePerProductTypeResult = serde_json::from_value(result).unwrap();
    normalize_gz_per_product_type(&result, &company(), march())
}

/// (product, metric, unit, quantity as JSON text) of each record.
fn summary(records: &[UsageRecord]) -> Vec<(String, &'static str, &'static str, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.product.to_string(),
                r.metric.as_str(),
                r.unit.as_str(),
                r.quantity.to_string(),
            )
        })
        .collect()
}

fn find<'a>(records: &'a [UsageRecord], product: &str, metric: Metric) -> &'a UsageRecord {
    records
        .iter()
        .find(|r| &*r.product == product && r.metric == metric)
        .unwrap_or_else(|| panic!("no {product} {metric} record"))
}

fn assert_sorted(records: &[UsageRecord]) {
    assert!(
        records
            .windows(2)
            .all(|w| record_order(&w[0], &w[1]).is_le())
    );
}

// ---------------------------------------------------------------------------------------------
// ESET

#[test]
fn eset_rows_give_seat_days_and_seats_records() {
    let records = eset(
        json!({
            "companyId": "c-1", "companyName": "Flowers BV", "totalUsage": 124,
            "categories": [
                {"code": "EES", "name": "Endpoint Security", "licenseType": 1, "seatDays": 93, "seats": 3},
                {"code": 111, "name": "ESET Endpoint Security for Windows", "licenseType": "4", "seatDays": 31, "seats": 0}
            ]
        }),
        EsetReportKind::Categories,
    )
    .unwrap();
    assert_eq!(
        summary(&records),
        [
            ("111".into(), "seat_days", "seat_day", "31".into()),
            ("111".into(), "seats", "seat", "0".into()),
            ("EES".into(), "seat_days", "seat_day", "93".into()),
            ("EES".into(), "seats", "seat", "3".into()),
        ]
    );
    let r = &records[2];
    assert_eq!(r.vendor, Vendor::Eset);
    assert_eq!(&*r.company_id, "c-1");
    assert_eq!(r.company_name.as_deref(), Some("Flowers BV"));
    assert_eq!(r.parent_company_id.as_deref(), Some("parent-guid"));
    assert_eq!(r.period_start, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    assert_eq!(r.period_end, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    assert_eq!(r.product_name.as_deref(), Some("Endpoint Security"));
    assert_eq!(r.product_type, None);
    assert_eq!(r.license_type, Some(LicenseType::Full));
    assert_eq!(&*r.source, "eset:UsageReport/AllCompanies/categories");
    assert_eq!(records[0].license_type, Some(LicenseType::Trial));
    // Integers stay integers in the output.
    assert_eq!(serde_json::to_value(r).unwrap()["quantity"], json!(93));
}

#[test]
fn eset_products_reports_read_products() {
    let company = json!({
        "companyId": "c-1",
        "products": [{"code": "2015", "name": "ESET PROTECT Entry", "seatDays": 10, "seats": 1}]
    });
    let records = eset(company.clone(), EsetReportKind::Products).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(&*records[0].product, "2015");
    assert_eq!(records[0].license_type, None);
    assert_eq!(
        &*records[0].source,
        "eset:UsageReport/AllCompanies/products"
    );
    let err = eset(company, EsetReportKind::Categories).unwrap_err();
    assert!(
        matches!(err, CoreError::EsetReportKindMismatch { .. }),
        "{err}"
    );
}

/// Usage stated, but its rows under a key the schema does not name: an error that names the
/// key, never a company without usage. No total, or a total of 0, with no rows is no usage.
#[test]
fn eset_rows_under_an_unknown_key_are_an_error_not_a_zero() {
    let company = json!({
        "companyId": "c-9",
        "companyName": "Hôtel du Lac",
        "categoryUsages": [{"code": "ENDPOINT", "seatDays": 31, "seats": 1}],
        "totalUsage": 31
    });
    let err = eset(company, EsetReportKind::Categories).unwrap_err();
    assert!(
        matches!(&err, CoreError::EsetRowsMissing { total_usage: 31, keys, .. } if keys == &["categoryUsages"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("categoryUsages"), "{err}");
    let seats_only = json!({"companyId": "c-8", "totalSeats": 2, "rows": []});
    assert!(eset(seats_only, EsetReportKind::Categories).is_err());
    for quiet in [
        json!({"companyId": "c-7", "totalUsage": 0}),
        json!({"companyId": "c-6"}),
        json!({"companyId": "c-5", "categories": [], "totalUsage": 0, "totalSeats": 0}),
    ] {
        assert_eq!(eset(quiet, EsetReportKind::Categories).unwrap(), Vec::new());
    }
}

#[test]
fn eset_license_types() {
    for (value, expected) in [
        (json!(1), Some(LicenseType::Full)),
        (json!(4), Some(LicenseType::Trial)),
        (json!("1"), Some(LicenseType::Full)),
        (json!("4"), Some(LicenseType::Trial)),
        (json!(2), None),
        (json!("full"), None),
        (Value::Null, None),
    ] {
        let records = eset(
            json!({"companyId": "c", "categories": [
                {"code": "X", "licenseType": value, "seatDays": 1, "seats": 1}]}),
            EsetReportKind::Categories,
        )
        .unwrap();
        assert_eq!(records[0].license_type, expected, "{value}");
    }
}

#[test]
fn eset_missing_numbers_are_errors_never_zeros() {
    for (row, field) in [
        (json!({"code": "X", "seats": 1}), "seatDays"),
        (json!({"code": "X", "seatDays": 1}), "seats"),
        (
            json!({"code": "X", "seatDays": null, "seats": 1}),
            "seatDays",
        ),
        (json!({"seatDays": 1, "seats": 1}), "code"),
        (json!({"code": "", "seatDays": 1, "seats": 1}), "code"),
    ] {
        let err = eset(
            json!({"companyId": "c-9", "categories": [
                {"code": "OK", "seatDays": 1, "seats": 1}, row]}),
            EsetReportKind::Categories,
        )
        .unwrap_err();
        let CoreError::EsetRowIncomplete {
            company_id,
            row,
            field: missing,
            ..
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!((company_id.as_str(), *row, *missing), ("c-9", 1, field));
        let message = err.to_string();
        assert!(
            message.contains("`c-9`") && message.contains(field),
            "{message}"
        );
    }
    let message = eset(
        json!({"companyId": "c-9", "categories": [{"code": "X", "seats": 1}]}),
        EsetReportKind::Categories,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        message,
        "ESET company `c-9`: row 0 of `categories` (code `X`) has no `seatDays`; the report is \
         incomplete, so this company's usage cannot be billed: retry, or report the payload"
    );
}

#[test]
fn eset_daily_detail_must_add_up() {
    let daily = |days: Value, seat_days: u64| {
        let company: UsageCompany = serde_json::from_value(json!({
            "companyId": "c-2",
            "categories": [{"code": "EES", "seatDays": seat_days, "seats": 3, "usagePerDays": days}]
        }))
        .unwrap();
        normalize_eset_company(
            &company,
            EsetReportKind::Categories,
            Period::new(
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
            )
            .unwrap(),
            "/UsageReport/Daily/categories",
            None,
            CompanyRole::Customer,
        )
    };
    let ok = daily(
        json!([{"date": "2026-03-01", "usage": 3}, {"date": "2026-03-02", "usage": 2}, {"date": "2026-03-03", "usage": 3}]),
        8,
    )
    .unwrap();
    assert_eq!(
        summary(&ok),
        [
            ("EES".into(), "seat_days", "seat_day", "8".into()),
            ("EES".into(), "seats", "seat", "3".into()),
        ]
    );
    assert_eq!(&*ok[0].source, "eset:UsageReport/Daily/categories");
    assert_eq!(
        ok[0].period_end,
        NaiveDate::from_ymd_opt(2026, 3, 3).unwrap()
    );
    assert!(daily(json!([3, 2, 3]), 8).is_ok());

    let err = daily(json!([3, 2, 2]), 8).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ESET company `c-2`, code `EES`: `usagePerDays` adds up to 7 but `seatDays` is 8; the \
         daily detail contradicts the total, so neither is trusted: retry, or report the payload"
    );
    let err = daily(json!([{"date": "2026-03-01"}, 8]), 8).unwrap_err();
    assert!(err.to_string().contains("day 0 (2026-03-01)"), "{err}");
}

#[test]
fn eset_empty_company_and_bad_period() {
    assert!(
        eset(json!({"companyId": "c"}), EsetReportKind::Categories)
            .unwrap()
            .is_empty()
    );
    let company: UsageCompany = serde_json::from_value(json!({"companyId": "c"})).unwrap();
    let inverted = Period {
        start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    };
    let err = normalize_eset_company(
        &company,
        EsetReportKind::Categories,
        inverted,
        "x",
        None,
        CompanyRole::Customer,
    )
    .unwrap_err();
    assert!(matches!(err, CoreError::InvalidPeriod { .. }));
}

// ---------------------------------------------------------------------------------------------
// GravityZone getMonthlyUsage

/// The reference's b.1 example result.
fn reference_result() -> Value {
    json!({
        "endpointMonthlyUsage": 13, "aLaCarteMonthlyUsage": 0, "mspSecureMonthlyUsage": 0,
        "mspSecurePlusMonthlyUsage": 13, "mspSecureExtraMonthlyUsage": 0,
        "emailSecurityMonthlyUsage": 0, "mobileSecurityMonthlyUsage": 0, "exchangeMonthlyUsage": 0,
        "encryptionMonthlyUsage": 2, "atsMonthlyUsage": 0, "edrMonthlyUsage": 3,
        "mdrFoundationsMonthlyUsage": 0, "mdrResponseMonthlyUsage": 0,
        "patchManagementMonthlyUsage": 5, "containerProtectionMonthlyUsage": 0,
        "integrityMonitoringUsage": 0, "integrityMonitoring90DaysUsage": 0,
        "integrityMonitoring180DaysUsage": 0, "integrityMonitoring1YearUsage": 0,
        "xdrIdentitySensorsMonthlyUsage": 0, "xdrProductivitySensorsMonthlyUsage": 0,
        "sveVsMonthlyUsage": 0, "sveVdiMonthlyUsage": 0,
        "minimumUsage": {"endpointMonthlyUsage": 10}
    })
}

#[test]
fn gz_every_counter_is_a_record_zeros_included() {
    let records = gz_records(reference_result());
    assert_eq!(records.len(), 23 + 1);
    assert_sorted(&records);
    let endpoint = find(&records, "endpoint", Metric::MonthlyUsage);
    assert_eq!(endpoint.vendor, Vendor::Bitdefender);
    assert_eq!(&*endpoint.company_id, "gz-1");
    assert_eq!(endpoint.company_name.as_deref(), Some("Acme Ltd"));
    assert_eq!(endpoint.parent_company_id.as_deref(), Some("gz-root"));
    assert_eq!(endpoint.product_name.as_deref(), Some("Endpoint Security"));
    assert_eq!(endpoint.product_type, None);
    assert_eq!(endpoint.license_type, None);
    assert_eq!(endpoint.unit, Unit::Endpoint);
    assert_eq!(endpoint.quantity, 13u64.into());
    assert_eq!(&*endpoint.source, "bitdefender:licensing.getMonthlyUsage");
    let minimum = find(&records, "endpoint", Metric::MinimumUsage);
    assert_eq!(
        (minimum.unit, minimum.quantity.to_string()),
        (Unit::Endpoint, "10".into())
    );
    // minimum_usage sorts before monthly_usage (text order).
    let i_min = records
        .iter()
        .position(|r| std::ptr::eq(r, minimum))
        .unwrap();
    let i_end = records
        .iter()
        .position(|r| std::ptr::eq(r, endpoint))
        .unwrap();
    assert_eq!(i_min + 1, i_end);

    for (product, unit) in [
        ("email_security", Unit::Mailbox),
        ("exchange", Unit::Mailbox),
        ("mobile_security", Unit::Device),
        ("sve_vs", Unit::Server),
        ("sve_vdi", Unit::Hour),
        ("xdr_identity_sensors", Unit::Sensor),
        ("xdr_productivity_sensors", Unit::Sensor),
        ("a_la_carte", Unit::Endpoint),
        ("integrity_monitoring_90_days", Unit::Endpoint),
        ("integrity_monitoring_1_year", Unit::Endpoint),
        ("patch_management", Unit::Endpoint),
    ] {
        let record = find(&records, product, Metric::MonthlyUsage);
        assert_eq!(record.unit, unit, "{product}");
        assert!(record.product_name.is_some(), "{product}");
    }
    assert_eq!(
        find(&records, "sve_vdi", Metric::MonthlyUsage)
            .quantity
            .to_string(),
        "0"
    );
}

#[test]
fn gz_unknown_counters_are_kept() {
    let records = gz_records(json!({
        "endpointMonthlyUsage": 5,
        "phasrMonthlyUsage": 4,
        "xdrNetworkSensorsMonthlyUsage": 2,
        "easmAI2Usage": 1,
        "someFlag": true,
        "someLabel": "x",
        "someObject": {"a": 1},
        "someList": [1, 2],
        "notReported": null,
        "wholeFloatMonthlyUsage": 7.0
    }));
    assert_eq!(
        summary(&records),
        [
            ("easm_ai_2".into(), "monthly_usage", "unit", "1".into()),
            ("endpoint".into(), "monthly_usage", "endpoint", "5".into()),
            ("phasr".into(), "monthly_usage", "unit", "4".into()),
            ("whole_float".into(), "monthly_usage", "unit", "7".into()),
            (
                "xdr_network_sensors".into(),
                "monthly_usage",
                "sensor",
                "2".into()
            ),
        ]
    );
    assert_eq!(
        find(&records, "phasr", Metric::MonthlyUsage).product_name,
        None
    );
}

#[test]
fn gz_null_counters_give_no_record() {
    let records = gz_records(json!({"endpointMonthlyUsage": null, "edrMonthlyUsage": 0}));
    assert_eq!(
        summary(&records),
        [("edr".into(), "monthly_usage", "endpoint", "0".into())]
    );
}

#[test]
fn gz_hours_may_be_fractional_counts_may_not() {
    let records = gz_records(json!({"sveVdiMonthlyUsage": 12.5}));
    assert_eq!(records[0].quantity.to_string(), "12.5");
    assert_eq!(records[0].unit, Unit::Hour);
    let records = gz_records(json!({"sveVdiMonthlyUsage": 12}));
    assert_eq!(
        serde_json::to_value(&records[0]).unwrap()["quantity"],
        json!(12)
    );
    assert!(records[0].quantity.is_u64());

    let err = gz(json!({"fooMonthlyUsage": 1.5})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GravityZone company `gz-1`: counter `fooMonthlyUsage` = 1.5 is not a whole number, but \
         its unit is not `hour`; report the payload"
    );
    let err = gz(json!({"fooMonthlyUsage": -3})).unwrap_err();
    assert!(
        err.to_string()
            .contains("`fooMonthlyUsage` = -3 is negative"),
        "{err}"
    );
    let err = gz(json!({"minimumUsage": {"endpointMonthlyUsage": 2.5}})).unwrap_err();
    assert!(
        err.to_string()
            .contains("`minimumUsage.endpointMonthlyUsage` = 2.5"),
        "{err}"
    );
}

#[test]
fn gz_misspelt_a_la_carte() {
    let records = gz_records(json!({"aLaCarteMonhtlyUsage": 4}));
    assert_eq!(
        summary(&records),
        [("a_la_carte".into(), "monthly_usage", "endpoint", "4".into())]
    );
    let records = gz_records(json!({"aLaCarteMonhtlyUsage": 4, "aLaCarteMonthlyUsage": 4}));
    assert_eq!(records.len(), 1);
    let err = gz(json!({"aLaCarteMonhtlyUsage": 4, "aLaCarteMonthlyUsage": 5})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GravityZone company `gz-1`: `aLaCarteMonhtlyUsage` = 4 and `aLaCarteMonthlyUsage` = 5 \
         both mean `a_la_carte` (monthly_usage) but disagree; report the payload"
    );
    // An unknown spelling of a known counter is checked the same way.
    assert!(gz(json!({"endpointMonthlyUsage": 4, "endpointUsage": 3})).is_err());
    assert_eq!(
        gz_records(json!({"endpointMonthlyUsage": 4, "endpointUsage": 4})).len(),
        1
    );
}

#[test]
fn gz_minimums_name_their_counter() {
    let records = gz_records(json!({
        "minimumUsage": {"endpointMonthlyUsage": 10, "emailSecurityMonthlyUsage": 5, "sveVdiMonthlyUsage": 1.5, "newThingMonthlyUsage": 3}
    }));
    assert_eq!(
        summary(&records),
        [
            (
                "email_security".into(),
                "minimum_usage",
                "mailbox",
                "5".into()
            ),
            ("endpoint".into(), "minimum_usage", "endpoint", "10".into()),
            ("new_thing".into(), "minimum_usage", "unit", "3".into()),
            ("sve_vdi".into(), "minimum_usage", "hour", "1.5".into()),
        ]
    );
    assert_eq!(gz_records(json!({"minimumUsage": null})).len(), 0);
    assert_eq!(gz_records(json!({"minimumUsage": {}})).len(), 0);
}

#[test]
fn gz_zero_means_without_monthly_license() {
    assert_eq!(gz(json!(0)).unwrap(), GzMonthly::WithoutMonthlyLicense);
    assert_eq!(gz(json!({})).unwrap(), GzMonthly::Records(vec![]));
    let err = gz(json!(7)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GravityZone company `gz-1`: getMonthlyUsage answered the number 7, which is neither \
         counters nor `0` (no monthly license); report the payload"
    );
}

// ---------------------------------------------------------------------------------------------
// GravityZone getMonthlyUsagePerProductType

#[test]
fn gz_per_product_type_entries_are_never_merged() {
    let records = gz_per_type(json!({"usages": [
        {"productType": 0, "endpointMonthlyUsage": 10, "edrMonthlyUsage": 3, "exchangeMonthlyUsage": 0},
        {"productType": 3, "endpointMonthlyUsage": 0, "edrMonthlyUsage": 6, "exchangeMonthlyUsage": 0},
        {"productType": 5, "endpointMonthlyUsage": 0, "phasrMonthlyUsage": 2},
        {"productType": 9, "endpointMonthlyUsage": 1}
    ]}))
    .unwrap();
    assert_sorted(&records);
    let rows: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.product_type.as_deref().unwrap().to_owned(),
                r.product.to_string(),
                r.quantity.to_string(),
            )
        })
        .collect();
    let expect = |t: &str, p: &str, q: &str| (t.to_owned(), p.to_owned(), q.to_owned());
    assert_eq!(
        rows,
        [
            expect("9", "endpoint", "1"),
            expect("edr", "edr", "6"),
            expect("edr", "endpoint", "0"),
            expect("edr", "exchange", "0"),
            expect("endpoint_security", "edr", "3"),
            expect("endpoint_security", "endpoint", "10"),
            expect("endpoint_security", "exchange", "0"),
            expect("phasr", "endpoint", "0"),
            expect("phasr", "phasr", "2"),
        ]
    );
    assert!(records.iter().all(|r| &*r.source
        == "bitdefender:licensing.getMonthlyUsagePerProductType"
        && r.metric == Metric::MonthlyUsage));
}

#[test]
fn gz_per_product_type_needs_distinct_product_types() {
    let err = gz_per_type(json!({"usages": [{"endpointMonthlyUsage": 1}]})).unwrap_err();
    assert!(
        err.to_string()
            .contains("entry 0 of `usages` has no `productType`"),
        "{err}"
    );
    let err = gz_per_type(json!({"usages": [{"productType": 3}, {"productType": 3}]})).unwrap_err();
    assert!(err.to_string().contains("productType 3 twice"), "{err}");
    let err = gz_per_type(json!({"usages": [
        {"productType": 3, "aLaCarteMonthlyUsage": 1, "aLaCarteMonhtlyUsage": 2}]}))
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("GravityZone company `gz-1` (productType 3): "),
        "{err}"
    );
    assert!(gz_per_type(json!({"usages": []})).unwrap().is_empty());
    assert!(gz_per_type(json!({})).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The record itself

#[test]
fn enum_strings_match_their_serialization() {
    fn check<T: serde::Serialize + std::fmt::Display>(values: &[T]) {
        for value in values {
            assert_eq!(
                serde_json::to_value(value).unwrap(),
                json!(value.to_string())
            );
        }
    }
    check(&[Vendor::Eset, Vendor::Bitdefender]);
    check(&[
        Metric::SeatDays,
        Metric::Seats,
        Metric::MonthlyUsage,
        Metric::MinimumUsage,
    ]);
    check(&[
        Unit::SeatDay,
        Unit::Seat,
        Unit::Endpoint,
        Unit::Mailbox,
        Unit::Device,
        Unit::Server,
        Unit::Hour,
        Unit::Sensor,
        Unit::Unit,
    ]);
    check(&[LicenseType::Full, LicenseType::Trial]);
}

#[test]
fn record_fields_serialize_in_contract_order_with_nulls() {
    let records = gz_records(json!({"endpointMonthlyUsage": 1}));
    let text = serde_json::to_string(&records[0]).unwrap();
    assert_eq!(
        text,
        r#"{"vendor":"bitdefender","company_id":"gz-1","company_name":"Acme Ltd","parent_company_id":"gz-root","company_role":"customer","period_start":"2026-03-01","period_end":"2026-03-31","product":"endpoint","product_name":"Endpoint Security","product_type":null,"license_type":null,"metric":"monthly_usage","unit":"endpoint","quantity":1,"source":"bitdefender:licensing.getMonthlyUsage"}"#
    );
}

/// The text fields are shared, not copied: one company's records point at the same strings,
/// both records of an ESET row share its product, and a known GravityZone counter's key and
/// name are the same strings in every result.
#[test]
fn records_share_their_strings() {
    use std::sync::Arc;

    let records = eset(
        json!({"companyId": "c-1", "companyName": "Flowers BV", "categories": [
            {"code": "EES", "name": "Endpoint Security", "licenseType": 1, "seatDays": 93, "seats": 3},
            {"code": "111", "name": "Mail Security", "licenseType": 1, "seatDays": 31, "seats": 1}
        ]}),
        EsetReportKind::Categories,
    )
    .unwrap();
    assert_eq!(records.len(), 4);
    let first = &records[0];
    for r in &records {
        assert!(Arc::ptr_eq(&r.company_id, &first.company_id));
        let shared = |a: &Option<Arc<str>>, b: &Option<Arc<str>>| match (a, b) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        assert!(shared(&r.company_name, &first.company_name));
        assert!(shared(&r.parent_company_id, &first.parent_company_id));
        assert!(Arc::ptr_eq(&r.source, &first.source));
    }
    let row: Vec<_> = records.iter().filter(|r| &*r.product == "EES").collect();
    assert_eq!(row.len(), 2);
    assert!(Arc::ptr_eq(&row[0].product, &row[1].product));

    let one = gz_records(json!({"endpointMonthlyUsage": 1, "fooUsage": 2}));
    let two = gz_records(json!({"endpointMonthlyUsage": 3, "fooUsage": 4}));
    let endpoint =
        |records: &[UsageRecord]| find(records, "endpoint", Metric::MonthlyUsage).clone();
    let (a, b) = (endpoint(&one), endpoint(&two));
    assert!(Arc::ptr_eq(&a.product, &b.product));
    assert!(Arc::ptr_eq(&a.source, &b.source));
    assert!(Arc::ptr_eq(
        a.product_name.as_ref().unwrap(),
        b.product_name.as_ref().unwrap()
    ));
    // Each call has its own copy of the company's strings, and of an unknown counter's key.
    assert!(!Arc::ptr_eq(&a.company_id, &b.company_id));
    let foo = |records: &[UsageRecord]| find(records, "foo", Metric::MonthlyUsage).product.clone();
    assert_eq!(foo(&one), foo(&two));
}
