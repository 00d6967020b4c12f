//! Writing a collection as table, JSON, NDJSON or CSV.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use usage_core::billing::totals;
use usage_core::{LicenseType, Metric, UsageRecord};

use crate::args::Format;
use crate::collect::{Collection, Failure, vendor_label};
use crate::terminal::safe;

/// Writes `collection` in `format`. `skip_zero` leaves zero quantities out of the records shown;
/// the table's totals are computed from every record either way (zeros add nothing).
pub(crate) fn write(
    out: &mut dyn Write,
    format: Format,
    collection: &Collection,
    skip_zero: bool,
) -> std::io::Result<()> {
    let shown: Vec<&UsageRecord> = collection
        .records
        .iter()
        .filter(|r| !skip_zero || !is_zero(r))
        .collect();
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "month": collection.month,
                "vendors": collection.vendors,
                "records": shown,
                "failures": collection.failures,
                "without_monthly_license": collection.without_monthly_license,
                "without_usage": collection.without_usage,
            });
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
            let mut writer = csv::Writer::from_writer(out);
            // An empty run still gets its header row.
            if shown.is_empty() {
                writer.write_record(UsageRecord::FIELDS).map_err(csv_io)?;
            }
            for record in shown {
                writer.serialize(record).map_err(csv_io)?;
            }
            writer.flush()
        }
        Format::Table => write_table(out, collection, &shown),
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
) -> std::io::Result<()> {
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

    writeln!(out, "Usage for {}", collection.month)?;
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
    writeln!(out, "{table}")?;

    writeln!(
        out,
        "\nTotals (a GravityZone parent's counters already include its children's, so only the top-most company of each branch counts):"
    )?;
    let mut sums = Table::new();
    sums.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
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
                "  {} {} {}: {}",
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
