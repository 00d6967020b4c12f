//! The ESET usage reports: `UsageReport/{AllCompanies, SelectedCompanies, Monthly,
//! Daily}/{categories, products}`.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::dataset::Dataset;
use crate::drift;
use crate::eset_api::{
    Kind, SUB_INTERNAL, Scope, bad_request, codes, error, object, paging, period, string,
};
use crate::eset_data::{Day, ESET_CATEGORIES, ESET_PRODUCTS, License};
use crate::eset_tree::EsetCompany;
use crate::reply::Reply;
use crate::server::AppState;

/// A row code: a string, or a number for the products the sandbox sends as numbers.
#[derive(Serialize)]
#[serde(untagged)]
enum Code {
    Text(&'static str),
    Number(u64),
}

#[derive(Serialize)]
struct PerDay {
    date: String,
    usage: u64,
}

#[derive(Serialize)]
struct Row {
    code: Code,
    name: &'static str,
    #[serde(rename = "licenseType")]
    license_type: u8,
    #[serde(rename = "seatDays")]
    seat_days: u64,
    seats: u64,
    #[serde(rename = "usagePerDays", skip_serializing_if = "Option::is_none")]
    usage_per_days: Option<Vec<PerDay>>,
    /// Drift only: `billingGroup`, last.
    #[serde(rename = "billingGroup", skip_serializing_if = "Option::is_none")]
    billing_group: Option<&'static str>,
}

#[derive(Serialize)]
struct ReportCompany<'a> {
    #[serde(rename = "companyId")]
    company_id: &'a str,
    #[serde(rename = "companyName")]
    company_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<Vec<Row>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<Vec<Row>>,
    #[serde(rename = "totalUsage")]
    total_usage: u64,
    #[serde(rename = "totalSeats", skip_serializing_if = "Option::is_none")]
    total_seats: Option<u64>,
    /// Drift only: `resellerId`, last.
    #[serde(rename = "resellerId", skip_serializing_if = "Option::is_none")]
    reseller_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Paging {
    #[serde(rename = "totalCount")]
    total_count: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    companies: Vec<ReportCompany<'a>>,
    paging: Paging,
}

/// What one report asks for.
struct Query {
    kind: Kind,
    from: NaiveDate,
    to: NaiveDate,
    daily: bool,
    filter: Option<BTreeSet<String>>,
    with_total_seats: bool,
    /// Add the drift knob's fields.
    drift: bool,
}

/// Answers one usage report request.
pub(crate) fn report(state: &AppState, scope: Scope, kind: Kind, body: &[u8]) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    let filter_key = match kind {
        Kind::Categories => "categories",
        Kind::Products => "codes",
    };
    let common = period(&map).and_then(|(from, to)| {
        let (skip, take) = paging(&map)?;
        let filter = codes(&map, filter_key)?;
        Ok((from, to, skip, take, filter))
    });
    let (from, to, skip, take, filter) = match common {
        Ok(common) => common,
        Err(reply) => return reply,
    };
    let dataset: &Dataset = &state.dataset;
    let failing = state
        .config
        .fail_company
        .as_deref()
        .map(str::to_ascii_lowercase);
    let fails = |id: &str| failing.as_deref() == Some(id);
    // The positions (in `dataset.eset_companies()`) of the report's companies, by id.
    let selected: Vec<usize>;
    let positions: &[usize] = match scope {
        Scope::AllCompanies => dataset.eset_reported_positions(),
        Scope::SelectedCompanies => {
            let ids = match map.get("companyIds") {
                Some(Value::Array(items)) if !items.is_empty() => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect::<BTreeSet<String>>(),
                _ => return bad_request("companyIds must be a non-empty list of company ids."),
            };
            if ids.iter().any(|id| fails(id)) {
                return internal_error();
            }
            // Looked up one by one (ids sort as the company list does), not by scanning.
            selected = ids
                .iter()
                .filter_map(|id| dataset.eset_reported_position(id))
                .collect();
            &selected
        }
        Scope::Monthly | Scope::Daily => {
            let id = match string(&map, "companyId") {
                Ok(id) => id.to_ascii_lowercase(),
                Err(reply) => return reply,
            };
            if fails(&id) {
                return internal_error();
            }
            selected = dataset.eset_reported_position(&id).into_iter().collect();
            &selected
        }
    };
    let query = Query {
        kind,
        from,
        to,
        daily: scope == Scope::Daily,
        filter,
        with_total_seats: scope == Scope::SelectedCompanies,
        drift: state.config.drift,
    };
    let total_count = positions.len();
    let page = positions.get(skip..).unwrap_or_default();
    let page: Vec<&EsetCompany> = dataset.eset_at(page.get(..take).unwrap_or(page)).collect();
    // A failing company takes its whole page down, as one bad row does on a real server.
    if page.iter().any(|c| fails(&c.id)) {
        return internal_error();
    }
    let page = page
        .into_iter()
        .map(|company| report_company(dataset, company, &query))
        .collect();
    Reply::json(
        StatusCode::OK,
        &Report {
            companies: page,
            paging: Paging { total_count },
        },
    )
}

fn internal_error() -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        SUB_INTERNAL,
        "An internal server error occurred.",
    )
}

fn per_days(days: &[u64], from: NaiveDate) -> Vec<PerDay> {
    from.iter_days()
        .zip(days)
        .map(|(date, usage)| PerDay {
            date: date.format("%Y-%m-%d").to_string(),
            usage: *usage,
        })
        .collect()
}

fn report_company<'a>(
    dataset: &'a Dataset,
    company: &'a EsetCompany,
    query: &Query,
) -> ReportCompany<'a> {
    let billing_group = query.drift.then_some(drift::ESET_ROW_VALUE);
    let licenses: &[License] = dataset.eset_licenses(&company.id);
    let days = dataset.eset_days(&company.id, query.from, query.to);
    let length = usize::try_from((query.to - query.from).num_days() + 1).unwrap_or(0);
    let usage_of = |days: &[Day]| -> Vec<u64> { days.iter().map(|d| d.usage).collect() };
    let seats_of = |days: &[Day]| -> u64 { days.last().map_or(0, |d| d.seats) };
    let mut rows = Vec::new();
    match query.kind {
        Kind::Products => {
            for (license, days) in licenses.iter().zip(&days) {
                let Some(product) = ESET_PRODUCTS.get(license.product) else {
                    continue;
                };
                if query
                    .filter
                    .as_ref()
                    .is_some_and(|f| !f.contains(product.code))
                {
                    continue;
                }
                let usage = usage_of(days);
                rows.push(Row {
                    code: match product.code.parse::<u64>() {
                        Ok(number) if product.code_as_number => Code::Number(number),
                        _ => Code::Text(product.code),
                    },
                    name: product.name,
                    license_type: license.license_type,
                    seat_days: usage.iter().sum(),
                    seats: seats_of(days),
                    usage_per_days: query.daily.then(|| per_days(&usage, query.from)),
                    billing_group,
                });
            }
        }
        Kind::Categories => {
            for category in ESET_CATEGORIES {
                if query
                    .filter
                    .as_ref()
                    .is_some_and(|f| !f.contains(category.code))
                {
                    continue;
                }
                let mut usage = vec![0u64; length];
                let mut seats = 0;
                let mut license_type = None;
                for (license, days) in licenses.iter().zip(&days) {
                    let in_category = ESET_PRODUCTS
                        .get(license.product)
                        .is_some_and(|p| p.category == category.code);
                    if !in_category {
                        continue;
                    }
                    license_type.get_or_insert(license.license_type);
                    for (sum, day) in usage.iter_mut().zip(days) {
                        *sum += day.usage;
                    }
                    seats += seats_of(days);
                }
                let Some(license_type) = license_type else {
                    continue;
                };
                rows.push(Row {
                    code: Code::Text(category.code),
                    name: category.name,
                    license_type,
                    seat_days: usage.iter().sum(),
                    seats,
                    usage_per_days: query.daily.then(|| per_days(&usage, query.from)),
                    billing_group,
                });
            }
        }
    }
    let total_usage = rows.iter().map(|r| r.seat_days).sum();
    let total_seats = query
        .with_total_seats
        .then(|| rows.iter().map(|r| r.seats).sum());
    let (categories, products) = match query.kind {
        Kind::Categories => (Some(rows), None),
        Kind::Products => (None, Some(rows)),
    };
    ReportCompany {
        company_id: &company.id,
        company_name: &company.name,
        categories,
        products,
        total_usage,
        total_seats,
        reseller_id: query.drift.then(|| dataset.drift_reseller_id()),
    }
}
