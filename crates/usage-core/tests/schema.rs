//! The JSON Schema of a record: snapshotted, committed in `schemas/usage-record.json`, and in
//! step with what a record serializes to.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;
use usage_core::{UsageRecord, record_json_schema};

#[test]
fn schema_snapshot() {
    insta::assert_json_snapshot!("usage-record-schema", record_json_schema());
}

/// `schemas/usage-record.json` is what the xtask writes from `record_json_schema()`.
#[test]
fn committed_schema_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/usage-record.json");
    let committed = std::fs::read_to_string(&path).unwrap();
    let mut expected = serde_json::to_string_pretty(&record_json_schema()).unwrap();
    expected.push('\n');
    assert!(
        committed == expected,
        "schemas/usage-record.json is stale: run `cargo xtask codegen`"
    );
}

#[test]
fn schema_lists_every_serialized_field_as_required() {
    let schema = serde_json::to_value(record_json_schema()).unwrap();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, UsageRecord::FIELDS);
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(properties.len(), UsageRecord::FIELDS.len());

    let record: UsageRecord = serde_json::from_value(serde_json::json!({
        "vendor": "eset", "company_id": "c", "company_name": null, "parent_company_id": null,
        "company_role": "msp",
        "period_start": "2026-10-01", "period_end": "2026-10-31", "product": "111",
        "product_name": null, "product_type": null, "license_type": "trial",
        "metric": "seats", "unit": "seat", "quantity": 3, "source": "eset:UsageReport/Monthly/products"
    }))
    .unwrap();
    let Value::Object(serialized) = serde_json::to_value(&record).unwrap() else {
        panic!("a record serializes to an object");
    };
    // serde_json's map is sorted here, so compare the key order of the text instead.
    let text = serde_json::to_string(&record).unwrap();
    let mut last = 0;
    for field in UsageRecord::FIELDS {
        assert!(serialized.contains_key(field), "{field}");
        let at = text.find(&format!("\"{field}\":")).unwrap();
        assert!(at >= last, "{field} out of order");
        last = at;
    }
}
