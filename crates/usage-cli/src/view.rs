//! The terminal view of a collection: one row per company and vendor, sorted by name, fitted to
//! the terminal's width, so a customer's month is found by reading down one column.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{
    Cell, ColumnConstraint, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED,
};
use usage_core::{CompanyRole, LicenseType, Metric, UsageRecord, Vendor};

use crate::collect::vendor_label;
use crate::terminal::safe;

/// The widest the view gets, even on a wider terminal: past this a row is hard to follow.
pub(crate) const MAX_WIDTH: u16 = 120;

/// The width to fit the view to: standard output's terminal width, at most [`MAX_WIDTH`];
/// [`MAX_WIDTH`] when standard output is not a terminal.
pub(crate) fn width() -> u16 {
    console::Term::stdout()
        .size_checked()
        .map_or(MAX_WIDTH, |(_, columns)| columns.clamp(40, MAX_WIDTH))
}

/// One company of one vendor: what its row shows.
struct CompanyRow<'a> {
    name: Option<&'a str>,
    role: CompanyRole,
    /// Product label and main quantity, in record order.
    products: Vec<(String, String)>,
}

/// Writes one row per company and vendor, sorted by company name (then vendor and id): the
/// company, its role, vendor and id, and each product with its main quantity (ESET: seats on the
/// last day; GravityZone: the monthly usage counter; zeros left out, "-" when every quantity is
/// zero). Per-product-type records are not repeated here; `--detail` shows every record.
pub(crate) fn write_companies(
    out: &mut dyn Write,
    records: &[&UsageRecord],
    width: u16,
) -> std::io::Result<()> {
    let mut companies: BTreeMap<(Vendor, &str), CompanyRow<'_>> = BTreeMap::new();
    for record in records {
        let row = companies
            .entry((record.vendor, &record.company_id))
            .or_insert_with(|| CompanyRow {
                name: record.company_name.as_deref(),
                role: record.company_role,
                products: Vec::new(),
            });
        if record.product_type.is_some() {
            continue;
        }
        let main = match record.vendor {
            Vendor::Eset => record.metric == Metric::Seats,
            Vendor::Bitdefender => record.metric == Metric::MonthlyUsage,
        };
        if main && record.quantity.as_f64() != Some(0.0) {
            row.products
                .push((product_label(record), record.quantity.to_string()));
        }
    }
    let mut rows: Vec<((Vendor, &str), CompanyRow<'_>)> = companies.into_iter().collect();
    // By name as a reader looks it up: "Bärenstark" between "Bakery" and "Bruder", "Αθηνά"
    // with the A's; unnamed companies last.
    rows.sort_by_cached_key(|((vendor, id), row)| {
        (
            row.name.is_none(),
            row.name.map(|n| deunicode::deunicode(n).to_lowercase()),
            row.name.map(str::to_owned),
            *vendor,
            id.to_string(),
        )
    });

    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(vec!["Company / company ID", "Vendor", "Role", "Products"]);
    for ((vendor, id), row) in &rows {
        let products = if row.products.is_empty() {
            "-".to_string()
        } else {
            row.products
                .iter()
                // A no-break space keeps a product and its quantity on one line.
                .map(|(label, quantity)| format!("{label}\u{a0}{quantity}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        table.add_row(vec![
            Cell::new(format!(
                "{}\n{}",
                safe(row.name.unwrap_or("(no name)")),
                safe(id)
            )),
            Cell::new(vendor_label(*vendor)),
            Cell::new(row.role.as_str()),
            Cell::new(safe(&products)),
        ]);
    }
    // An id is copied into `--company`: it is never wrapped.
    if let Some(column) = table.column_mut(0) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "Products: ESET seats on the last day, GravityZone monthly usage; zeros are left out."
    )
}

/// How a product is named in a row: its key, or for a numeric ESET product code its name; a
/// trial license is marked.
fn product_label(record: &UsageRecord) -> String {
    let key = &*record.product;
    let label = match record.product_name.as_deref() {
        Some(name) if key.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => key,
    };
    match record.license_type {
        Some(LicenseType::Trial) => format!("{label} (trial)"),
        _ => label.to_string(),
    }
}
