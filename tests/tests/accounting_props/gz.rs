//! The random GravityZone world (the key's partner company, partners, customers and company
//! folders at any depth), the plan built from it and the GravityZone JSON-RPC server serving
//! that plan.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{Expect, FAILURES, GZ_ROOT, answer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Customer,
    Partner,
    Folder,
}

/// What getMonthlyUsage answers for a company: counters, `0` (no monthly license), `{}`, every
/// counter null, or HTTP 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    Counters,
    Zero,
    Empty,
    Nulls,
    Fails,
}

/// A random GravityZone world: each item goes into one of the containers (the root, partners,
/// folders) made before it, chosen by its `usize` modulo their number.
#[derive(Debug, Clone)]
pub(crate) struct GzWorld {
    pub(crate) root: Usage,
    pub(crate) items: Vec<(Kind, usize, Usage)>,
    /// A container whose listing answers -32602: which one, and which of its three calls
    /// (0 getCompaniesList, 1 the same for partners only, 2 getCompanyFoldersList).
    pub(crate) broken: Option<(usize, u8)>,
}

fn usage() -> impl Strategy<Value = Usage> {
    prop_oneof![
        6 => Just(Usage::Counters), 1 => Just(Usage::Zero), 1 => Just(Usage::Empty),
        1 => Just(Usage::Nulls), 1 => Just(Usage::Fails),
    ]
}

prop_compose! {
    pub(crate) fn gz_world()(
        root in usage(),
        items in prop::collection::vec((
            prop_oneof![3 => Just(Kind::Customer), 2 => Just(Kind::Partner), 2 => Just(Kind::Folder)],
            any::<usize>(),
            usage(),
        ), 0..7),
        broken in prop::option::weighted(0.25, (any::<usize>(), 0u8..3)),
    ) -> GzWorld {
        GzWorld { root, items, broken }
    }
}

/// What is directly inside a partner or folder: its companies (id, whether a partner) and its
/// folders.
type Listing = (Vec<(String, bool)>, Vec<String>);

/// The GravityZone server's data, built from a world: each partner's and folder's listing, each
/// company's usage, the broken listing, and where each company must end.
pub(crate) struct GzPlan {
    listings: BTreeMap<String, Listing>,
    usage: BTreeMap<String, Usage>,
    pub(crate) broken: Option<(String, u8)>,
    pub(crate) expect: BTreeMap<String, Expect>,
}

impl GzPlan {
    pub(crate) fn new(world: &GzWorld) -> Self {
        // Containers: (list id, owner company, indices of the container and those above it).
        let mut containers = vec![(GZ_ROOT.to_owned(), GZ_ROOT.to_owned(), vec![0])];
        let mut listings = BTreeMap::from([(GZ_ROOT.to_owned(), Default::default())]);
        let mut usage = BTreeMap::from([(GZ_ROOT.to_owned(), world.root)]);
        let mut placed = vec![(GZ_ROOT.to_owned(), None, "msp", vec![])];
        for (n, (kind, place, fate)) in world.items.iter().enumerate() {
            let (list_id, owner, above) = containers[place % containers.len()].clone();
            let id = format!("6572e499d2128b2f3389{:04x}", n + 1);
            let (companies, folders): &mut Listing = listings.get_mut(&list_id).unwrap();
            let mut path = above.clone();
            path.push(containers.len());
            if *kind == Kind::Folder {
                folders.push(id.clone());
                containers.push((id.clone(), owner, path));
            } else {
                let partner = *kind == Kind::Partner;
                companies.push((id.clone(), partner));
                usage.insert(id.clone(), *fate);
                let role = if partner { "reseller" } else { "customer" };
                placed.push((id.clone(), Some(owner), role, above));
                if !partner {
                    continue;
                }
                containers.push((id.clone(), id.clone(), path));
            }
            listings.insert(id, Default::default());
        }
        let broken = world.broken.map(|(at, call)| (at % containers.len(), call));
        let mut expect = BTreeMap::new();
        for (id, parent, role, above) in placed {
            let knowable = broken.is_none_or(|(b, _)| !above.contains(&b));
            let list = Some(match usage[&id] {
                Usage::Counters => "records",
                Usage::Zero => "without_monthly_license",
                Usage::Empty | Usage::Nulls => "without_usage",
                Usage::Fails => FAILURES,
            });
            expect.insert(id, Expect::new(list, parent, role, knowable));
        }
        let broken = broken.map(|(b, call)| (containers[b].0.clone(), call));
        GzPlan {
            listings,
            usage,
            broken,
            expect,
        }
    }
}

/// GravityZone's JSON-RPC, serving the plan.
pub(crate) async fn gravityzone(State(plan): State<Arc<GzPlan>>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (id, params) = (request["id"].clone(), &request["params"]);
    let reply = |result: Value| answer(&json!({"id": id, "jsonrpc": "2.0", "result": result}));
    let error = json!({"code": -32602, "message": "Invalid params", "data": {"details": "Invalid value for 'parentId'"}});
    let invalid = || answer(&json!({"id": id, "jsonrpc": "2.0", "error": error}));
    let parent = params["parentId"].as_str().unwrap_or(GZ_ROOT);
    let call = match request["method"].as_str().unwrap_or_default() {
        "getCompanyDetails" => return reply(json!({"id": GZ_ROOT, "name": "Root", "type": 0})),
        "getCompanyFoldersList" => 2,
        "getCompaniesList" if params["filters"]["companyType"] == 0 => 1,
        "getCompaniesList" => 0,
        "getMonthlyUsage" => {
            return match plan
                .usage
                .get(params["companyId"].as_str().unwrap_or_default())
            {
                Some(Usage::Counters) => {
                    reply(json!({"endpointMonthlyUsage": 7, "exchangeMonthlyUsage": 0}))
                }
                Some(Usage::Zero) => reply(json!(0)),
                Some(Usage::Empty) => reply(json!({})),
                Some(Usage::Nulls) => reply(json!({"endpointMonthlyUsage": null})),
                Some(Usage::Fails) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                None => invalid(),
            };
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    // A customer (it has no listing) answers -32602, and so does the broken call.
    let broken = plan
        .broken
        .as_ref()
        .is_some_and(|(b, c)| b == parent && *c == call);
    let Some((companies, folders)) = plan.listings.get(parent).filter(|_| !broken) else {
        return invalid();
    };
    let named = |id: &String| json!({"id": id, "name": format!("Name {id}")});
    let partners = companies
        .iter()
        .filter(|(_, partner)| call == 0 || *partner);
    reply(match call {
        2 => folders.iter().map(named).collect(),
        _ => partners.map(|(id, _)| named(id)).collect(),
    })
}
