//! The seeded dataset both emulated vendors serve: an ESET MSP tree (150 companies by default)
//! and a GravityZone partner tree (60 companies by default), with their licenses and usage.
//!
//! Shape (the same for every seed; ids, names, sizes and usage come from the seed):
//!
//! - ESET: the caller's MSP (entity type 1005, the root, no licenses of its own) with 5 managed
//!   MSPs (1006) holding 141 customers (1007) between them, plus 4 customers (1007) directly under
//!   the root: 150 companies below the root, 2 levels deep. GUID ids, lower case. The last
//!   managed MSP has no licenses of its own, so no usage report lists it
//!   ([`Dataset::eset_managed_msp_without_usage`]); the root is not listed either.
//! - GravityZone: the API key's partner company (type 0, the root) with 4 sub-partners (type 0)
//!   holding 50 customers (type 1), plus 5 customers directly under the root: 60 companies,
//!   3 levels. 24-hex ids. One customer has no monthly license
//!   ([`Dataset::gravityzone_without_monthly_license`]). Two company folders
//!   ([`Dataset::gravityzone_folders`]): "Kunden Süd" under the root holds one of the root's
//!   customers and the folder "Wien & Umgebung", which holds two more of the root's customers
//!   and the last sub-partner (with its customers). A company in a folder keeps the root as its
//!   parent: `getCompaniesList` of the root does not list it, that of its folder does.
//! - Other sizes ([`Dataset::with_sizes`], [`SandboxConfig::eset_companies`] and
//!   [`SandboxConfig::gz_companies`]) keep that shape with exactly the number of companies
//!   asked: ESET managed MSPs with about 28 customers each (10,000 companies give 344 of them),
//!   still 4 direct customers and the last managed MSP still without licenses; GravityZone
//!   sub-partners with about 12 customers each (1,000 companies give 76), still 5 direct
//!   customers and the same two folders, the last sub-partner in the inner one. The default
//!   sizes give exactly the trees above; names stay unique at any size (larger trees add a
//!   trade or a place to them, "Dvořák Logistik Brno s.r.o.").
//! - Drift (only served with [`SandboxConfig::drift`] on): one reseller id for every ESET report
//!   company ([`Dataset::drift_reseller_id`]) and one GravityZone customer whose
//!   `sveVdiMonthlyUsage` turns into a string ([`Dataset::drift_type_change_company`]).
//!
//! Everything a request handler looks up is indexed when the dataset is generated (children,
//! descendants by entity type, the companies of the usage reports, folder contents), so a page
//! of a listing costs the same whatever the size of the tree.

use std::collections::BTreeMap;

use chrono::NaiveDate;

#[cfg(doc)]
use crate::SandboxConfig;
use crate::drift::TAG_RESELLER;
use crate::eset_data::{self, Day, License};
use crate::eset_tree::{EsetCompany, EsetTree, eset_tree};
use crate::gz_data::{self, PerType, Profile};
use crate::gz_tree::{GzCompany, GzFolder, GzTree, gz_tree};
use crate::index::{self, EsetIndex, GzIndex};
use crate::mix::rng_for;
use crate::names;
use crate::shape::{DEFAULT_ESET, DEFAULT_GZ, Shape, SizeError};

/// The whole dataset, a pure function of its seed and its sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    seed: u64,
    eset_root: EsetCompany,
    /// Every ESET company below the root, sorted by id.
    eset: Vec<EsetCompany>,
    eset_index: EsetIndex,
    eset_licenses: BTreeMap<String, Vec<License>>,
    /// Every GravityZone company, root first, then by depth and id.
    gz: Vec<GzCompany>,
    gz_index: GzIndex,
    gz_profiles: BTreeMap<String, Profile>,
    /// Every GravityZone company folder, outer folders first.
    gz_folders: Vec<GzFolder>,
    /// Position in `gz` of the drift knob's type-change company.
    gz_type_change: usize,
    /// The drift knob's `resellerId`.
    drift_reseller_id: String,
}

impl Dataset {
    /// Generates the dataset of `seed` with the default sizes (150 ESET companies below the
    /// root, 60 GravityZone companies). Cheap (a few milliseconds): usage is computed on demand.
    pub fn new(seed: u64) -> Self {
        Self::generate(seed, DEFAULT_ESET, DEFAULT_GZ)
    }

    /// Generates the dataset of `seed` with `eset_companies` ESET companies below the root and
    /// `gz_companies` GravityZone companies (the root included), in the shape of the default
    /// trees (see [`SandboxConfig::eset_companies`] and [`SandboxConfig::gz_companies`]); the
    /// default sizes give exactly [`Dataset::new`]. Fast: 10,000 + 1,000 companies take a few
    /// milliseconds in a release build.
    ///
    /// # Errors
    /// A size below the smallest tree of its shape (8 ESET, 10 GravityZone companies) or above
    /// [`SandboxConfig::MAX_COMPANIES`].
    pub fn with_sizes(
        seed: u64,
        eset_companies: usize,
        gz_companies: usize,
    ) -> Result<Self, SizeError> {
        SizeError::check(eset_companies, gz_companies)?;
        Ok(Self::generate(seed, eset_companies, gz_companies))
    }

    /// Generates the dataset; sizes out of range are clamped.
    fn generate(seed: u64, eset_companies: usize, gz_companies: usize) -> Self {
        let EsetTree {
            root: eset_root,
            companies: eset,
            licenses: eset_licenses,
        } = eset_tree(seed, &Shape::eset(eset_companies));
        let GzTree {
            companies: gz,
            profiles: gz_profiles,
            folders: gz_folders,
        } = gz_tree(seed, &Shape::gravityzone(gz_companies));
        let eset_index = EsetIndex::new(&eset_root, &eset, &eset_licenses);
        let gz_index = GzIndex::new(&gz);
        // The first customer, in dataset order, with a monthly license and virtual-desktop hours
        // (so its string is not "0.0"); failing that, the first with a monthly license.
        let monthly_customer = |c: &GzCompany| c.company_type == 1 && c.monthly_license;
        let gz_type_change = gz
            .iter()
            .position(|c| {
                monthly_customer(c)
                    && gz_profiles
                        .get(&c.id)
                        .is_some_and(|p: &Profile| p.sve_vdi_hours > 0)
            })
            .or_else(|| gz.iter().position(monthly_customer))
            .unwrap_or(0);
        let drift_reseller_id = names::guid(&mut rng_for(&[seed, TAG_RESELLER]));
        Self {
            seed,
            eset_root,
            eset,
            eset_index,
            eset_licenses,
            gz,
            gz_index,
            gz_profiles,
            gz_folders,
            gz_type_change,
            drift_reseller_id,
        }
    }

    /// The seed this dataset was generated from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The ESET API user's own company (User/Current `company.companyId`).
    pub fn eset_root(&self) -> &EsetCompany {
        &self.eset_root
    }

    /// Every ESET company below the root (150 by default), sorted by id.
    pub fn eset_companies(&self) -> &[EsetCompany] {
        &self.eset
    }

    /// The companies of an AllCompanies usage report, in its order (by id): every company below
    /// the root but the managed MSP without licenses of its own
    /// ([`eset_managed_msp_without_usage`](Self::eset_managed_msp_without_usage)).
    pub fn eset_reported(&self) -> impl ExactSizeIterator<Item = &EsetCompany> {
        self.eset_at(&self.eset_index.reported)
    }

    /// Whether usage reports list `company`: a reseller-type company (1001-1006) without a
    /// license of its own is left out.
    pub fn eset_in_reports(&self, company: &EsetCompany) -> bool {
        index::in_reports(company, &self.eset_licenses)
    }

    /// The managed MSP (type 1006) with customers below it and no license of its own: no usage
    /// report lists it.
    pub fn eset_managed_msp_without_usage(&self) -> Option<&EsetCompany> {
        self.eset.iter().find(|c| !self.eset_in_reports(c))
    }

    /// The ESET company with this id (the root included).
    pub fn eset_company(&self, id: &str) -> Option<&EsetCompany> {
        if id == self.eset_root.id {
            return Some(&self.eset_root);
        }
        self.eset_index
            .by_id
            .get(id)
            .and_then(|&i| self.eset.get(i))
    }

    /// The direct children of an ESET company, sorted by id (empty for a customer or an unknown id).
    pub fn eset_children(&self, id: &str) -> Vec<&EsetCompany> {
        self.eset_at(self.eset_child_positions(id)).collect()
    }

    /// Every ESET company below `id`, sorted by id.
    pub fn eset_descendants(&self, id: &str) -> Vec<&EsetCompany> {
        self.eset_at(self.eset_descendant_positions(id, None))
            .collect()
    }

    /// The companies at these positions of [`eset_companies`](Self::eset_companies).
    pub(crate) fn eset_at<'a>(
        &'a self,
        positions: &'a [usize],
    ) -> impl ExactSizeIterator<Item = &'a EsetCompany> + 'a {
        // Positions come from the indexes of this very list, so every one is in range.
        positions.iter().map(|&i| &self.eset[i])
    }

    /// Positions of the direct children of an ESET company, sorted by id.
    pub(crate) fn eset_child_positions(&self, id: &str) -> &[usize] {
        self.eset_index.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// Positions of the descendants of an ESET company (of one entity type, or all), sorted by
    /// id.
    pub(crate) fn eset_descendant_positions(&self, id: &str, entity_type: Option<i64>) -> &[usize] {
        let Some(below) = self.eset_index.descendants.get(id) else {
            return &[];
        };
        match entity_type {
            None => &below.all,
            Some(kind) => below.by_type.get(&kind).map_or(&[], Vec::as_slice),
        }
    }

    /// Positions of the companies of an AllCompanies report, sorted by id.
    pub(crate) fn eset_reported_positions(&self) -> &[usize] {
        &self.eset_index.reported
    }

    /// Position (in [`eset_companies`](Self::eset_companies)) of the company with this id if
    /// usage reports list it (never the root).
    pub(crate) fn eset_reported_position(&self, id: &str) -> Option<usize> {
        let position = *self.eset_index.by_id.get(id)?;
        let company = self.eset.get(position)?;
        self.eset_in_reports(company).then_some(position)
    }

    /// The GravityZone API key's own company (getCompanyDetails with no `companyId`).
    pub fn gravityzone_root(&self) -> &GzCompany {
        // The root is generated first and always present.
        &self.gz[0]
    }

    /// Every GravityZone company (60 by default): the root first, then by depth and id.
    pub fn gravityzone_companies(&self) -> &[GzCompany] {
        &self.gz
    }

    /// The GravityZone company with this id.
    pub fn gravityzone_company(&self, id: &str) -> Option<&GzCompany> {
        self.gz_index.by_id.get(id).and_then(|&i| self.gz.get(i))
    }

    /// Every GravityZone company folder, outer folders first.
    pub fn gravityzone_folders(&self) -> &[GzFolder] {
        &self.gz_folders
    }

    /// What `getCompaniesList` and `getCompanyFoldersList` answer for `parent` (a partner
    /// company or a company folder): the companies directly inside it, sorted by id, and the
    /// folders directly inside it. `None` for a customer company or an unknown id.
    pub fn gravityzone_listing(&self, parent: &str) -> Option<(Vec<&GzCompany>, Vec<&GzFolder>)> {
        let folders = self
            .gz_folders
            .iter()
            .filter(|f| f.parent_id == parent)
            .collect();
        if let Some(company) = self.gravityzone_company(parent) {
            if company.company_type != 0 {
                return None;
            }
            let companies = self
                .gravityzone_children(parent)
                .into_iter()
                .filter(|c| c.folder_id.is_none())
                .collect();
            return Some((companies, folders));
        }
        self.gz_folders.iter().any(|f| f.id == parent).then(|| {
            let companies = self.gz_at(self.gz_index.in_folder.get(parent)).collect();
            (companies, folders)
        })
    }

    /// The direct children of a GravityZone company, sorted by id, whether or not they are
    /// kept in a company folder (the company counts them all).
    pub fn gravityzone_children(&self, id: &str) -> Vec<&GzCompany> {
        self.gz_at(self.gz_index.children.get(id)).collect()
    }

    /// The GravityZone companies at these positions (none for `None`).
    fn gz_at<'a>(
        &'a self,
        positions: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = &'a GzCompany> {
        positions
            .into_iter()
            .flatten()
            .filter_map(|&i| self.gz.get(i))
    }

    /// The GravityZone customer whose getMonthlyUsage answers `0` (it has a yearly license key, no
    /// monthly license).
    pub fn gravityzone_without_monthly_license(&self) -> &GzCompany {
        self.gz
            .iter()
            .find(|c| !c.monthly_license)
            .unwrap_or_else(|| self.gravityzone_root())
    }

    /// The GravityZone company whose getMonthlyUsage object answers carry `sveVdiMonthlyUsage` as
    /// a JSON string when [`SandboxConfig::drift`](crate::SandboxConfig::drift) is on: the first
    /// customer, in [`gravityzone_companies`](Self::gravityzone_companies) order, that has a
    /// monthly license and virtual-desktop hours (so the string is not `"0.0"` in its
    /// Endpoint Security answers); if no customer has such hours, the first with a monthly
    /// license. It is never the root, so the root's (summed) answer keeps a number.
    pub fn drift_type_change_company(&self) -> &GzCompany {
        self.gz
            .get(self.gz_type_change)
            .unwrap_or_else(|| self.gravityzone_root())
    }

    /// The `resellerId` every company object of an ESET usage report carries when
    /// [`SandboxConfig::drift`](crate::SandboxConfig::drift) is on: a lower-case GUID, the same
    /// for every company, a pure function of the seed.
    pub fn drift_reseller_id(&self) -> &str {
        &self.drift_reseller_id
    }

    /// ESET licenses of a company (empty for the root and for unknown ids).
    pub(crate) fn eset_licenses(&self, id: &str) -> &[License] {
        self.eset_licenses.get(id).map_or(&[], Vec::as_slice)
    }

    /// ESET daily usage of every license of a company from `from` to `to`.
    pub(crate) fn eset_days(&self, id: &str, from: NaiveDate, to: NaiveDate) -> Vec<Vec<Day>> {
        eset_data::range_days(self.seed, id, self.eset_licenses(id), from, to)
    }

    /// GravityZone profile of a company.
    pub(crate) fn gz_profile(&self, id: &str) -> Option<&Profile> {
        self.gz_profiles.get(id)
    }

    /// GravityZone counters of a company in a month, its children's included, per product type.
    pub(crate) fn gz_month(&self, id: &str, year: i32, month: u32) -> PerType {
        let mut total = match self.gz_profile(id) {
            Some(profile) => gz_data::own_month(self.seed, id, profile, year, month),
            None => [None, None, None],
        };
        for child in self.gravityzone_children(id) {
            let below = self.gz_month(&child.id, year, month);
            gz_data::add_per_type(&mut total, &below);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::names::FIXED_NAMES;

    #[test]
    fn shapes_are_fixed() {
        let data = Dataset::new(42);
        assert_eq!(data.eset_companies().len(), 150);
        assert_eq!(data.eset_children(&data.eset_root().id).len(), 9);
        assert_eq!(data.eset_descendants(&data.eset_root().id).len(), 150);
        assert_eq!(data.gravityzone_companies().len(), 60);
        let root = data.gravityzone_root();
        assert_eq!(root.depth, 0);
        assert_eq!(data.gravityzone_children(&root.id).len(), 9);
        assert!(data.gravityzone_companies().iter().any(|c| c.depth == 2));
        let ids: BTreeSet<&str> = data
            .eset_companies()
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids.len(), 150);
        for name in FIXED_NAMES {
            assert!(data.eset_companies().iter().any(|c| c.name == name));
        }
        assert!(!data.gravityzone_without_monthly_license().monthly_license);
        let drifting = data.drift_type_change_company();
        assert_eq!(drifting.company_type, 1);
        assert!(drifting.monthly_license);
        assert_ne!(drifting.id, root.id);
        assert!(
            data.gz_profile(&drifting.id)
                .is_some_and(|p| p.sve_vdi_hours > 0),
            "seed 42 has a customer with virtual-desktop hours"
        );
        assert_eq!(data.drift_reseller_id().len(), 36);
    }

    #[test]
    fn same_seed_same_dataset() {
        assert_eq!(Dataset::new(7), Dataset::new(7));
        assert_ne!(
            Dataset::new(7).eset_root().id,
            Dataset::new(8).eset_root().id
        );
    }

    #[test]
    fn a_parent_counts_its_children() {
        let data = Dataset::new(42);
        let root = data.gravityzone_root().id.clone();
        let total = data.gz_month(&root, 2026, 3);
        let mut sum = gz_data::own_month(
            42,
            &root,
            data.gz_profile(&root).unwrap_or_else(|| unreachable!()),
            2026,
            3,
        );
        for child in data.gravityzone_children(&root) {
            gz_data::add_per_type(&mut sum, &data.gz_month(&child.id, 2026, 3));
        }
        assert_eq!(total, sum);
        assert!(
            total.iter().all(Option::is_some),
            "root holds types 0, 3 and 5"
        );
    }
}
