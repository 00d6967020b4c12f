//! A large MSP: 10,000 ESET and 1,000 GravityZone companies keep the default trees' shape, and
//! every listing pages through them exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{Harness, period};
use reqwest::StatusCode;
use serde_json::{Value, json};
use usage_sandbox::{Dataset, ESET_TYPE_CUSTOMER, ESET_TYPE_MANAGED_MSP, SandboxConfig, SizeError};

const ESET: usize = 10_000;
const GZ: usize = 1_000;

fn large() -> SandboxConfig {
    SandboxConfig::default()
        .with_eset_companies(ESET)
        .with_gz_companies(GZ)
}

#[test]
fn a_large_eset_tree_keeps_the_shape_with_exact_counts() {
    let data = Dataset::with_sizes(42, ESET, GZ).unwrap();
    let companies = data.eset_companies();
    assert_eq!(companies.len(), ESET);
    let root = data.eset_root();
    let mut ids: BTreeSet<&str> = companies.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.insert(root.id.as_str()), "the root's id is not reused");
    assert_eq!(ids.len(), ESET + 1, "unique ids");
    let names: BTreeSet<&str> = companies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), ESET, "unique names");
    assert_eq!(data.eset_descendants(&root.id).len(), ESET);

    let msps: Vec<_> = companies
        .iter()
        .filter(|c| c.entity_type == ESET_TYPE_MANAGED_MSP)
        .collect();
    assert_eq!(msps.len(), 344, "about 28 customers per managed MSP");
    let direct = data.eset_children(&root.id);
    assert_eq!(
        direct.len(),
        msps.len() + 4,
        "the managed MSPs and 4 customers"
    );
    for msp in &msps {
        assert_eq!(msp.parent_id.as_deref(), Some(root.id.as_str()));
        let customers = data.eset_children(&msp.id);
        assert!((25..=33).contains(&customers.len()), "{}", customers.len());
        assert!(
            customers
                .iter()
                .all(|c| c.entity_type == ESET_TYPE_CUSTOMER)
        );
        assert!(customers.iter().all(|c| c.depth == 2));
    }
    // Exactly one managed MSP without licenses: the last one generated, with customers.
    let without = data.eset_managed_msp_without_usage().unwrap();
    assert_eq!(without.entity_type, ESET_TYPE_MANAGED_MSP);
    assert!(!data.eset_children(&without.id).is_empty());
    assert_eq!(data.eset_reported().len(), ESET - 1);
    assert!(data.eset_reported().all(|c| c.id != without.id));
    assert!(
        data.eset_reported()
            .filter(|c| c.entity_type == ESET_TYPE_MANAGED_MSP)
            .count()
            == msps.len() - 1
    );
}

#[test]
fn a_large_gravityzone_tree_keeps_the_shape_with_exact_counts() {
    let data = Dataset::with_sizes(42, ESET, GZ).unwrap();
    let companies = data.gravityzone_companies();
    assert_eq!(companies.len(), GZ, "the root included");
    let ids: BTreeSet<&str> = companies.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), GZ, "unique ids");
    let root = data.gravityzone_root();
    assert_eq!(root.depth, 0);
    let children = data.gravityzone_children(&root.id);
    let partners: Vec<_> = children.iter().filter(|c| c.company_type == 0).collect();
    assert_eq!(partners.len(), 76, "about 12 customers per sub-partner");
    assert_eq!(children.len(), partners.len() + 5, "and 5 direct customers");
    for partner in &partners {
        let customers = data.gravityzone_children(&partner.id);
        assert!((10..=16).contains(&customers.len()), "{}", customers.len());
        assert!(
            customers
                .iter()
                .all(|c| c.company_type == 1 && c.depth == 2)
        );
    }
    assert_eq!(
        companies.iter().filter(|c| !c.monthly_license).count(),
        1,
        "one customer without a monthly license"
    );
    // The two folders as in the default tree: three direct customers and the last sub-partner.
    let folders = data.gravityzone_folders();
    assert_eq!(folders.len(), 2);
    assert_eq!(folders[0].parent_id, root.id);
    assert_eq!(folders[1].parent_id, folders[0].id);
    let (outer, _) = data.gravityzone_listing(&folders[0].id).unwrap();
    let (inner, _) = data.gravityzone_listing(&folders[1].id).unwrap();
    assert_eq!(outer.len(), 1);
    assert_eq!(inner.len(), 3);
    assert_eq!(
        inner.iter().filter(|c| c.company_type == 0).count(),
        1,
        "the last sub-partner is in the inner folder"
    );
    let (listed, _) = data.gravityzone_listing(&root.id).unwrap();
    assert_eq!(listed.len() + outer.len() + inner.len(), children.len());
}

#[test]
fn sizes_are_checked_and_the_defaults_are_the_default_dataset() {
    assert_eq!(
        Dataset::with_sizes(
            42,
            SandboxConfig::DEFAULT_ESET_COMPANIES,
            SandboxConfig::DEFAULT_GZ_COMPANIES
        )
        .unwrap(),
        Dataset::new(42)
    );
    let smallest = Dataset::with_sizes(
        5,
        SandboxConfig::MIN_ESET_COMPANIES,
        SandboxConfig::MIN_GZ_COMPANIES,
    )
    .unwrap();
    assert_eq!(smallest.eset_companies().len(), 8);
    assert_eq!(smallest.gravityzone_companies().len(), 10);
    assert!(smallest.eset_managed_msp_without_usage().is_some());
    assert_eq!(
        Dataset::with_sizes(42, 7, 60),
        Err(SizeError::EsetCompanies(7))
    );
    assert_eq!(
        Dataset::with_sizes(42, 150, 9),
        Err(SizeError::GravityZoneCompanies(9))
    );
    assert!(
        SandboxConfig::default()
            .with_eset_companies(SandboxConfig::MAX_COMPANIES + 1)
            .validate()
            .is_err()
    );
    // Deterministic at any size.
    assert_eq!(
        Dataset::with_sizes(9, 2_000, 300).unwrap(),
        Dataset::with_sizes(9, 2_000, 300).unwrap()
    );
}

#[tokio::test]
async fn a_sandbox_refuses_sizes_out_of_range() {
    let error = usage_sandbox::Sandbox::start(SandboxConfig::default().with_gz_companies(3))
        .await
        .err()
        .unwrap();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("GravityZone"), "{error}");
}

/// Every page of an ESET listing (skip/take 100): the ids, in order.
async fn eset_pages(h: &Harness, token: &str, path: &str, body: Value, items: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for skip in (0..).step_by(100) {
        let mut request = body.clone();
        request["skip"] = json!(skip);
        request["take"] = json!(100);
        let page = h.eset_post(token, path, &request).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.json);
        let list = page.json[items].as_array().unwrap();
        let key = if items == "companies" && path.starts_with("Company") {
            "publicId"
        } else {
            "companyId"
        };
        ids.extend(list.iter().map(|c| c[key].as_str().unwrap().to_string()));
        if list.len() < 100 {
            break;
        }
    }
    ids
}

#[tokio::test]
async fn eset_listings_page_through_a_large_tree_exactly_once() {
    let h = Harness::start(large()).await;
    let data = h.sandbox.dataset();
    let (token, _) = h.eset_login().await;
    let expected: Vec<String> = data.eset_reported().map(|c| c.id.clone()).collect();

    let path = "UsageReport/AllCompanies/categories";
    let first = h
        .eset_post(&token, path, &period("2026-01-01", "2026-01-31", 0, 100))
        .await;
    assert_eq!(first.json["paging"]["totalCount"], ESET - 1);
    let body = json!({"from": "2026-01-01", "to": "2026-01-31"});
    let reported = eset_pages(&h, &token, path, body, "companies").await;
    assert_eq!(reported.len(), ESET - 1);
    assert_eq!(reported, expected, "every reported company once, by id");

    let root = data.eset_root().id.clone();
    let children = eset_pages(
        &h,
        &token,
        "Company/Children",
        json!({"companyId": root}),
        "companies",
    )
    .await;
    let expected: Vec<String> = data
        .eset_children(&root)
        .iter()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(children, expected);
    assert_eq!(children.len(), 348);

    let msps = eset_pages(
        &h,
        &token,
        "Company/Descendants",
        json!({"companyId": root, "entityType": "ManagedMsp"}),
        "companies",
    )
    .await;
    assert_eq!(msps.len(), 344);
    let all = eset_pages(
        &h,
        &token,
        "Company/Descendants",
        json!({"companyId": root, "entityType": "Any"}),
        "companies",
    )
    .await;
    assert_eq!(all.len(), ESET);

    // SelectedCompanies: a few ids from all over the tree, the unreported MSP left out.
    let without = data.eset_managed_msp_without_usage().unwrap().id.clone();
    let picked = [
        &expected[0],
        &reported[5_000],
        &reported[ESET - 2],
        &without,
    ];
    let selected = h
        .eset_post(
            &token,
            "UsageReport/SelectedCompanies/products",
            &json!({"from": "2026-01-01", "to": "2026-01-31", "skip": 0, "take": 100,
                    "companyIds": picked}),
        )
        .await;
    assert_eq!(selected.status, StatusCode::OK, "{}", selected.json);
    assert_eq!(selected.json["paging"]["totalCount"], 3);
}

/// The companies of a GravityZone listing, and the folders inside it.
async fn gz_listing(h: &Harness, parent: &str) -> (Vec<Value>, Vec<Value>) {
    let params = json!({"parentId": parent});
    let companies = h.gz("network", "getCompaniesList", params.clone()).await;
    let folders = h.gz("network", "getCompanyFoldersList", params).await;
    (
        companies.json["result"].as_array().unwrap().clone(),
        folders.json["result"].as_array().unwrap().clone(),
    )
}

#[tokio::test]
async fn gravityzone_listing_and_usage_work_on_a_large_tree() {
    let h = Harness::start(large()).await;
    let root = h.sandbox.dataset().gravityzone_root().id.clone();
    // Walk the tree as a client would: companies and folders, from the root down.
    let mut seen = BTreeSet::new();
    let mut queue = vec![root.clone()];
    let mut partners = Vec::new();
    while let Some(parent) = queue.pop() {
        let (companies, folders) = gz_listing(&h, &parent).await;
        for folder in folders {
            queue.push(folder["id"].as_str().unwrap().to_string());
        }
        for company in companies {
            let id = company["id"].as_str().unwrap().to_string();
            let is_partner = h
                .sandbox
                .dataset()
                .gravityzone_company(&id)
                .unwrap()
                .company_type
                == 0;
            if is_partner {
                queue.push(id.clone());
                partners.push(id.clone());
            }
            assert!(seen.insert(id), "each company listed once");
        }
    }
    assert_eq!(seen.len(), GZ - 1, "every company but the root");
    assert_eq!(partners.len(), 76);
    // The root's usage adds up its whole tree.
    let usage = h
        .gz(
            "licensing",
            "getMonthlyUsage",
            json!({"companyId": root, "targetMonth": "01/2026"}),
        )
        .await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.json);
    assert!(
        usage.json["result"]["endpointMonthlyUsage"]
            .as_u64()
            .unwrap()
            > 1_000
    );
    let per_type = h
        .gz(
            "licensing",
            "getMonthlyUsagePerProductType",
            json!({"companyId": partners[0], "targetMonth": "01/2026"}),
        )
        .await;
    assert!(
        per_type.json["result"]["usages"].is_array(),
        "{}",
        per_type.json
    );
}
