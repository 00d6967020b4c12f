//! The random ESET world (root (1005) -> resellers (1001-1006) -> customers (1007), and
//! customers of the root), the plan built from it and the ESET MSP Administrator 2 server
//! serving that plan.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{ESET_ROOT, Expect, FAILURES, answer};

/// What the usage report holds for one ESET company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Row {
    Absent,
    Billed,
    Empty,
    /// Listed twice, identically (merged).
    Same,
    /// Listed twice, the second time with another row (merged).
    Extra,
    /// Listed first without rows, then with rows (merged).
    EmptyThenRows,
    /// Listed twice with another number for the same row (fails).
    Conflict,
    /// One entry with a negative seatDays (fails alone).
    Bad,
    /// Listed twice: readable, then with a negative seatDays (fails). Not generated at random:
    /// see `an_unreadable_repeated_entry_fails_its_company` (a product bug).
    BadRepeat,
}

/// A random ESET world.
#[derive(Debug, Clone)]
pub(crate) struct EsetWorld {
    pub(crate) root: Row,
    /// Reseller-type children of the root: entity type, own row, customers' rows.
    pub(crate) resellers: Vec<(i64, Row, Vec<Row>)>,
    pub(crate) customers: Vec<Row>,
    /// Extra billed customers of the root, so the report runs over several pages of `take`.
    pub(crate) filler: usize,
    /// Billed companies the report lists but the tree does not.
    pub(crate) strangers: usize,
    /// Report pages' `totalCount`: 0 honest, 1 zero, 2 the page's length, 3 absent.
    pub(crate) totals: u8,
    /// The report page (index by skip/take) that answers HTTP 500.
    pub(crate) failing_page: Option<usize>,
    pub(crate) shuffle: u64,
}

fn row() -> impl Strategy<Value = Row> {
    prop_oneof![
        8 => Just(Row::Billed), 2 => Just(Row::Empty), 1 => Just(Row::Same), 1 => Just(Row::Extra),
        1 => Just(Row::EmptyThenRows), 1 => Just(Row::Absent), 1 => Just(Row::Conflict),
        1 => Just(Row::Bad), 1 => Just(Row::BadRepeat),
    ]
}

prop_compose! {
    pub(crate) fn eset_world()(
        root in prop_oneof![Just(Row::Absent), Just(Row::Billed)],
        resellers in prop::collection::vec((
            1001i64..=1006,
            prop_oneof![Just(Row::Absent), Just(Row::Billed), Just(Row::Empty)],
            prop::collection::vec(row(), 0..4),
        ), 0..3),
        customers in prop::collection::vec(row(), 0..5),
        filler in prop_oneof![Just(0usize), 0usize..230],
        strangers in 0usize..2,
        totals in 0u8..4,
        failing_page in prop::option::weighted(0.2, 0usize..3),
        shuffle in any::<u64>(),
    ) -> EsetWorld {
        EsetWorld { root, resellers, customers, filler, strangers, totals, failing_page, shuffle }
    }
}

/// The usage report entries of one company with `row`.
fn eset_entries(id: &str, row: Row) -> Vec<Value> {
    let line = |code: &str, days: i64| json!({"code": code, "name": code, "licenseType": 1, "seatDays": days, "seats": 1});
    let entry = |rows: Vec<Value>, total: i64| json!({"companyId": id, "companyName": format!("Company {id}"), "totalUsage": total, "categories": rows});
    let billed = entry(vec![line("ENDPOINT", 62)], 62);
    let bad = entry(vec![line("ENDPOINT", -5)], 0);
    match row {
        Row::Absent => vec![],
        Row::Billed => vec![billed],
        Row::Empty => vec![entry(vec![], 0)],
        Row::Same => vec![billed.clone(), billed],
        Row::Extra => vec![billed, entry(vec![line("SERVER", 31)], 31)],
        Row::EmptyThenRows => vec![entry(vec![], 0), billed],
        Row::Conflict => vec![billed, entry(vec![line("ENDPOINT", 93)], 93)],
        Row::Bad => vec![bad],
        Row::BadRepeat => vec![billed, bad],
    }
}

/// The ESET server's data, built from a world: each company's children, the report entries in
/// report order (with their company), each company's (row, parent, role).
pub(crate) struct EsetPlan {
    pub(crate) children: BTreeMap<String, Vec<Value>>,
    entries: Vec<(String, Value)>,
    fates: BTreeMap<String, (Row, Option<String>, &'static str)>,
    totals: u8,
    failing_page: Option<usize>,
    /// The `take` of the last report request.
    pub(crate) take: AtomicUsize,
}

impl EsetPlan {
    pub(crate) fn new(world: &EsetWorld) -> Self {
        let mut plan = EsetPlan {
            children: BTreeMap::new(),
            entries: Vec::new(),
            fates: BTreeMap::new(),
            totals: world.totals,
            failing_page: world.failing_page,
            take: AtomicUsize::new(0),
        };
        let mut next = 0u64;
        let mut add = |plan: &mut Self, parent: Option<&str>, kind: i64, row: Row| {
            next += 1;
            let id = format!("00000000-0000-4000-8000-{next:012x}");
            if let Some(parent) = parent {
                let item = json!({"publicId": id, "name": format!("Company {id}"), "type": kind});
                plan.children
                    .entry(parent.to_owned())
                    .or_default()
                    .push(item);
            }
            let role = if kind == 1007 { "customer" } else { "reseller" };
            let fate = (row, parent.map(str::to_owned), role);
            plan.fates.insert(id.clone(), fate);
            plan.entries
                .extend(eset_entries(&id, row).into_iter().map(|e| (id.clone(), e)));
            id
        };
        let filler = std::iter::repeat_n(Row::Billed, world.filler);
        for row in world.customers.iter().copied().chain(filler) {
            add(&mut plan, Some(ESET_ROOT), 1007, row);
        }
        for (kind, own, customers) in &world.resellers {
            let id = add(&mut plan, Some(ESET_ROOT), *kind, *own);
            for row in customers {
                add(&mut plan, Some(&id), 1007, *row);
            }
        }
        for _ in 0..world.strangers {
            add(&mut plan, None, 1007, Row::Billed);
        }
        plan.fates
            .insert(ESET_ROOT.to_owned(), (world.root, None, "msp"));
        let root = eset_entries(ESET_ROOT, world.root);
        plan.entries
            .extend(root.into_iter().map(|e| (ESET_ROOT.to_owned(), e)));
        // Fisher-Yates with a xorshift: repeated entries may land on one page or on two.
        let mut state = world.shuffle | 1;
        for i in (1..plan.entries.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            plan.entries.swap(i, (state % (i as u64 + 1)) as usize);
        }
        plan
    }

    /// Where each company must end, given the `take` the client used; and the index of the
    /// report page lost, if the client asked for the failing page (it reads full pages until a
    /// short one, so a failing page past that is never asked for).
    pub(crate) fn expect(&self, take: usize) -> (BTreeMap<String, Expect>, Option<usize>) {
        let lost = self
            .failing_page
            .filter(|p| *p <= self.entries.len() / take);
        let read = lost.map_or(self.entries.len(), |p| p * take);
        let mut expect = BTreeMap::new();
        for (id, (row, parent, role)) in &self.fates {
            let all = self.entries.iter().filter(|(e, _)| e == id).count();
            let before = self.entries[..read].iter().filter(|(e, _)| e == id).count();
            let list = match row {
                _ if lost.is_some() && before == 0 => Some(FAILURES),
                // Only some of its entries were read before the page was lost.
                _ if before < all => None,
                Row::Absent if *role != "customer" => Some("without_usage"),
                Row::Absent | Row::Conflict | Row::Bad | Row::BadRepeat => Some(FAILURES),
                Row::Empty => Some("without_monthly_license"),
                _ => Some("records"),
            };
            // A company only in the report is known from the pages that were read.
            let knowable = parent.is_some() || *role == "msp" || before > 0;
            expect.insert(
                id.clone(),
                Expect::new(list, parent.clone(), role, knowable),
            );
        }
        (expect, lost)
    }
}

/// ESET MSP Administrator 2, serving the plan: Company/Children and the AllCompanies categories
/// report, both paged honestly by skip/take.
pub(crate) async fn eset(State(plan): State<Arc<EsetPlan>>, uri: Uri, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let skip = request["skip"].as_u64().unwrap_or(0) as usize;
    let take = request["take"].as_u64().unwrap_or(100).max(1) as usize;
    let page = |all: &[Value]| {
        all.iter()
            .skip(skip)
            .take(take)
            .cloned()
            .collect::<Vec<_>>()
    };
    match uri.path().trim_start_matches("/api/") {
        "Token/Get" | "Token/Renew" => {
            answer(&json!({"accessToken": "props-token", "refreshToken": "props-refresh"}))
        }
        "User/Current" => {
            answer(&json!({"company": {"companyId": ESET_ROOT, "name": "Our MSP", "type": 1005}}))
        }
        "Company/Children" => {
            let parent = request["companyId"].as_str().unwrap_or_default();
            let all = plan.children.get(parent).map_or(&[][..], Vec::as_slice);
            answer(&json!({"companies": page(all), "paging": {"totalCount": all.len()}}))
        }
        "UsageReport/AllCompanies/categories" => {
            plan.take.store(take, Ordering::SeqCst);
            if plan.failing_page == Some(skip / take) {
                return (StatusCode::INTERNAL_SERVER_ERROR, "report page lost").into_response();
            }
            let entries: Vec<Value> = plan.entries.iter().map(|(_, e)| e.clone()).collect();
            let companies = page(&entries);
            let totals = [entries.len(), 0, companies.len()];
            let paging = totals
                .get(usize::from(plan.totals))
                .map(|t| json!({"totalCount": t}));
            answer(&json!({"companies": companies, "paging": paging}))
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
