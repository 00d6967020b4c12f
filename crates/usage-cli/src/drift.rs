//! `msp-usage drift DIR`: how the recorded vendor answers differ from `schemas/`.
//!
//! A strict reading of each recorded body against the schema it belongs to (built into the
//! binary): besides what a validator reports (wrong types, absent required properties, format
//! and enum surprises), it reports every property the schema does not name, even where the
//! models accept unknown keys. Findings are grouped per schema and JSON path (array indices
//! become `[*]`), each with an example and how often it was seen.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use usage_core::Vendor;
use usage_http::Recording;

use crate::error::CliError;

/// The vendor schemas, as the binary was built with them.
const SCHEMAS: &[(&str, &str)] = &[
    (
        "eset/token-response.json",
        include_str!("../../../schemas/eset/token-response.json"),
    ),
    (
        "eset/user-current-response.json",
        include_str!("../../../schemas/eset/user-current-response.json"),
    ),
    (
        "eset/company-children-response.json",
        include_str!("../../../schemas/eset/company-children-response.json"),
    ),
    (
        "eset/usage-report-response.json",
        include_str!("../../../schemas/eset/usage-report-response.json"),
    ),
    (
        "eset/error-response.json",
        include_str!("../../../schemas/eset/error-response.json"),
    ),
    (
        "bitdefender/get-monthly-usage-result.json",
        include_str!("../../../schemas/bitdefender/get-monthly-usage-result.json"),
    ),
    (
        "bitdefender/get-monthly-usage-per-product-type-result.json",
        include_str!("../../../schemas/bitdefender/get-monthly-usage-per-product-type-result.json"),
    ),
    (
        "bitdefender/get-license-info-result.json",
        include_str!("../../../schemas/bitdefender/get-license-info-result.json"),
    ),
    (
        "bitdefender/get-companies-list-result.json",
        include_str!("../../../schemas/bitdefender/get-companies-list-result.json"),
    ),
    (
        "bitdefender/get-company-folders-list-result.json",
        include_str!("../../../schemas/bitdefender/get-company-folders-list-result.json"),
    ),
    (
        "bitdefender/get-company-details-result.json",
        include_str!("../../../schemas/bitdefender/get-company-details-result.json"),
    ),
];

/// What to run after editing the schemas.
pub(crate) const NEXT_STEP: &str =
    "edit the schemas under schemas/ to match, then run `cargo xtask codegen` and `cargo test`";

/// The schema a recorded answer belongs to, and the part of the body it describes.
fn schema_for(vendor: Vendor, call: &str, status: u16) -> Option<(&'static str, &'static str)> {
    let ok = (200..300).contains(&status);
    let name = match (vendor, call) {
        (Vendor::Eset, _) if !ok => "eset/error-response.json",
        (Vendor::Eset, "Token/Get" | "Token/Renew") => "eset/token-response.json",
        (Vendor::Eset, "User/Current") => "eset/user-current-response.json",
        (Vendor::Eset, "Company/Children" | "Company/Descendants") => {
            "eset/company-children-response.json"
        }
        (Vendor::Eset, c) if c.starts_with("UsageReport/") => "eset/usage-report-response.json",
        (Vendor::Bitdefender, "licensing.getMonthlyUsage") => {
            "bitdefender/get-monthly-usage-result.json"
        }
        (Vendor::Bitdefender, "licensing.getMonthlyUsagePerProductType") => {
            "bitdefender/get-monthly-usage-per-product-type-result.json"
        }
        (Vendor::Bitdefender, "licensing.getLicenseInfo") => {
            "bitdefender/get-license-info-result.json"
        }
        (Vendor::Bitdefender, "network.getCompaniesList") => {
            "bitdefender/get-companies-list-result.json"
        }
        (Vendor::Bitdefender, "network.getCompanyFoldersList") => {
            "bitdefender/get-company-folders-list-result.json"
        }
        (Vendor::Bitdefender, "companies.getCompanyDetails") => {
            "bitdefender/get-company-details-result.json"
        }
        _ => return None,
    };
    let pointer = match vendor {
        Vendor::Bitdefender => "/result",
        Vendor::Eset => "",
    };
    Some((name, pointer))
}

/// One finding at one path, with an example and a count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Finding {
    /// JSON path, array indices as `[*]`.
    pub(crate) path: String,
    /// What the schema expects (types, format, enum), when that is the point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expected: Option<String>,
    /// What was found (a JSON type), when that is the point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) found: Option<String>,
    /// An example value (absent for missing properties).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) example: Option<Value>,
    /// How many times it was seen.
    pub(crate) count: u64,
}

/// Everything found for one schema.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SchemaReport {
    /// The schema file under `schemas/`.
    pub(crate) schema: String,
    /// How many bodies were checked against it.
    pub(crate) bodies: u64,
    /// Properties the schema does not name.
    pub(crate) unknown_properties: Vec<Finding>,
    /// Values of another JSON type than the schema allows.
    pub(crate) type_mismatches: Vec<Finding>,
    /// Required properties that were absent.
    pub(crate) missing_required: Vec<Finding>,
    /// Values outside the schema's format or enum.
    pub(crate) format_surprises: Vec<Finding>,
}

impl SchemaReport {
    fn differs(&self) -> bool {
        !(self.unknown_properties.is_empty()
            && self.type_mismatches.is_empty()
            && self.missing_required.is_empty()
            && self.format_surprises.is_empty())
    }
}

/// A body that was not checked, and why.
#[derive(Debug, Serialize)]
pub(crate) struct Skipped {
    /// The body's file.
    pub(crate) file: String,
    /// Why it was not checked.
    pub(crate) reason: String,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub(crate) struct DriftReport {
    /// Whether any schema differs from the recorded answers.
    pub(crate) drift: bool,
    /// Bodies checked.
    pub(crate) checked: u64,
    /// Per schema, in name order.
    pub(crate) schemas: Vec<SchemaReport>,
    /// Bodies not checked (not JSON, e.g. a cut-off answer; JSON-RPC errors; no schema).
    pub(crate) skipped: Vec<Skipped>,
    /// What to do next.
    pub(crate) next_step: &'static str,
}

/// Findings keyed by (kind, path, expected), kept in order.
#[derive(Default)]
struct Collector {
    unknown: BTreeMap<String, Finding>,
    mismatch: BTreeMap<(String, String), Finding>,
    missing: BTreeMap<String, Finding>,
    format: BTreeMap<(String, String), Finding>,
}

fn bump(map_entry: &mut Finding) {
    map_entry.count += 1;
}

fn example(value: &Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > 80 => {
            Value::String(s.chars().take(80).collect::<String>() + "…")
        }
        Value::Array(items) if items.len() > 3 => {
            Value::String(format!("[array of {}]", items.len()))
        }
        Value::Object(map) if map.len() > 3 => {
            Value::String(format!("{{object with {} keys}}", map.len()))
        }
        other => other.clone(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn admits(types: &[&str], found: &str) -> bool {
    types.contains(&found) || (found == "integer" && types.contains(&"number"))
}

fn schema_types(schema: &Value) -> Option<Vec<&str>> {
    match schema.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// Follows a local `$ref` (`#/definitions/Name`).
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match reference.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

impl Collector {
    fn check(&mut self, schema: &Value, root: &Value, value: &Value, path: &str) {
        let schema = resolve(schema, root);
        let found = json_type(value);
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let resolved: Vec<&Value> = branches.iter().map(|b| resolve(b, root)).collect();
            match resolved
                .iter()
                .find(|b| schema_types(b).is_none_or(|ts| admits(&ts, found)))
            {
                Some(branch) => self.check(branch, root, value, path),
                None => {
                    let expected: Vec<&str> = resolved
                        .iter()
                        .filter_map(|b| schema_types(b))
                        .flatten()
                        .collect();
                    self.mismatch(path, &expected.join("|"), found, value);
                }
            }
            return;
        }
        if let Some(types) = schema_types(schema)
            && !admits(&types, found)
        {
            self.mismatch(path, &types.join("|"), found, value);
            return;
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            self.format(
                path,
                &format!("one of {}", Value::Array(options.clone())),
                value,
            );
        }
        if let (Some(format), Value::Number(n)) =
            (schema.get("format").and_then(Value::as_str), value)
        {
            let fits = match format {
                "uint64" | "uint32" | "uint16" | "uint8" => n.as_u64().is_some(),
                "int64" | "int32" | "int16" | "int8" => n.as_i64().is_some(),
                _ => true,
            };
            if !fits {
                self.format(path, format, value);
            }
        }
        match value {
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties").map(|a| resolve(a, root));
                // A non-empty additionalProperties schema describes a map: its keys are expected.
                let map_values =
                    additional.filter(|a| a.as_object().is_some_and(|o| !o.is_empty()));
                for (key, item) in map {
                    let child = format!("{path}.{key}");
                    if let Some(prop) = properties.and_then(|p| p.get(key)) {
                        self.check(prop, root, item, &child);
                    } else if let Some(values) = map_values {
                        self.check(values, root, item, &format!("{path}.*"));
                    } else {
                        let entry = self
                            .unknown
                            .entry(child.clone())
                            .or_insert_with(|| Finding {
                                path: child,
                                expected: None,
                                found: None,
                                example: Some(example(item)),
                                count: 0,
                            });
                        bump(entry);
                    }
                }
                for required in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !map.contains_key(required) {
                        let child = format!("{path}.{required}");
                        let entry = self
                            .missing
                            .entry(child.clone())
                            .or_insert_with(|| Finding {
                                path: child,
                                expected: None,
                                found: None,
                                example: None,
                                count: 0,
                            });
                        bump(entry);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for item in items {
                        self.check(item_schema, root, item, &format!("{path}[*]"));
                    }
                }
            }
            _ => {}
        }
    }

    fn mismatch(&mut self, path: &str, expected: &str, found: &str, value: &Value) {
        let entry = self
            .mismatch
            .entry((path.to_string(), found.to_string()))
            .or_insert_with(|| Finding {
                path: path.to_string(),
                expected: Some(expected.to_string()),
                found: Some(found.to_string()),
                example: Some(example(value)),
                count: 0,
            });
        bump(entry);
    }

    fn format(&mut self, path: &str, expected: &str, value: &Value) {
        let entry = self
            .format
            .entry((path.to_string(), expected.to_string()))
            .or_insert_with(|| Finding {
                path: path.to_string(),
                expected: Some(expected.to_string()),
                found: Some(json_type(value).to_string()),
                example: Some(example(value)),
                count: 0,
            });
        bump(entry);
    }

    fn into_report(self, schema: &str, bodies: u64) -> SchemaReport {
        SchemaReport {
            schema: schema.to_string(),
            bodies,
            unknown_properties: self.unknown.into_values().collect(),
            type_mismatches: self.mismatch.into_values().collect(),
            missing_required: self.missing.into_values().collect(),
            format_surprises: self.format.into_values().collect(),
        }
    }
}

/// Checks every body recorded in `dir`.
pub(crate) fn check_dir(dir: &Path) -> Result<DriftReport, CliError> {
    let recording = Recording::<Vendor>::open(dir)?;
    let index = recording.index();

    let mut schemas: BTreeMap<&'static str, (Value, Collector, u64)> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut checked = 0;
    for entry in &index.exchanges {
        let (Some(file), Some(status)) = (&entry.file, entry.status) else {
            continue;
        };
        let body = recording.body(entry)?;
        let Some((name, pointer)) = schema_for(entry.vendor, &entry.call, status) else {
            skipped.push(Skipped {
                file: file.clone(),
                reason: format!("no schema describes {} {}", entry.vendor, entry.call),
            });
            continue;
        };
        let Ok(document) = serde_json::from_slice::<Value>(&body) else {
            skipped.push(Skipped {
                file: file.clone(),
                reason: "not JSON (e.g. an answer cut off in transit)".to_string(),
            });
            continue;
        };
        let Some(payload) = document.pointer(pointer) else {
            skipped.push(Skipped {
                file: file.clone(),
                reason: "a JSON-RPC error answer (no result to check)".to_string(),
            });
            continue;
        };
        let slot = match schemas.get_mut(name) {
            Some(slot) => slot,
            None => {
                let raw = SCHEMAS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| *text)
                    .unwrap_or("{}");
                let schema: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
                schemas
                    .entry(name)
                    .or_insert((schema, Collector::default(), 0))
            }
        };
        let (schema, collector, bodies) = slot;
        collector.check(&schema.clone(), schema, payload, "$");
        *bodies += 1;
        checked += 1;
    }
    let schemas: Vec<SchemaReport> = schemas
        .into_iter()
        .map(|(name, (_, collector, bodies))| collector.into_report(name, bodies))
        .collect();
    Ok(DriftReport {
        drift: schemas.iter().any(SchemaReport::differs),
        checked,
        schemas,
        skipped,
        next_step: NEXT_STEP,
    })
}

/// Prints the report as a human-readable summary.
pub(crate) fn write_table(out: &mut dyn Write, report: &DriftReport) -> std::io::Result<()> {
    writeln!(
        out,
        "Checked {} recorded bodies against schemas/.",
        report.checked
    )?;
    for schema in &report.schemas {
        let verdict = if schema.differs() {
            "DIFFERS"
        } else {
            "matches"
        };
        writeln!(
            out,
            "\n{} ({} bodies): {verdict}",
            schema.schema, schema.bodies
        )?;
        for f in &schema.unknown_properties {
            writeln!(
                out,
                "  unknown property  {}  e.g. {}  (seen {}x)",
                f.path,
                show(&f.example),
                f.count
            )?;
        }
        for f in &schema.type_mismatches {
            writeln!(
                out,
                "  type mismatch     {}  expected {}, found {}  e.g. {}  (seen {}x)",
                f.path,
                f.expected.as_deref().unwrap_or("?"),
                f.found.as_deref().unwrap_or("?"),
                show(&f.example),
                f.count
            )?;
        }
        for f in &schema.missing_required {
            writeln!(out, "  missing required  {}  (seen {}x)", f.path, f.count)?;
        }
        for f in &schema.format_surprises {
            writeln!(
                out,
                "  format surprise   {}  expected {}  e.g. {}  (seen {}x)",
                f.path,
                f.expected.as_deref().unwrap_or("?"),
                show(&f.example),
                f.count
            )?;
        }
    }
    if !report.skipped.is_empty() {
        writeln!(out, "\nNot checked: {} bodies", report.skipped.len())?;
        for s in &report.skipped {
            writeln!(out, "  {}: {}", s.file, s.reason)?;
        }
    }
    if report.drift {
        writeln!(
            out,
            "\nThe vendors' answers differ from schemas/. Next: {}.",
            report.next_step
        )?;
    } else {
        writeln!(out, "\nNo drift: every recorded answer matches schemas/.")?;
    }
    Ok(())
}

fn show(value: &Option<Value>) -> String {
    value.as_ref().map_or_else(String::new, Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body without a property its schema requires is drift: turning the missing-required
    /// detection off makes this fail.
    #[test]
    fn a_missing_required_property_is_reported() {
        let root: Value = SCHEMAS
            .iter()
            .find(|(n, _)| n.contains("get-companies-list-result"))
            .and_then(|(_, t)| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        let mut c = Collector::default();
        let body =
            serde_json::json!([{"id": "656b64da26f2a74de4651327", "name": "A"}, {"name": "B"}]);
        c.check(&root, &root, &body, "$");
        let report = c.into_report("bitdefender/get-companies-list-result.json", 1);
        assert!(report.differs());
        let paths: Vec<&str> = report
            .missing_required
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(paths, ["$[*].id"], "{report:?}");
    }

    #[test]
    fn every_built_in_schema_parses() {
        for (name, text) in SCHEMAS {
            assert!(serde_json::from_str::<Value>(text).is_ok(), "{name}");
        }
    }

    #[test]
    fn the_strict_reading_reports_unknown_keys_types_and_missing() {
        let root: Value = serde_json::from_str(
            SCHEMAS
                .iter()
                .find(|(n, _)| n.contains("get-monthly-usage-result"))
                .map(|(_, t)| *t)
                .unwrap_or("{}"),
        )
        .unwrap_or(Value::Null);
        let mut c = Collector::default();
        let body = serde_json::json!({
            "endpointMonthlyUsage": 3, "newCounter": 1, "sveVdiMonthlyUsage": "1.5",
            "minimumUsage": {"endpointMonthlyUsage": 2}
        });
        c.check(&root, &root, &body, "$");
        let report = c.into_report("x", 1);
        assert_eq!(report.unknown_properties.len(), 1);
        assert_eq!(report.unknown_properties[0].path, "$.newCounter");
        assert_eq!(report.type_mismatches.len(), 1);
        assert_eq!(report.type_mismatches[0].path, "$.sveVdiMonthlyUsage");
        assert_eq!(report.type_mismatches[0].found.as_deref(), Some("string"));
        assert!(report.missing_required.is_empty());

        let mut c = Collector::default();
        c.check(&root, &root, &serde_json::json!(0), "$");
        assert!(
            !c.into_report("x", 1).differs(),
            "the bare 0 answer is in the schema"
        );
    }
}
