//! How many companies go where: the shape of both trees for a requested number of companies.
//!
//! Both trees are partners (ESET managed MSPs, GravityZone sub-partners) with customers below
//! them, plus a few customers directly under the root. The default sizes give exactly the trees
//! the sandbox always had; other sizes keep their proportions: about 28 customers per ESET
//! managed MSP, about 12 per GravityZone sub-partner, always 4 (ESET) or 5 (GravityZone) direct
//! customers, and at least two partners.

use std::fmt;

/// ESET companies below the root by default.
pub(crate) const DEFAULT_ESET: usize = 150;
/// GravityZone companies, the root included, by default.
pub(crate) const DEFAULT_GZ: usize = 60;
/// The smallest ESET tree: two managed MSPs with one customer each and four direct customers.
pub(crate) const MIN_ESET: usize = 8;
/// The smallest GravityZone tree: the root, two sub-partners with one customer each and five
/// direct customers (the company folders hold three of them).
pub(crate) const MIN_GZ: usize = 10;
/// The largest tree of either vendor.
pub(crate) const MAX_COMPANIES: usize = 100_000;

/// Customers of the ESET managed MSPs, repeated (the default tree has exactly these).
const ESET_MSP_CUSTOMERS: [usize; 5] = [28, 29, 27, 30, 27];
/// ESET customers directly under the root.
const ESET_DIRECT_CUSTOMERS: usize = 4;
/// Customers of the GravityZone sub-partners, repeated (the default tree has exactly these).
const GZ_PARTNER_CUSTOMERS: [usize; 4] = [12, 13, 12, 13];
/// GravityZone customers directly under the root.
const GZ_DIRECT_CUSTOMERS: usize = 5;

/// Where the companies of one tree go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Customers of each partner, in generation order (one entry per partner).
    pub(crate) partners: Vec<usize>,
    /// Customers directly under the root.
    pub(crate) direct: usize,
}

impl Shape {
    /// The ESET tree of `companies` below the root (clamped to the valid range).
    pub(crate) fn eset(companies: usize) -> Self {
        let companies = companies.clamp(MIN_ESET, MAX_COMPANIES);
        Self::split(companies, ESET_DIRECT_CUSTOMERS, &ESET_MSP_CUSTOMERS)
    }

    /// The GravityZone tree of `companies`, the root included (clamped to the valid range).
    pub(crate) fn gravityzone(companies: usize) -> Self {
        let companies = companies.clamp(MIN_GZ, MAX_COMPANIES);
        Self::split(companies - 1, GZ_DIRECT_CUSTOMERS, &GZ_PARTNER_CUSTOMERS)
    }

    /// Splits `below_root` companies into `direct` customers and partners whose customer
    /// counts follow `pattern` (repeated), nudged one by one until the total is exact.
    fn split(below_root: usize, direct: usize, pattern: &[usize]) -> Self {
        // A partner and its customers: the pattern's first count plus one.
        let group = pattern.first().copied().unwrap_or(1) + 1;
        let partners = (below_root.saturating_sub(direct) / group).max(2);
        // At least one customer per partner: guaranteed by the minimum sizes.
        let customers = below_root.saturating_sub(direct + partners).max(partners);
        let mut counts: Vec<usize> = pattern.iter().copied().cycle().take(partners).collect();
        spread(&mut counts, customers);
        Self {
            partners: counts,
            direct,
        }
    }
}

/// Adds or takes one customer at a time, partner after partner from the first, until `counts`
/// sums to `target`; no partner drops below one (`target` is at least `counts.len()`).
fn spread(counts: &mut [usize], target: usize) {
    let target = target.max(counts.len());
    let mut sum: usize = counts.iter().sum();
    while sum != target {
        for count in counts.iter_mut() {
            if sum < target {
                *count += 1;
                sum += 1;
            } else if sum > target && *count > 1 {
                *count -= 1;
                sum -= 1;
            }
        }
    }
}

/// A dataset size the sandbox does not generate: below the smallest tree of the vendor's shape
/// or above [`SandboxConfig::MAX_COMPANIES`](crate::SandboxConfig::MAX_COMPANIES).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeError {
    /// [`SandboxConfig::eset_companies`](crate::SandboxConfig::eset_companies) is out of range
    /// (the value given).
    EsetCompanies(usize),
    /// [`SandboxConfig::gz_companies`](crate::SandboxConfig::gz_companies) is out of range (the
    /// value given).
    GravityZoneCompanies(usize),
}

impl SizeError {
    /// Checks both sizes.
    ///
    /// # Errors
    /// The first size out of range.
    pub(crate) fn check(eset: usize, gz: usize) -> Result<(), SizeError> {
        if !(MIN_ESET..=MAX_COMPANIES).contains(&eset) {
            return Err(SizeError::EsetCompanies(eset));
        }
        if !(MIN_GZ..=MAX_COMPANIES).contains(&gz) {
            return Err(SizeError::GravityZoneCompanies(gz));
        }
        Ok(())
    }
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::EsetCompanies(n) => write!(
                f,
                "{n} ESET companies is out of range: give {MIN_ESET} to {MAX_COMPANIES} companies \
                 below the root (the smallest tree is two managed MSPs with a customer each and \
                 {ESET_DIRECT_CUSTOMERS} customers directly under the root)"
            ),
            SizeError::GravityZoneCompanies(n) => write!(
                f,
                "{n} GravityZone companies is out of range: give {MIN_GZ} to {MAX_COMPANIES} \
                 companies, the root included (the smallest tree is the root, two sub-partners \
                 with a customer each and {GZ_DIRECT_CUSTOMERS} customers directly under the root)"
            ),
        }
    }
}

impl std::error::Error for SizeError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(shape: &Shape) -> usize {
        shape.partners.len() + shape.partners.iter().sum::<usize>() + shape.direct
    }

    #[test]
    fn defaults_are_the_original_trees() {
        let eset = Shape::eset(DEFAULT_ESET);
        assert_eq!(eset.partners, ESET_MSP_CUSTOMERS);
        assert_eq!(eset.direct, ESET_DIRECT_CUSTOMERS);
        let gz = Shape::gravityzone(DEFAULT_GZ);
        assert_eq!(gz.partners, GZ_PARTNER_CUSTOMERS);
        assert_eq!(gz.direct, GZ_DIRECT_CUSTOMERS);
    }

    #[test]
    fn every_size_is_exact_with_the_same_proportions() {
        for n in (MIN_ESET..=2_000).chain([9_999, 10_000, 10_001, MAX_COMPANIES]) {
            let shape = Shape::eset(n);
            assert_eq!(total(&shape), n, "ESET {n}");
            assert!(shape.partners.len() >= 2);
            assert!(shape.partners.iter().all(|&c| c >= 1));
            if n >= 300 {
                assert!(
                    shape.partners.iter().all(|&c| (25..=33).contains(&c)),
                    "{n}"
                );
            }
        }
        for n in (MIN_GZ..=2_000).chain([10_000, MAX_COMPANIES]) {
            let shape = Shape::gravityzone(n);
            assert_eq!(total(&shape) + 1, n, "GravityZone {n}");
            assert!(shape.partners.len() >= 2);
            assert!(shape.partners.iter().all(|&c| c >= 1));
            if n >= 200 {
                assert!(
                    shape.partners.iter().all(|&c| (10..=16).contains(&c)),
                    "{n}"
                );
            }
        }
        assert_eq!(Shape::eset(10_000).partners.len(), 344);
        assert_eq!(Shape::gravityzone(1_000).partners.len(), 76);
    }

    #[test]
    fn sizes_out_of_range_are_refused() {
        assert_eq!(SizeError::check(DEFAULT_ESET, DEFAULT_GZ), Ok(()));
        assert_eq!(SizeError::check(MIN_ESET, MIN_GZ), Ok(()));
        assert_eq!(
            SizeError::check(MIN_ESET - 1, DEFAULT_GZ),
            Err(SizeError::EsetCompanies(MIN_ESET - 1))
        );
        assert_eq!(
            SizeError::check(DEFAULT_ESET, MAX_COMPANIES + 1),
            Err(SizeError::GravityZoneCompanies(MAX_COMPANIES + 1))
        );
        assert!(
            SizeError::EsetCompanies(3)
                .to_string()
                .contains("give 8 to 100000")
        );
    }
}
