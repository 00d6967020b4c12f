//! The one error type of usage-core.
//!
//! Every message is one line that names what was wrong (the company, the row or counter, the
//! value) and what to do about it, so the CLI can print it as it is.

use chrono::NaiveDate;

/// Why a month could not be read, a period is unusable, or a vendor payload cannot become
/// records without losing or inventing a number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A month was not `YYYY-MM`, or is out of range.
    #[error("invalid month `{input}`: {reason}; use YYYY-MM, e.g. 2026-10")]
    InvalidMonth {
        /// The text (or `year-month` pair) that was given.
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },

    /// A period that ends before it starts.
    #[error(
        "invalid period {start}..{end}: it ends before it starts; pass the first day, then the last"
    )]
    InvalidPeriod {
        /// First day given.
        start: NaiveDate,
        /// Last day given.
        end: NaiveDate,
    },

    /// An ESET usage row lacks a value that a record needs (its code, `seatDays` or `seats`).
    ///
    /// A missing number is never turned into 0.
    #[error(
        "ESET company `{company_id}`: row {row} of `{rows}`{note} has no `{field}`; \
         the report is incomplete, so this company's usage cannot be billed: retry, \
         or report the payload",
        note = code_note(.code.as_deref())
    )]
    EsetRowIncomplete {
        /// The company whose row it is.
        company_id: String,
        /// `categories` or `products`.
        rows: &'static str,
        /// Index of the row in that array (0-based).
        row: usize,
        /// The row's code, when it has one.
        code: Option<String>,
        /// The missing key (`code`, `seatDays` or `seats`).
        field: &'static str,
    },

    /// An ESET company has rows only under the other report kind's key.
    #[error(
        "ESET company `{company_id}`: the report was read as `{expected}` but its rows are under \
         `{found}`; ask for the matching report kind"
    )]
    EsetReportKindMismatch {
        /// The company.
        company_id: String,
        /// The key the report kind reads.
        expected: &'static str,
        /// The key the rows were found under.
        found: &'static str,
    },

    /// An ESET company states usage (`totalUsage` or `totalSeats` above 0) but has no rows
    /// under the report's key: the rows may be under a key the schema does not name.
    #[error(
        "ESET company `{company_id}` states a total usage of {total_usage} but has no `{expected}` \
         rows{}; the ESET API may have changed: run `msp-usage collect --record DIR` and \
         `msp-usage drift DIR`, and report it",
        if keys.is_empty() { String::new() } else { format!(" (arrays found under: {})", keys.join(", ")) }
    )]
    EsetRowsMissing {
        /// The company.
        company_id: String,
        /// The key the report kind reads.
        expected: &'static str,
        /// The company's `totalUsage` (0 when only `totalSeats` was above 0).
        total_usage: u64,
        /// Keys of the company object that hold arrays the schema does not name.
        keys: Vec<String>,
    },

    /// An ESET Daily report's `usagePerDays` does not add up to the row's `seatDays`,
    /// or one of its days carries no usage.
    #[error(
        "ESET company `{company_id}`, code `{code}`: {detail}; the daily detail contradicts the \
         total, so neither is trusted: retry, or report the payload"
    )]
    EsetDailyMismatch {
        /// The company.
        company_id: String,
        /// The row's code.
        code: String,
        /// What did not add up.
        detail: String,
    },

    /// GravityZone `getMonthlyUsage` answered a bare number other than `0`.
    #[error(
        "GravityZone company `{company_id}`: getMonthlyUsage answered the number {value}, \
         which is neither counters nor `0` (no monthly license); report the payload"
    )]
    GzUnexpectedResult {
        /// The company.
        company_id: String,
        /// The number it answered.
        value: u64,
    },

    /// Two GravityZone counters give the same product key and metric with different values
    /// (e.g. `aLaCarteMonthlyUsage` and its misspelling `aLaCarteMonhtlyUsage`).
    #[error(
        "GravityZone company `{company_id}`{note}: {counters} both mean `{product}` ({metric}) \
         but disagree; report the payload",
        note = entry_note(*.product_type)
    )]
    GzConflictingCounters {
        /// The company.
        company_id: String,
        /// `productType` of the per-product-type entry; `None` for getMonthlyUsage.
        product_type: Option<i64>,
        /// The product key both counters map to.
        product: String,
        /// `monthly_usage` or `minimum_usage`.
        metric: &'static str,
        /// The two counters and their values, e.g. `` `aLaCarteMonhtlyUsage` = 4 and
        /// `aLaCarteMonthlyUsage` = 5 ``.
        counters: String,
    },

    /// A GravityZone counter holds a number that is not a count: negative, too large, or
    /// fractional where the unit is not `hour`.
    #[error(
        "GravityZone company `{company_id}`{note}: counter `{counter}` = {value} {reason}; \
         report the payload",
        note = entry_note(*.product_type)
    )]
    GzInvalidCounter {
        /// The company.
        company_id: String,
        /// `productType` of the per-product-type entry; `None` for getMonthlyUsage.
        product_type: Option<i64>,
        /// The counter's JSON name (`minimumUsage.<name>` for a minimum).
        counter: String,
        /// The value as sent.
        value: String,
        /// Why it is not a count.
        reason: &'static str,
    },

    /// A GravityZone per-product-type entry without a `productType`, or two entries with
    /// the same one.
    #[error(
        "GravityZone company `{company_id}`: getMonthlyUsagePerProductType {detail}; report the payload"
    )]
    GzProductType {
        /// The company.
        company_id: String,
        /// What was wrong.
        detail: String,
    },
}

/// ` (code `X`)` when an ESET row's code is known, else nothing.
fn code_note(code: Option<&str>) -> String {
    code.map(|c| format!(" (code `{c}`)")).unwrap_or_default()
}

/// ` (productType N)` for a GravityZone per-product-type entry, else nothing.
fn entry_note(product_type: Option<i64>) -> String {
    product_type
        .map(|t| format!(" (productType {t})"))
        .unwrap_or_default()
}
