//! The GravityZone tree of the dataset: companies, their profiles and company folders.

use std::collections::BTreeMap;

use crate::gz_data::{self, Profile, Role};
use crate::mix::rng_for;
use crate::names::{self, NamePool, PARTNER_NAMES};
use crate::shape::Shape;

/// Tag of the GravityZone tree stream.
const TAG_GZ_TREE: u64 = 0x47_5A_54_52_45_45; // "GZTREE"
/// Position (among GravityZone customers) of the one without a monthly license.
const GZ_NO_MONTHLY_INDEX: usize = 2;
/// The names of the outer company folder and of the folder inside it.
const GZ_FOLDER_NAMES: [&str; 2] = ["Kunden Süd", "Wien & Umgebung"];

/// One GravityZone company.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GzCompany {
    /// Company id (24 lower-case hex digits).
    pub id: String,
    /// Company name (often non-ASCII).
    pub name: String,
    /// The company directly above; `None` for the root (the API key's own company).
    pub parent_id: Option<String>,
    /// 0 partner, 1 customer.
    pub company_type: i64,
    /// 0 for the root, 1 for its children, 2 below.
    pub depth: u32,
    /// False for the one company whose getMonthlyUsage answers `0`.
    pub monthly_license: bool,
    /// The company folder the company is kept in, if any (its parent is still the company
    /// above the folder).
    pub folder_id: Option<String>,
}

/// One GravityZone company folder: a container of companies and folders, never a company.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GzFolder {
    /// Folder id (24 lower-case hex digits).
    pub id: String,
    /// Folder name.
    pub name: String,
    /// What the folder is directly inside: a company or another folder.
    pub parent_id: String,
    /// The company the folder belongs to: the parent of every company inside it.
    pub company_id: String,
}

/// The GravityZone tree of a seed.
pub(crate) struct GzTree {
    /// Every company: the root first, then by depth and id.
    pub(crate) companies: Vec<GzCompany>,
    /// Every company's profile, by id.
    pub(crate) profiles: BTreeMap<String, Profile>,
    /// Every company folder, outer folders first.
    pub(crate) folders: Vec<GzFolder>,
}

/// Generates the GravityZone tree of `seed` with `shape` (see [`Dataset`](crate::Dataset)).
pub(crate) fn gz_tree(seed: u64, shape: &Shape) -> GzTree {
    let mut rng = rng_for(&[seed, TAG_GZ_TREE]);
    let mut pool = NamePool::new(&[]);
    let mut companies = Vec::new();
    let mut profiles = BTreeMap::new();
    let root = GzCompany {
        id: names::object_id(&mut rng),
        name: "Sandbox Sécurité Partner SAS".to_string(),
        parent_id: None,
        company_type: 0,
        depth: 0,
        monthly_license: true,
        folder_id: None,
    };
    profiles.insert(
        root.id.clone(),
        gz_data::profile(seed, &root.id, Role::Root),
    );
    let root_id = root.id.clone();
    companies.push(root);
    let mut customers = 0;
    let mut add_customer = |rng: &mut rand_chacha::ChaCha8Rng,
                            pool: &mut NamePool,
                            companies: &mut Vec<GzCompany>,
                            profiles: &mut BTreeMap<String, Profile>,
                            parent: &str,
                            depth: u32| {
        let index = customers;
        customers += 1;
        let monthly_license = index != GZ_NO_MONTHLY_INDEX;
        let company = GzCompany {
            id: names::object_id(rng),
            name: pool.next(rng),
            parent_id: Some(parent.to_string()),
            company_type: 1,
            depth,
            monthly_license,
            folder_id: None,
        };
        let role = Role::Customer {
            index,
            monthly_license,
        };
        profiles.insert(
            company.id.clone(),
            gz_data::profile(seed, &company.id, role),
        );
        companies.push(company);
    };
    for (p, &count) in shape.partners.iter().enumerate() {
        let id = names::object_id(&mut rng);
        let name = match PARTNER_NAMES.get(p + 1) {
            Some(name) => (*name).to_string(),
            None => pool.partner(&mut rng),
        };
        let partner = GzCompany {
            id,
            name,
            parent_id: Some(root_id.clone()),
            company_type: 0,
            depth: 1,
            monthly_license: true,
            folder_id: None,
        };
        let role = Role::Partner {
            own_usage: p % 2 == 0,
        };
        profiles.insert(
            partner.id.clone(),
            gz_data::profile(seed, &partner.id, role),
        );
        let partner_id = partner.id.clone();
        companies.push(partner);
        for _ in 0..count {
            add_customer(
                &mut rng,
                &mut pool,
                &mut companies,
                &mut profiles,
                &partner_id,
                2,
            );
        }
    }
    for _ in 0..shape.direct {
        add_customer(
            &mut rng,
            &mut pool,
            &mut companies,
            &mut profiles,
            &root_id,
            1,
        );
    }
    // Folders come last from the stream, so every company keeps the id it had before folders
    // existed: an outer folder under the root, a folder inside it.
    let outer = names::object_id(&mut rng);
    let inner = names::object_id(&mut rng);
    let folders = vec![
        GzFolder {
            id: outer.clone(),
            name: GZ_FOLDER_NAMES[0].to_string(),
            parent_id: root_id.clone(),
            company_id: root_id.clone(),
        },
        GzFolder {
            id: inner.clone(),
            name: GZ_FOLDER_NAMES[1].to_string(),
            parent_id: outer.clone(),
            company_id: root_id.clone(),
        },
    ];
    let mut direct_customers = 0;
    let mut last_partner = None;
    for company in &mut companies {
        if company.parent_id.as_deref() != Some(root_id.as_str()) {
            continue;
        }
        if company.company_type == 0 {
            last_partner = Some(company);
            continue;
        }
        company.folder_id = match direct_customers {
            2 => Some(outer.clone()),
            3 | 4 => Some(inner.clone()),
            _ => None,
        };
        direct_customers += 1;
    }
    if let Some(partner) = last_partner {
        partner.folder_id = Some(inner);
    }
    // Root first, then by depth and id.
    companies.sort_by(|a, b| (a.depth, &a.id).cmp(&(b.depth, &b.id)));
    GzTree {
        companies,
        profiles,
        folders,
    }
}
