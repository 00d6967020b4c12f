//! Usage-report pages: complete paging as a stream, each page read company by company (one
//! company whose entry does not decode, a wrong type, a null, a negative count, fails alone,
//! and the others of its page are kept).

use std::sync::Arc;

use futures::{Stream, StreamExt as _};
use serde::Deserialize;
use serde_json::value::RawValue;
use usage_http::{decode_json, snippet};
use usage_models::eset::{UsageCompany, UsagePaging, UsageReportResponse};

use crate::client::EsetClient;
use crate::error::EsetError;
use crate::pages::{Tally, pages};
use crate::paging::Pager;
use crate::report::UsageReportRequest;

/// A page as it comes over the wire, each company still raw JSON text.
#[derive(Debug, Deserialize)]
pub(crate) struct RawPage {
    #[serde(default)]
    companies: Vec<Box<RawValue>>,
    #[serde(default)]
    paging: Option<UsagePaging>,
    #[serde(default, rename = "totalCount")]
    total_count: Option<u64>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

/// A company of a page whose entry could not be read: a failure of that company alone.
#[derive(Debug)]
pub struct RejectedCompany {
    /// Its id, when the entry carried a readable `companyId`.
    pub company_id: Option<String>,
    /// Its name, when readable.
    pub company_name: Option<String>,
    /// What was wrong, with the JSON path inside the page (`companies[3].seatDays`).
    pub error: EsetError,
}

/// Just enough of an entry to name the company it was about.
#[derive(Deserialize)]
struct Named {
    #[serde(default, rename = "companyId")]
    company_id: Option<serde_json::Value>,
    #[serde(default, rename = "companyName")]
    company_name: Option<serde_json::Value>,
}

impl RawPage {
    /// The total the page stated (`paging.totalCount`, else a top-level `totalCount`).
    pub(crate) fn total(&self) -> Option<u64> {
        self.paging
            .as_ref()
            .and_then(|p| p.total_count)
            .or(self.total_count)
    }

    /// How many entries the page held.
    pub(crate) fn len(&self) -> usize {
        self.companies.len()
    }

    /// The page's companies, each decoded on its own: those that read, as a response, and
    /// those that did not, each with its error.
    pub(crate) fn decode(self, call: &str) -> (UsageReportResponse, Vec<RejectedCompany>) {
        let mut good = Vec::with_capacity(self.companies.len());
        let mut rejected = Vec::new();
        for (index, raw) in self.companies.into_iter().enumerate() {
            match decode_json::<UsageCompany>(raw.get().as_bytes()) {
                Ok(company) => good.push(company),
                Err(e) => {
                    let named = serde_json::from_str::<Named>(raw.get()).ok();
                    let text = |v: Option<serde_json::Value>| match v {
                        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s),
                        _ => None,
                    };
                    let (company_id, company_name) = match named {
                        Some(n) => (text(n.company_id), text(n.company_name)),
                        None => (None, None),
                    };
                    let path = match e.path.as_str() {
                        "" | "." => format!("companies[{index}]"),
                        inner => format!("companies[{index}].{inner}"),
                    };
                    rejected.push(RejectedCompany {
                        company_id,
                        company_name,
                        error: EsetError::Decode {
                            call: call.to_owned(),
                            path,
                            message: e.message,
                            snippet: snippet(raw.get().as_bytes()),
                            attempts: 1,
                        },
                    });
                }
            }
        }
        let response = UsageReportResponse {
            companies: good,
            paging: self.paging,
            total_count: self.total_count,
            extra: self.extra,
        };
        (response, rejected)
    }
}

/// One page of a usage report, with the companies of earlier pages removed.
#[derive(Debug)]
pub struct UsageReportPage {
    /// The endpoint, e.g. `UsageReport/AllCompanies/categories`.
    pub endpoint: String,
    /// The `skip` this page was requested with.
    pub skip: u64,
    /// ESET's answer: the companies that read (minus those already yielded on an earlier
    /// page).
    pub response: UsageReportResponse,
    /// The companies of the page whose entries could not be read, each with its error: each
    /// fails alone, the others of the page are kept. A company seen before (on this page or an
    /// earlier one) whose repeated entry does not read is here too: it fails, whatever its
    /// other entry gave.
    pub rejected: Vec<RejectedCompany>,
    /// Entries of companies already yielded (on this page or an earlier one): ESET may list a
    /// company twice, with rows to merge; never dropped, for the caller to merge or refuse.
    pub repeated: Vec<UsageCompany>,
}

impl EsetClient {
    /// Usage report pages as a stream, one item per page, so memory stays flat however many
    /// companies there are. Pages follow each other until a short or empty page (see the
    /// paging rules); once the first page is back, the following ones are asked several at a
    /// time within the client's pace and still yielded in order. A company's first entry is in
    /// `response`, any later entry of it in `repeated` (a changing total may shift it onto a
    /// second page, or ESET may list it twice). A bad request (e.g. `take` 0) is the first and
    /// only item, and nothing is sent.
    pub fn usage_report_pages(
        &self,
        request: UsageReportRequest,
    ) -> impl Stream<Item = Result<UsageReportPage, EsetError>> + Send + '_ {
        let endpoint = request.endpoint();
        let checked = request.validate();
        let take = request.take;
        let pager = Pager::new(&endpoint, take);
        let request = Arc::new(request);
        let fetch = {
            let endpoint = endpoint.clone();
            move |skip: u64| {
                let call = request.call(&endpoint, skip);
                async move { self.call::<RawPage>(&call?).await }
            }
        };
        let tally = move |raw: RawPage, pager: &mut Pager| {
            let skip = pager.next_skip().unwrap_or_default();
            let total = raw.total();
            let first = pager.is_first();
            let len = raw.len();
            let (mut response, rejected) = raw.decode(&endpoint);
            let (firsts, repeated): (Vec<UsageCompany>, Vec<UsageCompany>) = response
                .companies
                .into_iter()
                .partition(|c| pager.first_sighting(&c.company_id));
            response.companies = firsts;
            // Every entry that does not read is kept, a repeat of a company already seen too
            // (it fails that company); only first sightings count as new.
            let new = response.companies.len()
                + rejected
                    .iter()
                    .filter(|r| {
                        r.company_id
                            .as_ref()
                            .is_none_or(|id| pager.first_sighting(id))
                    })
                    .count();
            let item = (first || new > 0 || !repeated.is_empty()).then(|| UsageReportPage {
                endpoint: endpoint.clone(),
                skip,
                response,
                rejected,
                repeated,
            });
            Ok(Tally {
                item,
                len,
                new,
                total,
            })
        };
        let walk = pages(pager, take, self.pages_ahead(), fetch, tally);
        match checked {
            Ok(()) => walk.left_stream(),
            Err(e) => futures::stream::once(async { Err(e) }).right_stream(),
        }
    }

    /// Every company of every page of a usage report, collected (see
    /// [`usage_report_pages`](Self::usage_report_pages) to keep memory flat, and to keep the
    /// companies of a page when one of its entries does not read: here that is an error).
    pub async fn usage_report(
        &self,
        request: UsageReportRequest,
    ) -> Result<Vec<UsageCompany>, EsetError> {
        use futures::TryStreamExt as _;
        let mut companies = Vec::new();
        let pages = self.usage_report_pages(request);
        futures::pin_mut!(pages);
        while let Some(page) = pages.try_next().await? {
            if let Some(rejected) = page.rejected.into_iter().next() {
                return Err(rejected.error);
            }
            companies.extend(page.response.companies);
        }
        Ok(companies)
    }
}
