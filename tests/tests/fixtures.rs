#![allow(clippy::unwrap_used)]
//! Every shared vendor fixture under `tests/fixtures/{eset,bitdefender}/` is validated against
//! its JSON Schema (draft-07, `schemas/`) and decoded into its generated `usage_models` type; the
//! decoded value must serialize back to the same data (no field silently dropped) and still match
//! the schema. GravityZone fixtures are whole JSON-RPC 2.0 response bodies: the envelope is checked
//! with a small inline schema and the payload at a JSON pointer (`/result`, or `/error` for error
//! bodies) against the vendor schema. Further tests pin what each fixture is there to show, prove
//! that no fixture file goes unchecked, and that a fixture broken on purpose fails the check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use usage_models::bitdefender as gz;
use usage_models::eset;

/// Decodes a payload into a generated type and serializes it back.
type Decode = fn(&Value) -> Result<Value, String>;

/// Which schema a fixture's payload must match.
#[derive(Clone, Copy, Debug)]
enum SchemaRef {
    /// A vendor schema file, relative to `schemas/`.
    File(&'static str),
    /// The inline JSON-RPC error-object schema ([`rpc_error_schema`]); there is no vendor schema
    /// for the envelope, which is hand-written in usage-bitdefender.
    RpcError,
}

/// One row of the fixture table.
struct Fixture {
    /// Path relative to `tests/fixtures/`.
    file: &'static str,
    /// Schema of the payload.
    schema: SchemaRef,
    /// JSON pointer of the payload inside the file ("" = the whole file).
    pointer: &'static str,
    /// Whether the file is a JSON-RPC 2.0 response body (envelope checked too).
    json_rpc: bool,
    /// Decoder into the generated (or, for RPC errors, local) type.
    decode: Decode,
}

const fn eset(file: &'static str, schema: &'static str, decode: Decode) -> Fixture {
    Fixture {
        file,
        schema: SchemaRef::File(schema),
        pointer: "",
        json_rpc: false,
        decode,
    }
}

const fn gz_result(file: &'static str, schema: &'static str, decode: Decode) -> Fixture {
    Fixture {
        file,
        schema: SchemaRef::File(schema),
        pointer: "/result",
        json_rpc: true,
        decode,
    }
}

const fn gz_error(file: &'static str) -> Fixture {
    Fixture {
        file,
        schema: SchemaRef::RpcError,
        pointer: "/error",
        json_rpc: true,
        decode: decode::<RpcError>,
    }
}

/// Every fixture, its schema, payload pointer and Rust type.
const FIXTURES: &[Fixture] = &[
    // ---- ESET MSP Administrator 2
    eset(
        "eset/usage-report-all-companies-categories-page-1.json",
        "eset/usage-report-response.json",
        decode::<eset::UsageReportResponse>,
    ),
    eset(
        "eset/usage-report-all-companies-categories-page-2.json",
        "eset/usage-report-response.json",
        decode::<eset::UsageReportResponse>,
    ),
    eset(
        "eset/usage-report-all-companies-categories-page-3.json",
        "eset/usage-report-response.json",
        decode::<eset::UsageReportResponse>,
    ),
    eset(
        "eset/usage-report-monthly-products-trial-suspended.json",
        "eset/usage-report-response.json",
        decode::<eset::UsageReportResponse>,
    ),
    eset(
        "eset/usage-report-selected-companies-products-mixed-codes.json",
        "eset/usage-report-response.json",
        decode::<eset::UsageReportResponse>,
    ),
    eset(
        "eset/usage-report-daily-categories.json",
        "eset/usage-report-response.json",
        decode::<eset::UsageReportResponse>,
    ),
    eset(
        "eset/token-response.json",
        "eset/token-response.json",
        decode::<eset::TokenResponse>,
    ),
    eset(
        "eset/user-current.json",
        "eset/user-current-response.json",
        decode::<eset::UserCurrentResponse>,
    ),
    eset(
        "eset/company-children.json",
        "eset/company-children-response.json",
        decode::<eset::CompanyListResponse>,
    ),
    eset(
        "eset/error-maintenance-503.json",
        "eset/error-response.json",
        decode::<eset::EsetErrorResponse>,
    ),
    eset(
        "eset/error-validation-400.json",
        "eset/error-response.json",
        decode::<eset::EsetErrorResponse>,
    ),
    // ---- Bitdefender GravityZone (JSON-RPC 2.0 response bodies)
    gz_result(
        "bitdefender/get-monthly-usage-all-counters.json",
        "bitdefender/get-monthly-usage-result.json",
        decode::<gz::GetMonthlyUsageResult>,
    ),
    gz_result(
        "bitdefender/get-monthly-usage-new-counter.json",
        "bitdefender/get-monthly-usage-result.json",
        decode::<gz::GetMonthlyUsageResult>,
    ),
    gz_result(
        "bitdefender/get-monthly-usage-misspelt-a-la-carte.json",
        "bitdefender/get-monthly-usage-result.json",
        decode::<gz::GetMonthlyUsageResult>,
    ),
    gz_result(
        "bitdefender/get-monthly-usage-no-monthly-license.json",
        "bitdefender/get-monthly-usage-result.json",
        decode::<gz::GetMonthlyUsageResult>,
    ),
    gz_result(
        "bitdefender/get-monthly-usage-per-product-type.json",
        "bitdefender/get-monthly-usage-per-product-type-result.json",
        decode::<gz::GetMonthlyUsagePerProductTypeResult>,
    ),
    gz_result(
        "bitdefender/get-companies-list.json",
        "bitdefender/get-companies-list-result.json",
        decode::<gz::GetCompaniesListResult>,
    ),
    gz_result(
        "bitdefender/get-company-details.json",
        "bitdefender/get-company-details-result.json",
        decode::<gz::CompanyDetails>,
    ),
    gz_result(
        "bitdefender/get-license-info.json",
        "bitdefender/get-license-info-result.json",
        decode::<gz::GetLicenseInfoResult>,
    ),
    gz_result(
        "bitdefender/get-license-info-array.json",
        "bitdefender/get-license-info-result.json",
        decode::<gz::GetLicenseInfoResult>,
    ),
    gz_error("bitdefender/error-invalid-parent-id.json"),
    gz_error("bitdefender/error-invalid-api-key-401.json"),
];

/// The JSON-RPC error object, checked structurally (no generated type exists for it).
#[derive(Debug, Deserialize, Serialize)]
struct RpcError {
    code: i64,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<RpcErrorData>,
}

#[derive(Debug, Deserialize, Serialize)]
struct RpcErrorData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

fn decode<T: DeserializeOwned + Serialize>(payload: &Value) -> Result<Value, String> {
    let typed = T::deserialize(payload).map_err(|e| format!("does not decode: {e}"))?;
    serde_json::to_value(&typed).map_err(|e| format!("does not serialize back: {e}"))
}

fn rpc_envelope_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["id", "jsonrpc"],
        "properties": {
            "id": { "type": ["string", "integer"] },
            "jsonrpc": { "const": "2.0" }
        },
        "oneOf": [
            { "required": ["result"], "not": { "required": ["error"] } },
            { "required": ["error"], "not": { "required": ["result"] } }
        ]
    })
}

fn rpc_error_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": { "type": "integer" },
            "message": { "type": "string" },
            "data": {
                "type": ["object", "null"],
                "properties": { "details": { "type": "string" } }
            }
        }
    })
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures_dir() -> PathBuf {
    manifest_dir().join("fixtures")
}

fn schemas_dir() -> PathBuf {
    manifest_dir().join("..").join("schemas")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn load(file: &str) -> Value {
    read_json(&fixtures_dir().join(file))
}

fn schema_of(schema: SchemaRef) -> Value {
    match schema {
        SchemaRef::File(path) => read_json(&schemas_dir().join(path)),
        SchemaRef::RpcError => rpc_error_schema(),
    }
}

fn fixture(file: &str) -> &'static Fixture {
    FIXTURES
        .iter()
        .find(|f| f.file == file)
        .unwrap_or_else(|| panic!("{file} is not in FIXTURES"))
}

/// Validates `instance` against a draft-07 schema; returns one line per error, each naming the
/// place of the error in the file (`prefix` is the JSON pointer of `instance` in the file).
fn schema_errors(schema: &Value, instance: &Value, prefix: &str) -> Vec<String> {
    let validator = match jsonschema::draft7::new(schema) {
        Ok(v) => v,
        Err(e) => return vec![format!("schema does not compile: {e}")],
    };
    validator
        .iter_errors(instance)
        .map(|e| format!("at `{prefix}{}`: {e}", e.instance_path()))
        .collect()
}

/// Keys (and leaf values) of `original` that are missing or different in `round_trip`.
/// Nulls are skipped (the generated types drop `None`); numbers compare by value (10 == 10.0).
fn lost_data(original: &Value, round_trip: &Value, path: &str, out: &mut Vec<String>) {
    match (original, round_trip) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                if value.is_null() {
                    continue;
                }
                let here = format!("{path}/{key}");
                match b.get(key) {
                    Some(other) => lost_data(value, other, &here, out),
                    None => out.push(format!("`{here}` lost on decode")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!("`{path}`: {} items became {}", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                lost_data(x, y, &format!("{path}/{i}"), out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("`{path}`: {a} became {b}")),
    }
}

/// Runs every check of one fixture on `document`; an empty list means the fixture is good.
fn problems(fx: &Fixture, document: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if fx.json_rpc {
        out.extend(
            schema_errors(&rpc_envelope_schema(), document, "")
                .into_iter()
                .map(|e| format!("JSON-RPC envelope {e}")),
        );
    }
    let Some(payload) = document.pointer(fx.pointer) else {
        out.push(format!("no payload at `{}`", fx.pointer));
        return out;
    };
    let schema = schema_of(fx.schema);
    out.extend(schema_errors(&schema, payload, fx.pointer));
    match (fx.decode)(payload) {
        Err(e) => out.push(e),
        Ok(round_trip) => {
            lost_data(payload, &round_trip, fx.pointer, &mut out);
            out.extend(
                schema_errors(&schema, &round_trip, fx.pointer)
                    .into_iter()
                    .map(|e| format!("re-serialized value {e}")),
            );
        }
    }
    out
}

#[test]
fn every_fixture_matches_its_schema_and_decodes_into_its_type() {
    let mut failures = Vec::new();
    for fx in FIXTURES {
        for p in problems(fx, &load(fx.file)) {
            failures.push(format!("{}: {p}", fx.file));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture problems:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_fixture_file_is_in_the_table_and_every_row_has_a_file() {
    let mut on_disk = BTreeSet::new();
    for vendor in ["eset", "bitdefender"] {
        for entry in std::fs::read_dir(fixtures_dir().join(vendor)).unwrap() {
            let entry = entry.unwrap();
            assert!(
                entry.file_type().unwrap().is_file(),
                "unexpected entry {:?}",
                entry.path()
            );
            on_disk.insert(format!("{vendor}/{}", entry.file_name().to_string_lossy()));
        }
    }
    let listed: BTreeSet<String> = FIXTURES.iter().map(|f| f.file.to_owned()).collect();
    assert_eq!(listed.len(), FIXTURES.len(), "a fixture is listed twice");
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty(),
        "fixture files not in FIXTURES (unchecked): {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "FIXTURES rows without a file: {missing:?}"
    );
    assert!(
        FIXTURES.len() >= 12,
        "the issue asks for at least 12 fixtures"
    );
}

/// Breaks a fixture at `pointer` and expects the check to report an error at that place.
fn assert_broken(file: &str, pointer: &str, bad: Value, expect_in_error: &str) {
    let fx = fixture(file);
    let mut document = load(file);
    assert!(
        problems(fx, &document).is_empty(),
        "{file} must be valid before breaking it"
    );
    *document
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{file} has nothing at {pointer}")) = bad;
    let found = problems(fx, &document);
    assert!(
        !found.is_empty(),
        "{file} with {pointer} broken still passes"
    );
    assert!(
        found.iter().any(|p| p.contains(expect_in_error)),
        "{file}: expected an error mentioning `{expect_in_error}`, got {found:#?}"
    );
}

#[test]
fn a_fixture_broken_against_its_schema_fails_the_check() {
    // seatDays as a string: schema error at the row and a decode error.
    assert_broken(
        "eset/usage-report-all-companies-categories-page-1.json",
        "/companies/0/categories/0/seatDays",
        json!("2325"),
        "at `/companies/0/categories/0/seatDays`",
    );
    // companyId as a number.
    assert_broken(
        "eset/usage-report-monthly-products-trial-suspended.json",
        "/companies/0/companyId",
        json!(5_017_310),
        "at `/companies/0/companyId`",
    );
    // A negative counter (uint64).
    assert_broken(
        "bitdefender/get-monthly-usage-all-counters.json",
        "/result/endpointMonthlyUsage",
        json!(-1),
        "does not decode",
    );
    // The "no monthly license" result as a string instead of the number 0.
    assert_broken(
        "bitdefender/get-monthly-usage-no-monthly-license.json",
        "/result",
        json!("0"),
        "at `/result`",
    );
    // A company without its required id.
    assert_broken(
        "bitdefender/get-companies-list.json",
        "/result/0",
        json!({ "name": "Acme Widgets Ltd" }),
        "at `/result/0`",
    );
    // A JSON-RPC 1.0 envelope.
    assert_broken(
        "bitdefender/get-company-details.json",
        "/jsonrpc",
        json!("1.0"),
        "JSON-RPC envelope",
    );
    // An error object whose code is a string.
    assert_broken(
        "bitdefender/error-invalid-parent-id.json",
        "/error/code",
        json!("-32602"),
        "at `/error/code`",
    );
}

#[test]
fn the_check_also_catches_data_lost_on_decode() {
    let mut lost = Vec::new();
    lost_data(
        &json!({"a": {"b": 1, "c": null}}),
        &json!({"a": {}}),
        "",
        &mut lost,
    );
    assert_eq!(lost, vec!["`/a/b` lost on decode".to_owned()]);
}

// ------------------------------------------------------------------ what each fixture shows

fn eset_report(file: &str) -> eset::UsageReportResponse {
    serde_json::from_value(load(file)).unwrap()
}

fn gz_payload<T: DeserializeOwned>(file: &str) -> T {
    let document = load(file);
    serde_json::from_value(document.pointer("/result").unwrap().clone()).unwrap()
}

fn rows_of(company: &eset::UsageCompany) -> Vec<&eset::UsageRow> {
    company.categories.iter().chain(&company.products).collect()
}

fn license_type(row: &eset::UsageRow) -> Option<i64> {
    match row.license_type.as_ref()? {
        eset::UsageRowLicenseType::Integer(i) => Some(*i),
        eset::UsageRowLicenseType::String(s) => s.parse().ok(),
        eset::UsageRowLicenseType::Null => None,
    }
}

#[test]
fn eset_all_companies_pages_add_up_to_the_total_count() {
    const OCTOBER_DAYS: u64 = 31;
    let pages: Vec<_> = (1..=3)
        .map(|n| {
            eset_report(&format!(
                "eset/usage-report-all-companies-categories-page-{n}.json"
            ))
        })
        .collect();
    let sizes: Vec<usize> = pages.iter().map(|p| p.companies.len()).collect();
    assert_eq!(sizes, [100, 100, 30]);
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for page in &pages {
        assert_eq!(page.paging.as_ref().and_then(|p| p.total_count), Some(230));
        for company in &page.companies {
            assert!(
                ids.insert(company.company_id.clone()),
                "duplicate {}",
                company.company_id
            );
            names.insert(company.company_name.clone().unwrap());
            assert!(company.products.is_empty());
            assert!(
                (1..=4).contains(&company.categories.len()),
                "{}",
                company.company_id
            );
            let sum: u64 = company
                .categories
                .iter()
                .map(|r| r.seat_days.unwrap())
                .sum();
            assert_eq!(
                company.total_usage,
                Some(sum),
                "totalUsage of {}",
                company.company_id
            );
            for row in &company.categories {
                let (seats, seat_days) = (row.seats.unwrap(), row.seat_days.unwrap());
                // seatDays ~ seats x 31; a few seats more or less before a mid-month change;
                // a suspended row has 0 seats on the 31st but seat-days before that.
                assert!(seat_days > 0, "{}", company.company_id);
                if seats > 0 {
                    assert!(
                        seat_days <= (seats + 5) * OCTOBER_DAYS,
                        "{}",
                        company.company_id
                    );
                }
                assert!(matches!(row.code, Some(eset::UsageRowCode::String(_))));
                assert!(matches!(license_type(row), Some(1 | 4)));
            }
        }
    }
    assert_eq!(ids.len(), 230);
    assert_eq!(names.len(), 230, "company names are unique");
    assert!(
        names.iter().any(|n| !n.is_ascii()),
        "some names are not ASCII"
    );
    assert!(
        ids.iter()
            .all(|id| id.len() == 36 && *id == id.to_lowercase())
    );
}

#[test]
fn eset_monthly_products_show_trial_suspended_and_zero_rows() {
    let report = eset_report("eset/usage-report-monthly-products-trial-suspended.json");
    let [company] = report.companies.as_slice() else {
        panic!("one company expected")
    };
    let rows = rows_of(company);
    assert!(
        rows.iter().any(|r| license_type(r) == Some(4)),
        "a trial row"
    );
    assert!(
        rows.iter()
            .any(|r| r.seats == Some(0) && r.seat_days.unwrap() > 0),
        "a suspended row (0 seats, seat-days > 0)"
    );
    assert!(
        rows.iter()
            .any(|r| r.seats == Some(0) && r.seat_days == Some(0)),
        "a zero row"
    );
    let entry = rows
        .iter()
        .find(|r| r.code.as_ref().map(ToString::to_string) == Some("2015".into()));
    assert_eq!(
        entry.and_then(|r| r.name.as_deref()),
        Some("ESET PROTECT Entry")
    );
    let sum: u64 = rows.iter().map(|r| r.seat_days.unwrap()).sum();
    assert_eq!(company.total_usage, Some(sum));
}

#[test]
fn eset_selected_companies_mix_code_types_and_keep_unknown_fields() {
    let report = eset_report("eset/usage-report-selected-companies-products-mixed-codes.json");
    let rows: Vec<_> = report.companies.iter().flat_map(rows_of).collect();
    assert!(
        rows.iter()
            .any(|r| matches!(r.code, Some(eset::UsageRowCode::Integer(111))))
    );
    assert!(
        rows.iter()
            .any(|r| matches!(&r.code, Some(eset::UsageRowCode::String(s)) if s == "111"))
    );
    assert!(
        rows.iter()
            .any(|r| matches!(&r.license_type, Some(eset::UsageRowLicenseType::String(_))))
    );
    assert!(report.extra.contains_key("totalUsage") && report.extra.contains_key("period"));
    for company in &report.companies {
        assert!(company.total_seats.is_some());
        assert!(company.extra.contains_key("usagePerMonths"));
        assert!(
            rows_of(company)
                .iter()
                .all(|r| r.extra.contains_key("productGroup"))
        );
    }
}

#[test]
fn eset_daily_usage_covers_every_day_and_sums_to_seat_days() {
    let report = eset_report("eset/usage-report-daily-categories.json");
    let [company] = report.companies.as_slice() else {
        panic!("one company expected")
    };
    for row in &company.categories {
        let days = row.usage_per_days.as_ref().unwrap();
        assert_eq!(days.len(), 31);
        let mut sum = 0;
        for (i, day) in days.iter().enumerate() {
            let eset::UsagePerDay::UsagePerDayEntry(entry) = day else {
                panic!("object expected")
            };
            assert_eq!(
                entry.date.as_deref(),
                Some(format!("2026-10-{:02}", i + 1).as_str())
            );
            sum += entry.usage.unwrap();
        }
        assert_eq!(row.seat_days, Some(sum));
        let last = match days.last() {
            Some(eset::UsagePerDay::UsagePerDayEntry(e)) => e.usage,
            _ => None,
        };
        assert_eq!(row.seats, last, "seats = usage on the last day");
    }
}

/// Minimal base64url (no padding) decoder for the fake JWT.
fn base64url(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap();
        bits = (bits << 6) | u32::try_from(v).unwrap();
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

#[test]
fn eset_token_is_a_decodable_fake_jwt_with_a_60_second_lifetime() {
    let token: eset::TokenResponse =
        serde_json::from_value(load("eset/token-response.json")).unwrap();
    let parts: Vec<&str> = token.access_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value = serde_json::from_slice(&base64url(parts[1])).unwrap();
    let (nbf, exp) = (
        claims["nbf"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - nbf, 60);
    assert_eq!(claims["client_id"], "Eset.EMA.API");
    let signature = String::from_utf8(base64url(parts[2])).unwrap();
    assert!(
        signature.starts_with("FAKE-SIGNATURE"),
        "obviously fake: {signature}"
    );
    assert!(token.refresh_token.is_some());
}

#[test]
fn eset_user_children_and_errors() {
    let user: eset::UserCurrentResponse =
        serde_json::from_value(load("eset/user-current.json")).unwrap();
    let own = user.company.company_id.clone().unwrap();
    let children: eset::CompanyListResponse =
        serde_json::from_value(load("eset/company-children.json")).unwrap();
    assert!(!children.companies.is_empty());
    assert!(children.companies.iter().all(|c| c.public_id != own));

    let maintenance: eset::EsetErrorResponse =
        serde_json::from_value(load("eset/error-maintenance-503.json")).unwrap();
    assert!(matches!(
        maintenance.code,
        Some(eset::EsetErrorResponseCode::Integer(99))
    ));
    assert!(matches!(
        maintenance.sub_code,
        Some(eset::EsetErrorResponseSubCode::Integer(2))
    ));
    let validation: eset::EsetErrorResponse =
        serde_json::from_value(load("eset/error-validation-400.json")).unwrap();
    assert!(validation.code.is_none());
    assert_eq!(
        validation.extra["take"],
        json!(["The input was not valid."])
    );
}

#[test]
fn gz_monthly_usage_variants() {
    // Every counter the schema knows (the misspelling has its own fixture), plus minimumUsage.
    let schema = read_json(&schemas_dir().join("bitdefender/get-monthly-usage-result.json"));
    let known = schema["definitions"]["MonthlyUsage"]["properties"]
        .as_object()
        .unwrap();
    let all = load("bitdefender/get-monthly-usage-all-counters.json");
    let result = all["result"].as_object().unwrap();
    let missing: Vec<_> = known
        .keys()
        .filter(|k| *k != "aLaCarteMonhtlyUsage" && !result.contains_key(*k))
        .collect();
    assert!(missing.is_empty(), "all-counters fixture lacks {missing:?}");
    let gz::GetMonthlyUsageResult::MonthlyUsage(usage) =
        gz_payload("bitdefender/get-monthly-usage-all-counters.json")
    else {
        panic!("object expected")
    };
    assert!(usage.extra.is_empty());
    let minimum = usage
        .minimum_usage
        .as_ref()
        .and_then(|m| m.0.as_ref())
        .unwrap();
    assert_eq!(minimum.get("endpointMonthlyUsage"), Some(&50.0));
    assert!(
        usage.sve_vdi_monthly_usage.unwrap().fract() > 0.0,
        "hours may be fractional"
    );

    let gz::GetMonthlyUsageResult::MonthlyUsage(new) =
        gz_payload("bitdefender/get-monthly-usage-new-counter.json")
    else {
        panic!("object expected")
    };
    assert_eq!(new.extra.get("aiSecurityMonthlyUsage"), Some(&json!(12)));
    assert_eq!(new.extra.get("easmMonthlyUsage"), Some(&json!(3)));

    let gz::GetMonthlyUsageResult::MonthlyUsage(misspelt) =
        gz_payload("bitdefender/get-monthly-usage-misspelt-a-la-carte.json")
    else {
        panic!("object expected")
    };
    assert_eq!(misspelt.a_la_carte_monhtly_usage, Some(18));
    assert_eq!(misspelt.a_la_carte_monthly_usage, None);

    let none: gz::GetMonthlyUsageResult =
        gz_payload("bitdefender/get-monthly-usage-no-monthly-license.json");
    assert!(matches!(none, gz::GetMonthlyUsageResult::Uint64(0)));
}

#[test]
fn gz_per_product_type_has_three_entries_with_the_same_counter_set() {
    let document = load("bitdefender/get-monthly-usage-per-product-type.json");
    let usages = document
        .pointer("/result/usages")
        .unwrap()
        .as_array()
        .unwrap();
    let key_sets: Vec<BTreeSet<&String>> = usages
        .iter()
        .map(|u| u.as_object().unwrap().keys().collect())
        .collect();
    assert!(
        key_sets.windows(2).all(|w| w[0] == w[1]),
        "full counter set in every entry"
    );
    assert!(
        usages
            .iter()
            .flat_map(|u| u.as_object().unwrap().values())
            .any(|v| v == &json!(0))
    );

    let typed: gz::GetMonthlyUsagePerProductTypeResult =
        gz_payload("bitdefender/get-monthly-usage-per-product-type.json");
    let types: Vec<_> = typed.usages.iter().map(|u| u.product_type).collect();
    assert_eq!(types, [Some(0), Some(3), Some(5)]);
}

#[test]
fn gz_companies_details_and_license_info() {
    let list: gz::GetCompaniesListResult = gz_payload("bitdefender/get-companies-list.json");
    assert!(list.0.len() >= 3);
    for company in &list.0 {
        assert_eq!(company.id.len(), 24, "{}", company.id);
        assert!(
            company
                .id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
    assert!(
        list.0
            .iter()
            .any(|c| !c.name.as_deref().unwrap_or("").is_ascii())
    );

    let details: gz::CompanyDetails = gz_payload("bitdefender/get-company-details.json");
    assert!(list.0.iter().any(|c| Some(&c.id) == details.id.as_ref()));

    let object: gz::GetLicenseInfoResult = gz_payload("bitdefender/get-license-info.json");
    let gz::GetLicenseInfoResult::LicenseInfo(info) = object else {
        panic!("object expected")
    };
    assert_eq!(info.total_slots, None);
    let array: gz::GetLicenseInfoResult = gz_payload("bitdefender/get-license-info-array.json");
    let gz::GetLicenseInfoResult::Array(infos) = array else {
        panic!("array expected")
    };
    assert_eq!(infos.len(), 1);
}

#[test]
fn gz_error_bodies_carry_code_and_details() {
    for (file, code, details) in [
        (
            "bitdefender/error-invalid-parent-id.json",
            -32602,
            "Invalid value for 'parentId'",
        ),
        (
            "bitdefender/error-invalid-api-key-401.json",
            -32000,
            "Invalid API key. Please generate an API key in Control Center.",
        ),
    ] {
        let document = load(file);
        let error: RpcError = serde_json::from_value(document["error"].clone()).unwrap();
        assert_eq!(error.code, code, "{file}");
        assert_eq!(
            error.data.and_then(|d| d.details).as_deref(),
            Some(details),
            "{file}"
        );
        assert!(document.get("result").is_none());
    }
}
