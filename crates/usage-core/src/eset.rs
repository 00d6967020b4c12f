//! ESET MSP Administrator 2 usage reports -> records.
//!
//! One company of a report page becomes two records per row: `seat_days` (unit `seat_day`)
//! and `seats` (unit `seat`), for the period the caller asked for. Rules beyond SPEC
//! section 2, chosen here and documented in the README:
//! - A row without a code (or with an empty one), without `seatDays` or without `seats` is an
//!   error for that company: a missing number is never written as 0.
//! - `licenseType` 1 / 4 (number or string) is `full` / `trial`; absent, null or any other
//!   value gives `license_type: null`, and the row is still kept.
//! - Daily reports give the same two records for the whole period; their `usagePerDays` is
//!   checked, not copied: its days must add up to `seatDays`, and every day must carry a usage.
//! - The company totals `totalUsage` / `totalSeats` are sums of the rows and give no records.
//! - Two rows with the same code (e.g. a full and a trial license of one product) are both kept.
//! - A company whose `totalUsage` or `totalSeats` is above 0 but that has no rows under the
//!   report's key is an error naming the arrays it does carry (an array under a key the schema
//!   does not name), never a company without usage.

use std::sync::{Arc, LazyLock};

use usage_models::eset::{UsageCompany, UsagePerDay, UsageRow, UsageRowCode, UsageRowLicenseType};

use crate::{
    CompanyRole, CoreError, LicenseType, Metric, Period, Unit, UsageRecord, Vendor, record_order,
};

/// Which rows an ESET usage report carries: its URL ends in `/categories` or `/products`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EsetReportKind {
    /// Category rows (`companies[].categories`); product key = category code.
    Categories,
    /// Product rows (`companies[].products`); product key = product code.
    Products,
}

impl EsetReportKind {
    /// The JSON key of the company's rows, which is also the last segment of the report's URL.
    pub const fn rows_key(self) -> &'static str {
        match self {
            EsetReportKind::Categories => "categories",
            EsetReportKind::Products => "products",
        }
    }
}

/// The records of one company of an ESET usage report page.
///
/// `endpoint` is the report's path, e.g. `UsageReport/AllCompanies/categories` (a leading `/`
/// is ignored); `source` becomes `eset:` + endpoint. `period` is the `from`..`to` the report
/// was asked for, `parent_id` the company above it in the ESET tree, when known, and `role` its
/// place in that tree.
///
/// Errors: a period that ends before it starts; a row without code, `seatDays` or `seats`; a
/// Daily row whose `usagePerDays` does not add up; rows only under the other kind's key.
pub fn normalize_eset_company(
    company: &UsageCompany,
    kind: EsetReportKind,
    period: Period,
    endpoint: &str,
    parent_id: Option<&str>,
    role: CompanyRole,
) -> Result<Vec<UsageRecord>, CoreError> {
    period.check()?;
    let (rows, other) = match kind {
        EsetReportKind::Categories => (&company.categories, &company.products),
        EsetReportKind::Products => (&company.products, &company.categories),
    };
    if rows.is_empty() && !other.is_empty() {
        let found = match kind {
            EsetReportKind::Categories => EsetReportKind::Products,
            EsetReportKind::Products => EsetReportKind::Categories,
        };
        return Err(CoreError::EsetReportKindMismatch {
            company_id: company.company_id.clone(),
            expected: kind.rows_key(),
            found: found.rows_key(),
        });
    }

    if rows.is_empty() && (company.total_usage > Some(0) || company.total_seats > Some(0)) {
        // Usage is stated but its rows are nowhere the schema looks: never a silent zero.
        let mut keys: Vec<String> = company
            .extra
            .iter()
            .filter(|(_, value)| value.is_array())
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        return Err(CoreError::EsetRowsMissing {
            company_id: company.company_id.clone(),
            expected: kind.rows_key(),
            total_usage: company.total_usage.unwrap_or(0),
            keys,
        });
    }

    let mut fields = rows
        .iter()
        .enumerate()
        .map(|(index, row)| RowFields::read(company, kind, index, row))
        .collect::<Result<Vec<_>, _>>()?;
    if fields.is_empty() {
        return Ok(Vec::new());
    }
    // Every record of one company shares vendor, company and (null) product type, so the
    // contract's order is (code, metric, license type, input order): sort the rows by code and
    // license type (stable), then write each code's seat_days records before its seats records.
    // This is exactly what `sort_records` would give, without comparing whole records.
    let license = |f: &RowFields| f.license_type.map(LicenseType::as_str);
    fields.sort_by(|a, b| {
        a.code
            .cmp(&b.code)
            .then_with(|| license(a).cmp(&license(b)))
    });

    // Shared by every record of the company: one allocation each, then reference counts.
    let company_id: Arc<str> = Arc::from(company.company_id.as_str());
    let company_name: Option<Arc<str>> = company.company_name.as_deref().map(Arc::from);
    let parent_company_id: Option<Arc<str>> = parent_id.map(Arc::from);
    let source = eset_source(endpoint);
    let record = |fields: &RowFields, metric, unit, quantity: u64| UsageRecord {
        vendor: Vendor::Eset,
        company_id: Arc::clone(&company_id),
        company_name: company_name.clone(),
        parent_company_id: parent_company_id.clone(),
        company_role: role,
        period_start: period.start,
        period_end: period.end,
        product: Arc::clone(&fields.code),
        product_name: fields.name.clone(),
        product_type: None,
        license_type: fields.license_type,
        metric,
        unit,
        quantity: quantity.into(),
        source: Arc::clone(&source),
    };
    let mut records = Vec::with_capacity(fields.len() * 2);
    let mut start = 0;
    while let Some(first) = fields.get(start) {
        let end = fields
            .iter()
            .skip(start)
            .position(|f| f.code != first.code)
            .map_or(fields.len(), |len| start + len);
        let group = fields.get(start..end).unwrap_or_default();
        for f in group {
            records.push(record(f, Metric::SeatDays, Unit::SeatDay, f.seat_days));
        }
        for f in group {
            records.push(record(f, Metric::Seats, Unit::Seat, f.seats));
        }
        start = end;
    }
    debug_assert!(
        records
            .windows(2)
            .all(|w| matches!(w, [a, b] if record_order(a, b).is_le()))
    );
    Ok(records)
}

/// The ESET report endpoints the transport calls, as `source` values.
const KNOWN_SOURCES: [&str; 8] = [
    "eset:UsageReport/AllCompanies/categories",
    "eset:UsageReport/AllCompanies/products",
    "eset:UsageReport/SelectedCompanies/categories",
    "eset:UsageReport/SelectedCompanies/products",
    "eset:UsageReport/Monthly/categories",
    "eset:UsageReport/Monthly/products",
    "eset:UsageReport/Daily/categories",
    "eset:UsageReport/Daily/products",
];

/// The `source` of `endpoint` (`eset:` + endpoint without a leading `/`). The known report
/// endpoints are allocated once per process and shared by every company's records; any other
/// endpoint gets its own string.
fn eset_source(endpoint: &str) -> Arc<str> {
    static SHARED: LazyLock<[Arc<str>; KNOWN_SOURCES.len()]> =
        LazyLock::new(|| KNOWN_SOURCES.map(Arc::from));
    let endpoint = endpoint.strip_prefix('/').unwrap_or(endpoint);
    KNOWN_SOURCES
        .iter()
        .position(|known| known.strip_prefix("eset:") == Some(endpoint))
        .and_then(|index| SHARED.get(index))
        .map_or_else(|| Arc::from(format!("eset:{endpoint}")), Arc::clone)
}

/// The checked values of one row.
struct RowFields {
    /// The product key, shared by the row's two records.
    code: Arc<str>,
    /// The product name, shared by the row's two records.
    name: Option<Arc<str>>,
    seat_days: u64,
    seats: u64,
    license_type: Option<LicenseType>,
}

impl RowFields {
    fn read(
        company: &UsageCompany,
        kind: EsetReportKind,
        index: usize,
        row: &UsageRow,
    ) -> Result<Self, CoreError> {
        let code: Option<Arc<str>> = match &row.code {
            Some(UsageRowCode::Integer(code)) => Some(Arc::from(code.to_string())),
            Some(UsageRowCode::String(code)) if !code.is_empty() => Some(Arc::from(code.as_str())),
            _ => None,
        };
        let incomplete = |code: Option<&str>, field| CoreError::EsetRowIncomplete {
            company_id: company.company_id.clone(),
            rows: kind.rows_key(),
            row: index,
            code: code.map(str::to_owned),
            field,
        };
        let Some(code) = code else {
            return Err(incomplete(None, "code"));
        };
        let seat_days = row
            .seat_days
            .ok_or_else(|| incomplete(Some(&code), "seatDays"))?;
        let seats = row.seats.ok_or_else(|| incomplete(Some(&code), "seats"))?;
        if let Some(days) = &row.usage_per_days {
            check_daily(company, &code, seat_days, days)?;
        }
        Ok(RowFields {
            license_type: license_type(row.license_type.as_ref()),
            name: row.name.as_deref().map(Arc::from),
            code,
            seat_days,
            seats,
        })
    }
}

/// `licenseType` 1 -> full, 4 -> trial (as a number or a string); anything else -> unknown.
fn license_type(value: Option<&UsageRowLicenseType>) -> Option<LicenseType> {
    match value? {
        UsageRowLicenseType::Integer(1) => Some(LicenseType::Full),
        UsageRowLicenseType::Integer(4) => Some(LicenseType::Trial),
        UsageRowLicenseType::String(text) => match text.trim() {
            "1" => Some(LicenseType::Full),
            "4" => Some(LicenseType::Trial),
            _ => None,
        },
        UsageRowLicenseType::Integer(_) | UsageRowLicenseType::Null => None,
    }
}

/// A Daily row's days must each carry a usage and add up to its `seatDays`.
fn check_daily(
    company: &UsageCompany,
    code: &str,
    seat_days: u64,
    days: &[UsagePerDay],
) -> Result<(), CoreError> {
    let mismatch = |detail| CoreError::EsetDailyMismatch {
        company_id: company.company_id.clone(),
        code: code.to_owned(),
        detail,
    };
    let mut sum: u64 = 0;
    for (index, day) in days.iter().enumerate() {
        let usage = match day {
            UsagePerDay::Uint64(usage) => *usage,
            UsagePerDay::UsagePerDayEntry(entry) => entry.usage.ok_or_else(|| {
                let date = entry.date.as_deref().unwrap_or("without a date");
                mismatch(format!(
                    "day {index} ({date}) of `usagePerDays` has no `usage`"
                ))
            })?,
        };
        sum = sum
            .checked_add(usage)
            .ok_or_else(|| mismatch("`usagePerDays` adds up beyond any count".to_owned()))?;
    }
    if sum == seat_days {
        Ok(())
    } else {
        Err(mismatch(format!(
            "`usagePerDays` adds up to {sum} but `seatDays` is {seat_days}"
        )))
    }
}
