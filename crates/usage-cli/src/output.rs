//! Writing a collection as table, JSON, NDJSON or CSV.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use usage_core::billing::totals;
use usage_core::{LicenseType, Metric, Month, UsageRecord};

use crate::args::Format;
use crate::collect::{
    Collection, Failure, VendorStatus, WithoutLicense, WithoutUsage, vendor_label,
};
use crate::terminal::safe;

/// How CSV is written (`--csv-bom`, `--csv-delimiter`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CsvOptions {
    /// Start with a UTF-8 byte order mark.
    pub(crate) bom: bool,
    /// The field separator.
    pub(crate) delimiter: u8,
}

/// How a collection is written, beyond its format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteOptions {
    /// Leave zero quantities out of the records shown (`--skip-zero`); the table's totals are
    /// computed from every record either way (zeros add nothing).
    pub(crate) skip_zero: bool,
    /// CSV options.
    pub(crate) csv: CsvOptions,
    /// Table: one row per record (`--detail`) instead of one row per company and vendor.
    pub(crate) detail: bool,
    /// Table: the width to fit the company view to.
    pub(crate) width: u16,
}

/// The `json` format's object (SPEC section 3), keys in the contract's order; each record's
/// keys in contract order too.
#[derive(Serialize)]
struct Document<'a> {
    month: &'a Month,
    vendors: &'a [VendorStatus],
    records: &'a [&'a UsageRecord],
    failures: &'a [Failure],
    without_monthly_license: &'a [WithoutLicense],
    without_usage: &'a [WithoutUsage],
}

/// Writes `collection` in `format`.
pub(crate) fn write(
    out: &mut dyn Write,
    format: Format,
    collection: &Collection,
    options: WriteOptions,
) -> std::io::Result<()> {
    let csv_options = options.csv;
    let shown: Vec<&UsageRecord> = collection
        .records
        .iter()
        .filter(|r| !options.skip_zero || !is_zero(r))
        .collect();
    match format {
        Format::Json => {
            // Serialized straight to the writer, record by record: no document in memory.
            let doc = Document {
                month: &collection.month,
                vendors: &collection.vendors,
                records: &shown,
                failures: &collection.failures,
                without_monthly_license: &collection.without_monthly_license,
                without_usage: &collection.without_usage,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Ndjson => {
            for record in shown {
                serde_json::to_writer(&mut *out, record)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => {
            if csv_options.bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut writer = csv::WriterBuilder::new()
                .delimiter(csv_options.delimiter)
                .from_writer(out);
            writer.write_record(UsageRecord::FIELDS).map_err(csv_io)?;
            for record in shown {
                writer.write_record(csv_cells(record)?).map_err(csv_io)?;
            }
            writer.flush()
        }
        Format::Table => write_table(out, collection, &shown, options),
    }
}

/// A record's cells in contract order, text guarded against spreadsheet formulas: a text cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
/// `'`, so a spreadsheet shows it instead of running it. Numbers are written as they are.
fn csv_cells(record: &UsageRecord) -> std::io::Result<Vec<String>> {
    let serde_json::Value::Object(fields) = serde_json::to_value(record)? else {
        return Err(std::io::Error::other("a record is not an object"));
    };
    Ok(UsageRecord::FIELDS
        .iter()
        .map(|name| match fields.get(*name) {
            Some(serde_json::Value::String(text)) => guard_formula(text),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        })
        .collect())
}

/// `text`, with a leading `'` when a spreadsheet would take it for a formula.
pub(crate) fn guard_formula(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A CSV error as the I/O error underneath it, when there is one, so that a closed pipe is
/// recognised as such (and the run ends quietly) in CSV as in every other format.
fn csv_io(error: csv::Error) -> std::io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// A failure on one line, safe for a terminal: vendor, company id, name, message.
pub(crate) fn failure_line(failure: &Failure) -> String {
    format!(
        "{} {} {}: {}",
        vendor_label(failure.vendor),
        safe(failure.company_id.as_deref().unwrap_or("-")),
        safe(failure.company_name.as_deref().unwrap_or("")),
        safe(&failure.message)
    )
}

fn is_zero(record: &UsageRecord) -> bool {
    record.quantity.as_f64() == Some(0.0)
}

/// One table row: a company and product, with the metrics as columns.
#[derive(Default)]
struct Row {
    company_name: String,
    product_name: String,
    unit: String,
    metrics: BTreeMap<Metric, String>,
}

fn write_table(
    out: &mut dyn Write,
    collection: &Collection,
    shown: &[&UsageRecord],
    options: WriteOptions,
) -> std::io::Result<()> {
    writeln!(out, "Usage for {}", collection.month)?;
    if options.detail {
        writeln!(out, "{}", detail_table(shown))?;
    } else {
        crate::view::write_companies(out, shown, options.width)?;
    }

    writeln!(
        out,
        "\nTotals (a GravityZone parent's counters already include its children's, so only the\n\
         top-most company of each branch counts):"
    )?;
    let mut sums = Table::new();
    sums.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(options.width)
        .set_header(vec![
            "Vendor",
            "Product",
            "Type",
            "Metric",
            "Unit",
            "Total",
            "Companies",
        ]);
    for total in totals(&collection.records) {
        sums.add_row(vec![
            Cell::new(vendor_label(total.vendor)),
            Cell::new(&total.product),
            Cell::new(total.product_type.clone().unwrap_or_default()),
            Cell::new(serde_plain(&total.metric)),
            Cell::new(serde_plain(&total.unit)),
            Cell::new(total.quantity.to_string()).set_alignment(CellAlignment::Right),
            Cell::new(total.companies.to_string()).set_alignment(CellAlignment::Right),
        ]);
    }
    writeln!(out, "{sums}")?;
    write_lists(out, collection)
}

/// `--detail`: one row per company, product, product type and license type, every metric a
/// column.
fn detail_table(shown: &[&UsageRecord]) -> Table {
    // Key: vendor, company id, product type, product, license type (records arrive sorted).
    let mut rows: BTreeMap<(String, String, String, String, String), Row> = BTreeMap::new();
    for record in shown {
        let key = (
            vendor_label(record.vendor).to_string(),
            safe(&record.company_id).into_owned(),
            record.product_type.as_deref().unwrap_or("").to_owned(),
            safe(&record.product).into_owned(),
            match record.license_type {
                Some(LicenseType::Full) => "full".to_string(),
                Some(LicenseType::Trial) => "trial".to_string(),
                None => String::new(),
            },
        );
        let row = rows.entry(key).or_default();
        row.company_name = safe(record.company_name.as_deref().unwrap_or("")).into_owned();
        row.product_name = safe(record.product_name.as_deref().unwrap_or("")).into_owned();
        if matches!(record.metric, Metric::MonthlyUsage) {
            row.unit = unit_label(record);
        }
        row.metrics
            .insert(record.metric, record.quantity.to_string());
    }

    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "Vendor",
        "Company",
        "Company ID",
        "Product",
        "Name",
        "Type",
        "License",
        "Seat-days",
        "Seats",
        "Monthly usage",
        "Minimum",
        "Unit",
    ]);
    let metric = |row: &Row, m: Metric| row.metrics.get(&m).cloned().unwrap_or_default();
    for ((vendor, company_id, product_type, product, license), row) in &rows {
        table.add_row(vec![
            Cell::new(vendor),
            Cell::new(&row.company_name),
            Cell::new(company_id),
            Cell::new(product),
            Cell::new(&row.product_name),
            Cell::new(product_type),
            Cell::new(license),
            Cell::new(metric(row, Metric::SeatDays)).set_alignment(CellAlignment::Right),
            Cell::new(metric(row, Metric::Seats)).set_alignment(CellAlignment::Right),
            Cell::new(metric(row, Metric::MonthlyUsage)).set_alignment(CellAlignment::Right),
            Cell::new(metric(row, Metric::MinimumUsage)).set_alignment(CellAlignment::Right),
            Cell::new(&row.unit),
        ]);
    }
    table
}

/// The companies without a monthly license, without usage of their own, and the failures.
fn write_lists(out: &mut dyn Write, collection: &Collection) -> std::io::Result<()> {
    if !collection.without_monthly_license.is_empty() {
        writeln!(
            out,
            "\nWithout a monthly license ({}):",
            collection.without_monthly_license.len()
        )?;
        for mark in &collection.without_monthly_license {
            writeln!(
                out,
                "  {} {} {}",
                vendor_label(mark.vendor),
                safe(&mark.company_id),
                safe(mark.company_name.as_deref().unwrap_or(""))
            )?;
        }
    }
    if !collection.without_usage.is_empty() {
        writeln!(
            out,
            "\nWithout usage of their own ({}):",
            collection.without_usage.len()
        )?;
        for mark in &collection.without_usage {
            writeln!(
                out,
                "  {} {} {}\n      {}",
                vendor_label(mark.vendor),
                safe(&mark.company_id),
                safe(mark.company_name.as_deref().unwrap_or("")),
                safe(&mark.reason)
            )?;
        }
    }
    if !collection.failures.is_empty() {
        writeln!(out, "\nFailures ({}):", collection.failures.len())?;
        for failure in &collection.failures {
            writeln!(out, "  {}", failure_line(failure))?;
        }
    }
    Ok(())
}

fn unit_label(record: &UsageRecord) -> String {
    serde_plain(&record.unit)
}

/// The serialized string of a unit-like enum (`seat_day`, `monthly_usage`, ...).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use usage_core::{Month, Period, Unit, Vendor};

    use super::*;

    fn record(company_name: &str, quantity: i64) -> UsageRecord {
        let period: Period = "2026-10".parse::<Month>().unwrap().into();
        UsageRecord {
            vendor: Vendor::Eset,
            company_id: Arc::from("c-1"),
            company_name: Some(Arc::from(company_name)),
            parent_company_id: None,
            company_role: usage_core::CompanyRole::Customer,
            period_start: period.start,
            period_end: period.end,
            product: Arc::from("ENDPOINT"),
            product_name: Some(Arc::from("Endpoint Protection")),
            product_type: None,
            license_type: Some(LicenseType::Full),
            metric: Metric::SeatDays,
            unit: Unit::SeatDay,
            quantity: quantity.into(),
            source: Arc::from("eset:UsageReport/AllCompanies/categories"),
        }
    }

    fn csv_of(names: &[&str], options: CsvOptions) -> Vec<u8> {
        let collection = Collection {
            month: "2026-10".parse().unwrap(),
            vendors: Vec::new(),
            records: names.iter().map(|n| record(n, -3)).collect(),
            failures: Vec::new(),
            without_monthly_license: Vec::new(),
            without_usage: Vec::new(),
        };
        let mut out = Vec::new();
        let options = WriteOptions {
            skip_zero: false,
            csv: options,
            detail: false,
            width: crate::view::MAX_WIDTH,
        };
        write(&mut out, Format::Csv, &collection, options).unwrap();
        out
    }

    /// Hostile names come back, through the csv crate, with a leading `'`: a spreadsheet shows
    /// them instead of running them. Numbers (even negative) are written as they are.
    #[test]
    fn formulas_are_guarded_and_read_back() {
        let hostile = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\tTab GmbH",
            "\rCR SARL",
            "Łąka B.V.",
        ];
        let bytes = csv_of(
            &hostile,
            CsvOptions {
                bom: false,
                delimiter: b',',
            },
        );
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let names: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
        let expected: Vec<String> = hostile
            .iter()
            .map(|n| {
                if *n == "Łąka B.V." {
                    (*n).to_owned()
                } else {
                    format!("'{n}")
                }
            })
            .collect();
        assert_eq!(names, expected);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let quantity_column = UsageRecord::FIELDS
            .iter()
            .position(|f| *f == "quantity")
            .unwrap();
        assert_eq!(
            &reader.records().next().unwrap().unwrap()[quantity_column],
            "-3"
        );
    }

    #[test]
    fn bom_and_delimiter() {
        let bytes = csv_of(
            &["Hôtel du Lac"],
            CsvOptions {
                bom: true,
                delimiter: b';',
            },
        );
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&bytes[3..]);
        assert_eq!(reader.headers().unwrap().len(), UsageRecord::FIELDS.len());
        assert_eq!(
            &reader.records().next().unwrap().unwrap()[2],
            "Hôtel du Lac"
        );
        let tab = csv_of(
            &["x"],
            CsvOptions {
                bom: false,
                delimiter: b'\t',
            },
        );
        assert!(
            String::from_utf8(tab)
                .unwrap()
                .starts_with("vendor\tcompany_id\t")
        );
    }
}
