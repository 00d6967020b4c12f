//! The walk of the company tree against a loopback GravityZone that knows a 3-level tree.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use common::{Ticker, client, fixture, request_method, request_params};
use futures::StreamExt;
use serde_json::{Value, json};
use usage_bitdefender::{GravityZoneError, GzCompany};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A 24-hex company id.
fn id(n: u32) -> String {
    format!("{:024x}", 0x6500_0000_0000_u64 + u64::from(n))
}

/// The tree: the key's own company (partner) with 4 partners and 7 customers below it; three
/// of the partners have 16 customers each, the fourth none. 1 + 4 + 7 + 48 = 60 companies on
/// three levels. Partner 2's list also names the first customer of partner 1 again.
struct Tree {
    root: String,
    /// parent -> children, as the server lists them.
    children: BTreeMap<String, Vec<String>>,
    /// company -> (parent, depth), what the walk must find.
    expected: BTreeMap<String, (Option<String>, u32)>,
    /// Companies answering `getCompaniesList` with -32602.
    customers: HashSet<String>,
}

fn tree() -> Tree {
    let mut next = 0;
    let mut fresh = || {
        next += 1;
        id(next)
    };
    let root = fresh();
    let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut expected = BTreeMap::new();
    let mut customers = HashSet::new();
    expected.insert(root.clone(), (None, 0));
    let partners: Vec<String> = (0..4).map(|_| fresh()).collect();
    let direct: Vec<String> = (0..7).map(|_| fresh()).collect();
    let mut top = Vec::new();
    for (i, p) in partners.iter().enumerate() {
        top.push(p.clone());
        if i < direct.len() {
            top.push(direct[i].clone());
        }
    }
    top.extend(direct.iter().skip(partners.len()).cloned());
    for c in &top {
        expected.insert(c.clone(), (Some(root.clone()), 1));
    }
    for c in &direct {
        customers.insert(c.clone());
    }
    children.insert(root.clone(), top);
    for (i, p) in partners.iter().enumerate() {
        let mine: Vec<String> = if i < 3 {
            (0..16).map(|_| fresh()).collect()
        } else {
            Vec::new()
        };
        for c in &mine {
            expected.insert(c.clone(), (Some(p.clone()), 2));
            customers.insert(c.clone());
        }
        children.insert(p.clone(), mine);
    }
    // A company listed twice: the first customer of partner 1 also under partner 2.
    let twice = children[&partners[0]][0].clone();
    children.get_mut(&partners[1]).unwrap().push(twice);
    assert_eq!(expected.len(), 60);
    Tree {
        root,
        children,
        expected,
        customers,
    }
}

fn name_of(id: &str) -> String {
    format!("Company {}", &id[id.len() - 4..])
}

/// Answers `getCompanyDetails` (the root), `getCompaniesList` and `getCompanyFoldersList` from
/// the tree; `failing` lists companies and folders whose contents cannot be listed (-32000).
struct TreeServer {
    root: String,
    /// company or folder -> the companies directly inside it.
    children: BTreeMap<String, Vec<String>>,
    /// company or folder -> the folders directly inside it.
    folders: BTreeMap<String, Vec<String>>,
    customers: HashSet<String>,
    failing: HashSet<String>,
    listed: Arc<Mutex<Vec<Option<String>>>>,
}

impl Respond for TreeServer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let method = request_method(&request.body).unwrap_or_default();
        let params = request_params(&request.body);
        match method.as_str() {
            "getCompanyDetails" => {
                assert_eq!(params, json!({}), "the root is asked for without an id");
                common::rpc_result(json!({
                    "type": 0, "id": self.root, "name": name_of(&self.root),
                    "isSuspended": false, "createdAt": "2019-02-01T08:00:00"
                }))
                .answer(request)
            }
            "getCompanyFoldersList" => {
                let Some(parent) = params.get("parentId").and_then(Value::as_str) else {
                    return common::rpc_error(200, -32000, "Server error", "no parentId sent")
                        .answer(request);
                };
                if self.failing.contains(parent) {
                    return common::rpc_error(200, -32000, "Server error", "folders unavailable")
                        .answer(request);
                }
                if self.customers.contains(parent) {
                    return common::json_body(fixture("error-invalid-parent-id.json"))
                        .answer(request);
                }
                let folders = self.folders.get(parent).cloned().unwrap_or_default();
                common::rpc_result(Value::Array(
                    folders
                        .iter()
                        .map(|f| json!({"id": f, "name": format!("Folder {}", &f[f.len() - 4..])}))
                        .collect(),
                ))
                .answer(request)
            }
            "getCompaniesList" => {
                let parent = params
                    .get("parentId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let partners_only = common::partners_only(&request.body);
                if !partners_only {
                    self.listed.lock().unwrap().push(parent.clone());
                }
                let Some(parent) = parent else {
                    return common::rpc_error(200, -32000, "Server error", "no parentId sent")
                        .answer(request);
                };
                if self.failing.contains(&parent) {
                    return common::rpc_error(
                        200,
                        -32000,
                        "Server error",
                        "temporarily unavailable",
                    )
                    .answer(request);
                }
                if self.customers.contains(&parent) {
                    return common::json_body(fixture("error-invalid-parent-id.json"))
                        .answer(request);
                }
                match self.children.get(&parent) {
                    Some(kids) => common::rpc_result(Value::Array(
                        kids.iter()
                            .filter(|k| !partners_only || !self.customers.contains(*k))
                            .map(|k| json!({"id": k, "name": name_of(k)}))
                            .collect(),
                    ))
                    .answer(request),
                    None => common::rpc_error(200, -32000, "Server error", "unknown parentId")
                        .answer(request),
                }
            }
            other => common::rpc_error(200, -32601, "Method not found", other).answer(request),
        }
    }
}

async fn serve(tree: &Tree, failing: &[String]) -> (MockServer, Arc<Mutex<Vec<Option<String>>>>) {
    serve_with_folders(tree, &BTreeMap::new(), failing).await
}

async fn serve_with_folders(
    tree: &Tree,
    folders: &BTreeMap<String, Vec<String>>,
    failing: &[String],
) -> (MockServer, Arc<Mutex<Vec<Option<String>>>>) {
    let server = MockServer::start().await;
    let listed = Arc::new(Mutex::new(Vec::new()));
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(TreeServer {
            root: tree.root.clone(),
            children: tree.children.clone(),
            folders: folders.clone(),
            customers: tree.customers.clone(),
            failing: failing.iter().cloned().collect(),
            listed: listed.clone(),
        })
        .mount(&server)
        .await;
    (server, listed)
}

#[tokio::test(start_paused = true)]
async fn walks_sixty_companies_on_three_levels_each_once_with_its_parent() {
    let _ticker = Ticker::start();
    let tree = tree();
    let (server, listed) = serve(&tree, &[]).await;
    let gz = client(&server);

    let items: Vec<Result<GzCompany, GravityZoneError>> = gz.company_tree().collect().await;
    let companies: Vec<GzCompany> = items.into_iter().map(Result::unwrap).collect();

    assert_eq!(companies.len(), 60);
    let first = &companies[0];
    assert_eq!(first.id, tree.root);
    assert_eq!(first.parent_id, None);
    assert_eq!(first.depth, 0);
    assert_eq!(first.name.as_deref(), Some(name_of(&tree.root).as_str()));
    let found: BTreeMap<String, (Option<String>, u32)> = companies
        .iter()
        .map(|c| (c.id.clone(), (c.parent_id.clone(), c.depth)))
        .collect();
    assert_eq!(found.len(), 60, "each company once");
    assert_eq!(
        found, tree.expected,
        "every company with its parent and depth"
    );
    let depths: Vec<u32> = companies.iter().map(|c| c.depth).collect();
    assert!(depths.is_sorted(), "breadth first: {depths:?}");
    assert!(companies.iter().all(|c| c.name == Some(name_of(&c.id))));

    // Every partner's children were asked for exactly once (besides the partner filter);
    // customers were never asked (they have no children).
    let listed = listed.lock().unwrap().clone();
    let mut asked: HashMap<String, usize> = HashMap::new();
    for parent in listed {
        *asked.entry(parent.unwrap()).or_default() += 1;
    }
    assert_eq!(asked.len(), 60 - tree.customers.len());
    assert!(asked.values().all(|&n| n == 1), "{asked:?}");
    assert!(asked.keys().all(|k| !tree.customers.contains(k)));
}

#[tokio::test(start_paused = true)]
async fn a_failing_branch_is_an_error_item_and_the_walk_goes_on() {
    let _ticker = Ticker::start();
    let tree = tree();
    // The second partner (16 customers; its duplicate belongs to partner 1 anyway).
    let partner2 = tree.children[&tree.root][2].clone();
    assert_eq!(tree.children[&partner2].len(), 17);
    let (server, _) = serve(&tree, std::slice::from_ref(&partner2)).await;
    let gz = client(&server);

    let items: Vec<Result<GzCompany, GravityZoneError>> = gz.company_tree().collect().await;
    let errors: Vec<(usize, &GravityZoneError)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| item.as_ref().err().map(|e| (i, e)))
        .collect();
    assert_eq!(errors.len(), 1);
    let (position, error) = errors[0];
    match error {
        GravityZoneError::Rpc {
            method,
            company,
            code,
            details,
            ..
        } => {
            assert_eq!(*method, "network.getCompaniesList");
            assert_eq!(company.as_deref(), Some(partner2.as_str()));
            assert_eq!(*code, -32000);
            assert_eq!(details.as_deref(), Some("temporarily unavailable"));
        }
        other => panic!("unexpected error {other:?}"),
    }
    let companies: Vec<&GzCompany> = items.iter().filter_map(|i| i.as_ref().ok()).collect();
    assert_eq!(companies.len(), 60 - 16);
    assert!(
        items[position + 1..]
            .iter()
            .any(|i| i.as_ref().is_ok_and(|c| c.depth == 2)),
        "the other branches still come after the error"
    );
    for c in companies {
        assert_eq!(tree.expected[&c.id], (c.parent_id.clone(), c.depth));
    }
}

#[tokio::test(start_paused = true)]
async fn the_walk_is_streamed() {
    let _ticker = Ticker::start();
    let tree = tree();
    let (server, listed) = serve(&tree, &[]).await;
    let gz = client(&server);

    let walk = gz.company_tree();
    futures::pin_mut!(walk);
    let root = walk.next().await.unwrap().unwrap();
    assert_eq!(root.id, tree.root);
    // Only the root was fetched so far.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let second = walk.next().await.unwrap().unwrap();
    assert_eq!(second.parent_id.as_deref(), Some(tree.root.as_str()));
    assert_eq!(listed.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refused_key_ends_the_walk_after_one_error() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            fixture("error-invalid-api-key-401.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let gz = client(&server);
    let items: Vec<Result<GzCompany, GravityZoneError>> = gz.company_tree().collect().await;
    assert_eq!(items.len(), 1);
    assert!(matches!(
        &items[0],
        Err(GravityZoneError::Unauthorized { status: 401, .. })
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_customer_key_is_a_tree_of_one() {
    let _ticker = Ticker::start();
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::body_partial_json(
        json!({"method": "getCompanyDetails"}),
    ))
    .respond_with(common::json_body(fixture("get-company-details.json")))
    .mount(&server)
    .await;
    Mock::given(wiremock::matchers::body_partial_json(
        json!({"method": "getCompaniesList"}),
    ))
    .respond_with(common::json_body(fixture("error-invalid-parent-id.json")))
    .mount(&server)
    .await;
    let gz = client(&server);
    let items: Vec<GzCompany> = gz.company_tree().map(Result::unwrap).collect().await;
    assert_eq!(
        items,
        vec![GzCompany {
            id: "6572e499d2128b2f33892f90".to_string(),
            name: Some("Müller Haustechnik GmbH & Co. KG".to_string()),
            parent_id: None,
            depth: 0,
            partner: false,
        }]
    );
}

/// A partner whose children cannot be listed (-32602, "Invalid value for 'parentId'") is an
/// error item naming it, never an empty branch: its customers would otherwise vanish.
#[tokio::test(start_paused = true)]
async fn a_partner_answering_invalid_params_is_an_error_not_a_leaf() {
    let _ticker = Ticker::start();
    let root = "6572e499d2128b2f33892f90";
    let partner = "656b64da26f2a74de4651327";
    let customer = "6572e499d2128b2f33892f99";
    let server = MockServer::start().await;
    let respond = move |request: &Request| {
        let params = request_params(&request.body);
        match request_method(&request.body).unwrap_or_default().as_str() {
            "getCompanyDetails" => {
                common::rpc_result(json!({"type": 0, "id": root, "name": "Root"})).answer(request)
            }
            "getCompanyFoldersList" if params["parentId"] == root => {
                common::rpc_result(json!([])).answer(request)
            }
            "getCompaniesList" if params["parentId"] == root => {
                let all = json!([{"id": partner, "name": "Partner"}, {"id": customer, "name": "Customer"}]);
                let partners = json!([{"id": partner, "name": "Partner"}]);
                let list = if common::partners_only(&request.body) {
                    partners
                } else {
                    all
                };
                common::rpc_result(list).answer(request)
            }
            _ => common::json_body(fixture("error-invalid-parent-id.json")).answer(request),
        }
    };
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(respond)
        .mount(&server)
        .await;
    let gz = client(&server);

    let items: Vec<Result<GzCompany, GravityZoneError>> = gz.company_tree().collect().await;

    let ids: Vec<&str> = items
        .iter()
        .filter_map(|i| i.as_ref().ok().map(|c| c.id.as_str()))
        .collect();
    assert_eq!(ids, [root, partner, customer]);
    let errors: Vec<&GravityZoneError> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(errors.len(), 1, "{items:?}");
    assert!(
        matches!(errors[0], GravityZoneError::Rpc { code: -32602, company: Some(c), .. } if c == partner),
        "{:?}",
        errors[0]
    );
    // The customer was never asked for children.
    let asked_customer = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .any(|r| request_params(&r.body)["parentId"] == customer);
    assert!(!asked_customer);
}

/// Moves companies of the 60-company tree into company folders: the root's direct customers
/// 0 and 1 into a folder under the root, customer 2 and partner 3 (with its branch) into a
/// folder inside that one. Returns the folder map and the two folder ids.
fn into_folders(tree: &mut Tree) -> (BTreeMap<String, Vec<String>>, String, String) {
    let outer = id(900);
    let inner = id(901);
    let top = tree.children[&tree.root].clone();
    let direct: Vec<String> = top
        .iter()
        .filter(|c| tree.customers.contains(*c))
        .cloned()
        .collect();
    let partner3 = top
        .iter()
        .filter(|c| !tree.customers.contains(*c))
        .nth(3)
        .unwrap()
        .clone();
    let in_outer = vec![direct[0].clone(), direct[1].clone()];
    let in_inner = vec![direct[2].clone(), partner3];
    tree.children.insert(
        tree.root.clone(),
        top.into_iter()
            .filter(|c| !in_outer.contains(c) && !in_inner.contains(c))
            .collect(),
    );
    tree.children.insert(outer.clone(), in_outer);
    tree.children.insert(inner.clone(), in_inner);
    let folders = BTreeMap::from([
        (tree.root.clone(), vec![outer.clone()]),
        // A folder that names itself and its parent again is listed once.
        (outer.clone(), vec![inner.clone(), outer.clone()]),
        (inner.clone(), vec![outer.clone()]),
    ]);
    (folders, outer, inner)
}

/// Companies kept in company folders, one folder inside another, are found with the company
/// above the folders as their parent; a partner inside a folder is walked too; folders are never
/// companies.
#[tokio::test(start_paused = true)]
async fn companies_in_nested_folders_are_found_with_the_company_above_as_parent() {
    let _ticker = Ticker::start();
    let mut tree = tree();
    let (folders, outer, inner) = into_folders(&mut tree);
    let (server, _) = serve_with_folders(&tree, &folders, &[]).await;
    let gz = client(&server);

    let items: Vec<Result<GzCompany, GravityZoneError>> = gz.company_tree().collect().await;
    let companies: Vec<GzCompany> = items.into_iter().map(Result::unwrap).collect();

    let found: BTreeMap<String, (Option<String>, u32)> = companies
        .iter()
        .map(|c| (c.id.clone(), (c.parent_id.clone(), c.depth)))
        .collect();
    assert_eq!(companies.len(), 60, "each company once");
    assert_eq!(
        found, tree.expected,
        "folders change no parent and no depth"
    );
    assert!(!found.contains_key(&outer) && !found.contains_key(&inner));
    let partners: HashSet<&str> = companies
        .iter()
        .filter(|c| c.partner)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(partners.len(), 5, "the root and its four partners");
}

/// A folder whose contents cannot be listed is an error naming the folder and the company it
/// belongs to; the rest of the tree is still walked.
#[tokio::test(start_paused = true)]
async fn a_failing_folder_is_an_error_naming_it() {
    let _ticker = Ticker::start();
    let mut tree = tree();
    let (folders, _outer, inner) = into_folders(&mut tree);
    let (server, _) = serve_with_folders(&tree, &folders, std::slice::from_ref(&inner)).await;
    let gz = client(&server);

    let items: Vec<Result<GzCompany, GravityZoneError>> = gz.company_tree().collect().await;
    let errors: Vec<&GravityZoneError> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    match errors[0] {
        GravityZoneError::FolderUnreadable {
            folder,
            name,
            owner,
            error,
        } => {
            assert_eq!(folder, &inner);
            assert_eq!(name.as_deref(), Some(&*format!("Folder {}", &inner[20..])));
            assert_eq!(owner, &tree.root);
            assert_eq!(error.rpc_code(), Some(-32000));
            let text = errors[0].to_string();
            assert!(text.contains(&inner) && text.contains(&tree.root), "{text}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    // The inner folder held one customer and partner 3 (which has no customers): 2 missing.
    let companies = items.iter().filter(|i| i.is_ok()).count();
    assert_eq!(companies, 58);
}
