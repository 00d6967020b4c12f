//! Usage reports: typed requests for the eight UsageReport endpoints, and complete paging.

use std::fmt;

use chrono::{Datelike as _, Months, NaiveDate};
use usage_models::eset::{
    UsageReportAllCompaniesCategoriesRequest, UsageReportAllCompaniesProductsRequest,
    UsageReportDailyCategoriesRequest, UsageReportDailyProductsRequest,
    UsageReportMonthlyCategoriesRequest, UsageReportMonthlyProductsRequest,
    UsageReportSelectedCompaniesCategoriesRequest, UsageReportSelectedCompaniesProductsRequest,
};

use crate::error::EsetError;
use crate::transport::Call;

/// An inclusive range of days (`from <= to`), sent as ESET's `from` and `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DateRange {
    /// The days `from` to `to`, both included; refused if `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, EsetError> {
        if to < from {
            return Err(EsetError::InvalidInput(format!(
                "the date range {from} to {to} ends before it starts; give the earlier date first"
            )));
        }
        Ok(Self { from, to })
    }

    /// The first to the last day of a calendar month.
    pub fn month(year: i32, month: u32) -> Result<Self, EsetError> {
        let invalid = || {
            EsetError::InvalidInput(format!(
                "{year}-{month:02} is not a calendar month; give a year and a month from 1 to 12"
            ))
        };
        let from = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
        let to = from
            .checked_add_months(Months::new(1))
            .and_then(|next| next.pred_opt())
            .ok_or_else(invalid)?;
        Ok(Self { from, to })
    }

    /// First day, included.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// Last day, included.
    pub fn to(&self) -> NaiveDate {
        self.to
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", date_text(self.from), date_text(self.to))
    }
}

/// `YYYY-MM-DD`, as ESET wants it.
fn date_text(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Which family of usage report: per category or per product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// `…/categories`: one row per license category.
    Categories,
    /// `…/products`: one row per product code.
    Products,
}

impl ReportKind {
    /// The last path segment: `categories` or `products`.
    pub fn path_segment(self) -> &'static str {
        match self {
            ReportKind::Categories => "categories",
            ReportKind::Products => "products",
        }
    }
}

/// Which companies a usage report covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReportScope {
    /// `UsageReport/AllCompanies/…`: every company below the API user's.
    AllCompanies,
    /// `UsageReport/SelectedCompanies/…`: the listed company ids (at least one).
    SelectedCompanies(Vec<String>),
    /// `UsageReport/Monthly/…`: one company; `codes` are category codes (categories) or
    /// product codes (products); empty means all.
    Monthly {
        /// The company id.
        company_id: String,
        /// Category or product codes; empty for all.
        codes: Vec<String>,
    },
    /// `UsageReport/Daily/…`: one company, with per-day usage; `codes` as for `Monthly`.
    Daily {
        /// The company id.
        company_id: String,
        /// Category or product codes; empty for all.
        codes: Vec<String>,
    },
}

impl ReportScope {
    fn path_segment(&self) -> &'static str {
        match self {
            ReportScope::AllCompanies => "AllCompanies",
            ReportScope::SelectedCompanies(_) => "SelectedCompanies",
            ReportScope::Monthly { .. } => "Monthly",
            ReportScope::Daily { .. } => "Daily",
        }
    }
}

/// One usage report to fetch, all pages of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsageReportRequest {
    /// Which companies.
    pub scope: ReportScope,
    /// Categories or products.
    pub kind: ReportKind,
    /// Which days.
    pub period: DateRange,
    /// Companies per page, 1..=100 (ESET's limit); anything else is refused before sending.
    pub take: u8,
}

impl UsageReportRequest {
    /// Largest page ESET allows, and the default.
    pub const MAX_TAKE: u8 = 100;

    /// A request with the largest page size (100).
    pub fn new(scope: ReportScope, kind: ReportKind, period: DateRange) -> Self {
        Self {
            scope,
            kind,
            period,
            take: Self::MAX_TAKE,
        }
    }

    /// The endpoint below the base URL, e.g. `UsageReport/AllCompanies/categories`.
    pub fn endpoint(&self) -> String {
        format!(
            "UsageReport/{}/{}",
            self.scope.path_segment(),
            self.kind.path_segment()
        )
    }

    /// Refuses what ESET would refuse (or misread), before anything is sent.
    pub(crate) fn validate(&self) -> Result<(), EsetError> {
        if !(1..=Self::MAX_TAKE).contains(&self.take) {
            return Err(EsetError::InvalidInput(format!(
                "take must be between 1 and {} (ESET's page size limit), not {}",
                Self::MAX_TAKE,
                self.take
            )));
        }
        let blank = |id: &String| id.trim().is_empty();
        match &self.scope {
            ReportScope::AllCompanies => Ok(()),
            ReportScope::SelectedCompanies(ids) if ids.is_empty() => Err(EsetError::InvalidInput(
                "a SelectedCompanies usage report needs at least one company id".to_owned(),
            )),
            ReportScope::SelectedCompanies(ids) if ids.iter().any(blank) => {
                Err(EsetError::InvalidInput(
                    "a company id in the usage report request is empty".to_owned(),
                ))
            }
            ReportScope::Monthly { company_id, .. } | ReportScope::Daily { company_id, .. }
                if blank(company_id) =>
            {
                Err(EsetError::InvalidInput(
                    "a Monthly or Daily usage report needs a company id".to_owned(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The call for the page at `skip`.
    pub(crate) fn call(&self, path: &str, skip: u64) -> Result<Call, EsetError> {
        let (from, to, take) = (
            date_text(self.period.from),
            date_text(self.period.to),
            self.take,
        );
        match (&self.scope, self.kind) {
            (ReportScope::AllCompanies, ReportKind::Categories) => Call::post(
                path,
                &UsageReportAllCompaniesCategoriesRequest {
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::AllCompanies, ReportKind::Products) => Call::post(
                path,
                &UsageReportAllCompaniesProductsRequest {
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::SelectedCompanies(ids), ReportKind::Categories) => Call::post(
                path,
                &UsageReportSelectedCompaniesCategoriesRequest {
                    company_ids: ids.clone(),
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::SelectedCompanies(ids), ReportKind::Products) => Call::post(
                path,
                &UsageReportSelectedCompaniesProductsRequest {
                    company_ids: ids.clone(),
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::Monthly { company_id, codes }, ReportKind::Categories) => Call::post(
                path,
                &UsageReportMonthlyCategoriesRequest {
                    categories: codes.clone(),
                    company_id: company_id.clone(),
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::Monthly { company_id, codes }, ReportKind::Products) => Call::post(
                path,
                &UsageReportMonthlyProductsRequest {
                    codes: codes.clone(),
                    company_id: company_id.clone(),
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::Daily { company_id, codes }, ReportKind::Categories) => Call::post(
                path,
                &UsageReportDailyCategoriesRequest {
                    categories: codes.clone(),
                    company_id: company_id.clone(),
                    from,
                    to,
                    skip,
                    take,
                },
            ),
            (ReportScope::Daily { company_id, codes }, ReportKind::Products) => Call::post(
                path,
                &UsageReportDailyProductsRequest {
                    codes: codes.clone(),
                    company_id: company_id.clone(),
                    from,
                    to,
                    skip,
                    take,
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn month_ranges() {
        let r = DateRange::month(2024, 2).unwrap();
        assert_eq!(r.to_string(), "2024-02-01 to 2024-02-29");
        let r = DateRange::month(2025, 12).unwrap();
        assert_eq!(r.to(), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        assert!(DateRange::month(2025, 13).is_err());
        assert!(DateRange::month(2025, 0).is_err());
    }

    #[test]
    fn reversed_range_is_refused() {
        let a = NaiveDate::from_ymd_opt(2025, 5, 2).unwrap();
        let b = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
        assert!(DateRange::new(a, b).is_err());
        assert!(DateRange::new(b, a).is_ok());
        assert!(DateRange::new(a, a).is_ok());
    }

    #[test]
    fn bodies_of_all_eight_endpoints() {
        let period = DateRange::month(2024, 5).unwrap();
        let scopes = [
            ReportScope::AllCompanies,
            ReportScope::SelectedCompanies(vec!["c1".into(), "c2".into()]),
            ReportScope::Monthly {
                company_id: "c1".into(),
                codes: vec!["111".into()],
            },
            ReportScope::Daily {
                company_id: "c1".into(),
                codes: vec![],
            },
        ];
        let mut seen = Vec::new();
        for scope in scopes {
            for kind in [ReportKind::Categories, ReportKind::Products] {
                let request = UsageReportRequest::new(scope.clone(), kind, period);
                let endpoint = request.endpoint();
                let call = request.call(&endpoint, 200).unwrap();
                let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
                seen.push(format!("{endpoint} {body}"));
            }
        }
        let expected = [
            r#"UsageReport/AllCompanies/categories {"from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/AllCompanies/products {"from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/SelectedCompanies/categories {"companyIds":["c1","c2"],"from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/SelectedCompanies/products {"companyIds":["c1","c2"],"from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/Monthly/categories {"categories":["111"],"companyId":"c1","from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/Monthly/products {"codes":["111"],"companyId":"c1","from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/Daily/categories {"companyId":"c1","from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
            r#"UsageReport/Daily/products {"companyId":"c1","from":"2024-05-01","skip":200,"take":100,"to":"2024-05-31"}"#,
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn validation() {
        let period = DateRange::month(2024, 5).unwrap();
        let mut r =
            UsageReportRequest::new(ReportScope::AllCompanies, ReportKind::Products, period);
        assert!(r.validate().is_ok());
        r.take = 0;
        assert!(r.validate().is_err());
        r.take = 101;
        assert!(r.validate().is_err());
        r.take = 1;
        assert!(r.validate().is_ok());
        r.scope = ReportScope::SelectedCompanies(vec![]);
        assert!(r.validate().is_err());
        r.scope = ReportScope::Monthly {
            company_id: " ".into(),
            codes: vec![],
        };
        assert!(r.validate().is_err());
    }
}
