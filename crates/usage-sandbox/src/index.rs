//! Lookups the request handlers need, built once when the dataset is generated, so that serving
//! a page never scans the whole tree.

use std::collections::BTreeMap;

use crate::eset_data::License;
use crate::eset_tree::{ESET_TYPE_CUSTOMER, EsetCompany};
use crate::gz_tree::GzCompany;

/// The descendants of one ESET company, as positions in the id-sorted company list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Descendants {
    /// Every descendant, sorted by id.
    pub(crate) all: Vec<usize>,
    /// The descendants of each entity type present, sorted by id.
    pub(crate) by_type: BTreeMap<i64, Vec<usize>>,
}

/// Indexes of the ESET companies below the root (positions in the id-sorted list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EsetIndex {
    /// Position of each company by id.
    pub(crate) by_id: BTreeMap<String, usize>,
    /// The direct children of each company with children (the root included), sorted by id.
    pub(crate) children: BTreeMap<String, Vec<usize>>,
    /// The descendants of each company with children (the root included).
    pub(crate) descendants: BTreeMap<String, Descendants>,
    /// The companies the usage reports list, sorted by id.
    pub(crate) reported: Vec<usize>,
}

impl EsetIndex {
    /// Indexes `companies` (sorted by id) below `root`, with their `licenses`.
    pub(crate) fn new(
        root: &EsetCompany,
        companies: &[EsetCompany],
        licenses: &BTreeMap<String, Vec<License>>,
    ) -> Self {
        let by_id = positions(companies.iter().map(|c| c.id.as_str()));
        let children = children_of(companies.iter().map(|c| c.parent_id.as_deref()));
        let mut descendants: BTreeMap<String, Descendants> = BTreeMap::new();
        for (position, company) in companies.iter().enumerate() {
            // Every ancestor of the company, from its parent up to the root.
            let mut parent = company.parent_id.as_deref();
            while let Some(ancestor) = parent {
                let entry = descendants.entry(ancestor.to_string()).or_default();
                entry.all.push(position);
                entry
                    .by_type
                    .entry(company.entity_type)
                    .or_default()
                    .push(position);
                parent = if ancestor == root.id {
                    None
                } else {
                    by_id
                        .get(ancestor)
                        .and_then(|&i| companies.get(i))
                        .and_then(|c| c.parent_id.as_deref())
                };
            }
        }
        let reported = companies
            .iter()
            .enumerate()
            .filter(|(_, c)| in_reports(c, licenses))
            .map(|(position, _)| position)
            .collect();
        Self {
            by_id,
            children,
            descendants,
            reported,
        }
    }
}

/// Whether usage reports list `company`: a reseller-type company (1001-1006) without a license
/// of its own is left out.
pub(crate) fn in_reports(company: &EsetCompany, licenses: &BTreeMap<String, Vec<License>>) -> bool {
    company.entity_type == ESET_TYPE_CUSTOMER
        || licenses.get(&company.id).is_some_and(|l| !l.is_empty())
}

/// Indexes of the GravityZone companies (positions in the root-first list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GzIndex {
    /// Position of each company by id.
    pub(crate) by_id: BTreeMap<String, usize>,
    /// The direct children of each company with children, sorted by id.
    pub(crate) children: BTreeMap<String, Vec<usize>>,
    /// The companies directly inside each company folder that holds any, sorted by id.
    pub(crate) in_folder: BTreeMap<String, Vec<usize>>,
}

impl GzIndex {
    /// Indexes `companies` (the root first, then by depth and id).
    pub(crate) fn new(companies: &[GzCompany]) -> Self {
        Self {
            by_id: positions(companies.iter().map(|c| c.id.as_str())),
            children: children_of(companies.iter().map(|c| c.parent_id.as_deref())),
            in_folder: children_of(companies.iter().map(|c| c.folder_id.as_deref())),
        }
    }
}

/// Position of each id.
fn positions<'a>(ids: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    ids.enumerate().map(|(i, id)| (id.to_string(), i)).collect()
}

/// Positions by parent id, each list in position order.
fn children_of<'a>(parents: impl Iterator<Item = Option<&'a str>>) -> BTreeMap<String, Vec<usize>> {
    let mut map: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, parent) in parents.enumerate() {
        if let Some(parent) = parent {
            map.entry(parent.to_string()).or_default().push(index);
        }
    }
    map
}
