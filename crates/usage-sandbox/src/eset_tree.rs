//! The ESET tree of the dataset: the caller's MSP, managed MSPs with customers, direct customers,
//! and every company's licenses.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;

use crate::eset_data::{self, License, Traits};
use crate::mix::rng_for;
use crate::names::{self, FIXED_NAMES, NamePool, PARTNER_NAMES};
use crate::shape::Shape;

/// Tag of the ESET tree stream.
const TAG_ESET_TREE: u64 = 0x45_53_45_54_54_52_45_45; // "ESETTREE"

/// ESET entity type of an MSP (the root).
pub const ESET_TYPE_MSP: i64 = 1005;
/// ESET entity type of a managed MSP.
pub const ESET_TYPE_MANAGED_MSP: i64 = 1006;
/// ESET entity type of an MSP customer.
pub const ESET_TYPE_CUSTOMER: i64 = 1007;

/// One ESET company.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EsetCompany {
    /// Company id (lower-case GUID), `publicId`/`companyId` in the API.
    pub id: String,
    /// Company name (often non-ASCII).
    pub name: String,
    /// The company directly above; `None` for the root.
    pub parent_id: Option<String>,
    /// Entity type: 1005 MSP (root), 1006 managed MSP, 1007 customer.
    pub entity_type: i64,
    /// Contact e-mail.
    pub email: String,
    /// 0 for the root, 1 for its children, 2 below.
    pub depth: u32,
}

/// The ESET tree of a seed.
pub(crate) struct EsetTree {
    /// The caller's own company.
    pub(crate) root: EsetCompany,
    /// Every company below the root, sorted by id.
    pub(crate) companies: Vec<EsetCompany>,
    /// Every company's licenses, by id (the root has none).
    pub(crate) licenses: BTreeMap<String, Vec<License>>,
}

/// Generates the ESET tree of `seed` with `shape` (see [`Dataset`](crate::Dataset)).
pub(crate) fn eset_tree(seed: u64, shape: &Shape) -> EsetTree {
    let mut rng = rng_for(&[seed, TAG_ESET_TREE]);
    let mut pool = NamePool::new(&FIXED_NAMES);
    let root = EsetCompany {
        id: names::guid(&mut rng),
        name: "Sandbox MSP Österreich GmbH".to_string(),
        parent_id: None,
        entity_type: ESET_TYPE_MSP,
        email: "msp@sandbox.example".to_string(),
        depth: 0,
    };
    let total = shape.partners.len() + shape.partners.iter().sum::<usize>() + shape.direct;
    let mut companies = Vec::with_capacity(total);
    let mut fixed = FIXED_NAMES.iter();
    let mut n = 0;
    // Draws from the stream in the same order for every size: partner, its customers (name,
    // then id), ..., the direct customers; so the default shape keeps its ids and names.
    let mut customer = |rng: &mut ChaCha8Rng, pool: &mut NamePool, parent: &str, depth: u32| {
        n += 1;
        let name = fixed
            .next()
            .map_or_else(|| pool.next(rng), |name| (*name).to_string());
        EsetCompany {
            id: names::guid(rng),
            name,
            parent_id: Some(parent.to_string()),
            entity_type: ESET_TYPE_CUSTOMER,
            email: format!("it@customer{n:03}.example"),
            depth,
        }
    };
    for (m, &count) in shape.partners.iter().enumerate() {
        let id = names::guid(&mut rng);
        let name = match PARTNER_NAMES.get(m) {
            Some(name) => (*name).to_string(),
            None => pool.partner(&mut rng),
        };
        let msp = EsetCompany {
            id,
            name,
            parent_id: Some(root.id.clone()),
            entity_type: ESET_TYPE_MANAGED_MSP,
            email: format!("admin@msp{m}.example"),
            depth: 1,
        };
        let msp_id = msp.id.clone();
        companies.push(msp);
        for _ in 0..count {
            companies.push(customer(&mut rng, &mut pool, &msp_id, 2));
        }
    }
    for _ in 0..shape.direct {
        companies.push(customer(&mut rng, &mut pool, &root.id, 1));
    }
    // The last managed MSP has no licenses of its own: ESET's usage reports leave it out, as
    // they leave out a reseller that only manages its customers. It is the only one: the other
    // managed MSPs always have licenses (in the default tree none falls on a position without).
    let last_msp = companies
        .iter()
        .rposition(|c| c.entity_type == ESET_TYPE_MANAGED_MSP);
    let licenses = companies
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let licenses = if Some(index) == last_msp {
                Vec::new()
            } else {
                let mut traits = Traits::for_index(index);
                traits.no_licenses &= c.entity_type == ESET_TYPE_CUSTOMER;
                eset_data::licenses(seed, &c.id, traits)
            };
            (c.id.clone(), licenses)
        })
        .collect();
    companies.sort_by(|a, b| a.id.cmp(&b.id));
    EsetTree {
        root,
        companies,
        licenses,
    }
}
