//! Properties of the normalization, on random input.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};
use usage_core::{
    CompanyRef, CompanyRole, CoreError, EsetReportKind, GzMonthly, LicenseType, Metric, Month,
    Period, UsageRecord, normalize_eset_company, normalize_gz_monthly,
    normalize_gz_per_product_type, product_key, record_order, sort_records,
};
use usage_models::bitdefender::{GetMonthlyUsagePerProductTypeResult, GetMonthlyUsageResult};
use usage_models::eset::UsageCompany;

/// The typed counters of the generated `MonthlyUsage` (all integers but `sveVdiMonthlyUsage`).
const TYPED: &[&str] = &[
    "aLaCarteMonhtlyUsage",
    "aLaCarteMonthlyUsage",
    "atsMonthlyUsage",
    "complianceMonthlyUsage",
    "containerProtectionMonthlyUsage",
    "edrMonthlyUsage",
    "emailSecurityMonthlyUsage",
    "encryptionMonthlyUsage",
    "endpointMonthlyUsage",
    "exchangeMonthlyUsage",
    "integrityMonitoring180DaysUsage",
    "integrityMonitoring1YearUsage",
    "integrityMonitoring90DaysUsage",
    "integrityMonitoringUsage",
    "mdrFoundationsMonthlyUsage",
    "mdrResponseMonthlyUsage",
    "mobileSecurityMonthlyUsage",
    "mspSecureEssentialsMonthlyUsage",
    "mspSecureExtraMonthlyUsage",
    "mspSecureMonthlyUsage",
    "mspSecurePlusMonthlyUsage",
    "patchManagementMonthlyUsage",
    "sveVsMonthlyUsage",
    "xdrIdentitySensorsMonthlyUsage",
    "xdrProductivitySensorsMonthlyUsage",
];

fn is_snake_case(key: &str) -> bool {
    !key.is_empty()
        && key.split('_').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn company() -> CompanyRef {
    CompanyRef {
        id: "gz".into(),
        name: Some("Company".into()),
        parent_id: None,
        role: CompanyRole::Msp,
    }
}

fn period() -> Period {
    Month::new(2026, 10).unwrap().into()
}

/// A counter name nobody knows, in the vendor's style.
fn unknown_name() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z0-9]{0,10}(MonthlyUsage|MonhtlyUsage|Usage|Sensors|)".prop_filter(
        "known names are generated separately",
        |name| {
            !TYPED.contains(&name.as_str())
                && name != "sveVdiMonthlyUsage"
                && name != "minimumUsage"
        },
    )
}

/// A value that is not a counter.
fn non_counter() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        "[a-z ]{0,8}".prop_map(Value::String),
        Just(json!({"nested": 1})),
        Just(json!([1, 2])),
    ]
}

/// A whole count, small or huge.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..1000, any::<u64>()]
}

/// A random `getMonthlyUsage` result object: typed counters (some null), unknown numeric
/// counters, unknown non-counters, hours and minimums.
fn gz_result() -> impl Strategy<Value = Map<String, Value>> {
    (
        proptest::collection::btree_map(
            proptest::sample::select(TYPED),
            prop::option::of(count()),
            0..12,
        ),
        prop::option::of(prop_oneof![
            (0u32..100_000).prop_map(|tenths| json!(f64::from(tenths) / 10.0)),
            (0u64..5000).prop_map(|hours| json!(hours)),
            Just(Value::Null),
        ]),
        proptest::collection::btree_map(unknown_name(), count(), 0..6),
        proptest::collection::btree_map(unknown_name(), non_counter(), 0..4),
        prop::option::of(proptest::collection::btree_map(
            prop_oneof![
                proptest::sample::select(TYPED).prop_map(str::to_owned),
                unknown_name()
            ],
            0u32..500,
            0..4,
        )),
    )
        .prop_map(|(typed, hours, unknown, others, minimums)| {
            let mut map = Map::new();
            for (name, value) in typed {
                map.insert(name.to_owned(), value.map_or(Value::Null, Value::from));
            }
            if let Some(hours) = hours {
                map.insert("sveVdiMonthlyUsage".into(), hours);
            }
            for (name, value) in unknown {
                map.insert(name, Value::from(value));
            }
            for (name, value) in others {
                map.entry(name).or_insert(value);
            }
            if let Some(minimums) = minimums {
                let minimums: Map<String, Value> = minimums
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(v)))
                    .collect();
                map.insert("minimumUsage".into(), Value::Object(minimums));
            }
            map
        })
}

/// A JSON number as a record quantity should carry it: whole numbers as integers.
fn as_quantity(n: &Number) -> Number {
    match (n.as_u64(), n.as_f64()) {
        (Some(whole), _) => Number::from(whole),
        (None, Some(x)) if x.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&x) => {
            Number::from(x as u64)
        }
        (None, Some(x)) => Number::from_f64(x).unwrap(),
        (None, None) => unreachable!("a JSON number is an f64 at worst"),
    }
}

/// What the result should give, computed from the raw JSON: every numeric counter and every
/// minimum, by (product key, metric), with all the distinct values seen for it.
fn expected(map: &Map<String, Value>) -> BTreeMap<(String, &'static str), Vec<Number>> {
    let mut expected: BTreeMap<(String, &'static str), Vec<Number>> = BTreeMap::new();
    let mut add = |key: String, metric: &'static str, value: Number| {
        let values = expected.entry((key, metric)).or_default();
        if !values.contains(&value) {
            values.push(value);
        }
    };
    for (name, value) in map {
        match value {
            Value::Number(n) => add(product_key(name), "monthly_usage", as_quantity(n)),
            Value::Object(minimums) if name == "minimumUsage" => {
                for (counter, minimum) in minimums {
                    let Value::Number(n) = minimum else {
                        unreachable!()
                    };
                    add(product_key(counter), "minimum_usage", as_quantity(n));
                }
            }
            _ => {}
        }
    }
    expected
}

fn assert_sorted(records: &[UsageRecord]) -> Result<(), TestCaseError> {
    for pair in records.windows(2) {
        prop_assert!(
            record_order(&pair[0], &pair[1]).is_le(),
            "{:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    Ok(())
}

fn assert_round_trip(records: &[UsageRecord]) -> Result<(), TestCaseError> {
    for record in records {
        let text = serde_json::to_string(record).unwrap();
        let back: UsageRecord = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, record);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_counter_name_gives_a_snake_case_key(name in any::<String>()) {
        let key = product_key(&name);
        prop_assert!(is_snake_case(&key), "{name:?} -> {key:?}");
        prop_assert_eq!(product_key(&key), key.clone(), "a key maps to itself");
    }

    #[test]
    fn vendor_style_names_give_snake_case_keys(name in "[a-zA-Z][a-zA-Z0-9_]{0,30}") {
        let key = product_key(&name);
        prop_assert!(is_snake_case(&key), "{name:?} -> {key:?}");
    }

    #[test]
    fn random_gz_results_give_one_record_per_numeric_counter(map in gz_result()) {
        let expected = expected(&map);
        let result: GetMonthlyUsageResult = serde_json::from_value(Value::Object(map.clone())).unwrap();
        let outcome = normalize_gz_monthly(&result, &company(), period());
        let conflict = expected.values().any(|values| values.len() > 1);
        if conflict {
            prop_assert!(
                matches!(outcome, Err(CoreError::GzConflictingCounters { .. })),
                "{map:?} gave {outcome:?}"
            );
            return Ok(());
        }
        let records = match outcome {
            Ok(GzMonthly::Records(records)) => records,
            other => return Err(TestCaseError::fail(format!("{map:?} gave {other:?}"))),
        };
        prop_assert_eq!(records.len(), expected.len());
        for record in &records {
            let values = expected
                .get(&(record.product.to_string(), record.metric.as_str()))
                .ok_or_else(|| TestCaseError::fail(format!("unexpected record {record:?}")))?;
            prop_assert_eq!(Some(&record.quantity), values.first());
            prop_assert!(record.quantity.as_f64().unwrap() >= 0.0);
            if record.unit != usage_core::Unit::Hour {
                prop_assert!(record.quantity.is_u64(), "{record:?}");
            }
        }
        assert_sorted(&records)?;
        assert_round_trip(&records)?;

        // The same records, shuffled and sorted again, come back in the same order.
        let mut reversed = records.clone();
        reversed.reverse();
        sort_records(&mut reversed);
        prop_assert_eq!(reversed, records);
    }

    #[test]
    fn fractional_counts_are_refused(name in unknown_name(), whole in 0u32..1000, tenth in 1u32..10) {
        let value = f64::from(whole) + f64::from(tenth) / 10.0;
        let key = product_key(&name);
        prop_assume!(key != "sve_vdi");
        let result: GetMonthlyUsageResult =
            serde_json::from_value(json!({ name.clone(): value })).unwrap();
        let outcome = normalize_gz_monthly(&result, &company(), period());
        prop_assert!(matches!(outcome, Err(CoreError::GzInvalidCounter { .. })), "{outcome:?}");
    }

    #[test]
    fn per_product_type_entries_each_keep_their_records(
        entries in proptest::collection::btree_map(0i64..8, gz_result(), 0..4)
    ) {
        let usages: Vec<Value> = entries
            .iter()
            .map(|(product_type, map)| {
                let mut map = map.clone();
                map.insert("productType".into(), json!(product_type));
                Value::Object(map)
            })
            .collect();
        let result: GetMonthlyUsagePerProductTypeResult =
            serde_json::from_value(json!({ "usages": usages })).unwrap();
        let conflict = entries.values().any(|map| expected(map).values().any(|v| v.len() > 1));
        match normalize_gz_per_product_type(&result, &company(), period()) {
            Ok(records) => {
                prop_assert!(!conflict);
                let total: usize = entries.values().map(|map| expected(map).len()).sum();
                prop_assert_eq!(records.len(), total);
                prop_assert!(records.iter().all(|r| r.product_type.is_some() && r.metric != Metric::SeatDays));
                assert_sorted(&records)?;
                assert_round_trip(&records)?;
            }
            Err(err) => {
                prop_assert!(conflict, "{err}");
            }
        }
    }

    #[test]
    fn random_eset_companies_give_two_sorted_records_per_row(
        rows in proptest::collection::vec(
            (
                // Few distinct codes, so rows share codes (a full and a trial row, or two
                // rows of one license type), as numbers and as strings.
                prop_oneof![
                    "[A-C]".prop_map(Value::from),
                    (0i64..3).prop_map(Value::from),
                    "[0-2]".prop_map(Value::from),
                    "[A-Z_]{1,8}".prop_map(Value::from),
                    (0i64..5000).prop_map(Value::from),
                ],
                prop_oneof![Just(json!(1)), Just(json!(4)), Just(json!("1")), Just(json!("4")), Just(json!(2)), Just(Value::Null)],
                count(),
                count(),
                prop::option::of("[A-Za-z ]{0,12}"),
            ),
            0..12,
        )
    ) {
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|(code, license, seat_days, seats, name)| {
                json!({"code": code, "licenseType": license, "seatDays": seat_days, "seats": seats, "name": name})
            })
            .collect();
        let company: UsageCompany =
            serde_json::from_value(json!({"companyId": "c", "companyName": "C", "categories": rows})).unwrap();
        let records = normalize_eset_company(
            &company,
            EsetReportKind::Categories,
            period(),
            "UsageReport/AllCompanies/categories",
            None,
            CompanyRole::Customer,
        )
        .unwrap();
        prop_assert_eq!(records.len(), rows.len() * 2);
        for row in &rows {
            let code = match &row["code"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            for (metric, key) in [(Metric::SeatDays, "seatDays"), (Metric::Seats, "seats")] {
                let quantity = Number::from(row[key].as_u64().unwrap());
                prop_assert!(
                    records.iter().any(|r| *r.product == *code && r.metric == metric && r.quantity == quantity),
                    "no {metric} {quantity} record for {code}"
                );
            }
        }
        assert_sorted(&records)?;
        assert_round_trip(&records)?;
        // The same order as sorting the row-major records (seat_days, seats per row) stably.
        let license = |value: &Value| match value {
            Value::Number(n) if n.as_u64() == Some(1) => Some(LicenseType::Full),
            Value::String(s) if s == "1" => Some(LicenseType::Full),
            Value::Number(n) if n.as_u64() == Some(4) => Some(LicenseType::Trial),
            Value::String(s) if s == "4" => Some(LicenseType::Trial),
            _ => None,
        };
        let mut expected: Vec<(String, Metric, Option<LicenseType>, Number)> = Vec::new();
        for row in &rows {
            let code = match &row["code"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let license = license(&row["licenseType"]);
            expected.push((code.clone(), Metric::SeatDays, license, row["seatDays"].as_u64().unwrap().into()));
            expected.push((code, Metric::Seats, license, row["seats"].as_u64().unwrap().into()));
        }
        expected.sort_by(|a, b| {
            (a.0.as_str(), a.1.as_str(), a.2.map(LicenseType::as_str))
                .cmp(&(b.0.as_str(), b.1.as_str(), b.2.map(LicenseType::as_str)))
        });
        prop_assert_eq!(
            records
                .iter()
                .map(|r| (r.product.to_string(), r.metric, r.license_type, r.quantity.clone()))
                .collect::<Vec<_>>(),
            expected
        );
    }
}
