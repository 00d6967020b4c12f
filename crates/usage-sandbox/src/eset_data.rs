//! ESET's side of the dataset: categories, products, each company's licenses and their daily
//! usage.
//!
//! A company's usage in a month is a pure function of (seed, company id, month): every month is
//! generated day by day from its own ChaCha8 stream, and a date range is the concatenation of the
//! months it touches.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::mix::{hash_str, rng_for};

/// Tag of the license stream of a company.
const TAG_LICENSES: u64 = 0x45_53_45_54_4C_49_43; // "ESETLIC"
/// Tag of the usage stream of a company and month.
const TAG_USAGE: u64 = 0x45_53_45_54_55_53_45; // "ESETUSE"

/// An ESET usage category: the code sent in `categories` filters and returned in category rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EsetCategory {
    /// Category code, e.g. `ENDPOINT`.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
}

/// An ESET product: the code sent in `codes` filters and returned in product rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EsetProduct {
    /// Numeric product code, e.g. `111`.
    pub code: &'static str,
    /// Whether the sandbox returns the code as a JSON number instead of a string (as some peers
    /// have seen), to exercise clients that must accept both.
    pub code_as_number: bool,
    /// Display name.
    pub name: &'static str,
    /// Code of the category the product belongs to.
    pub category: &'static str,
}

/// Every category the sandbox reports, in report order.
pub const ESET_CATEGORIES: [EsetCategory; 8] = [
    EsetCategory {
        code: "ENDPOINT",
        name: "Endpoint Protection",
    },
    EsetCategory {
        code: "SERVER",
        name: "Server Security",
    },
    EsetCategory {
        code: "MAIL",
        name: "Mail Security",
    },
    EsetCategory {
        code: "CLOUD_OFFICE",
        name: "Cloud Office Security",
    },
    EsetCategory {
        code: "ENCRYPTION",
        name: "Encryption",
    },
    EsetCategory {
        code: "LIVEGUARD",
        name: "ESET LiveGuard Advanced",
    },
    EsetCategory {
        code: "MOBILE",
        name: "Mobile Security",
    },
    EsetCategory {
        code: "VAPM",
        name: "Vulnerability & Patch Management",
    },
];

/// Every product the sandbox reports, in report order.
pub const ESET_PRODUCTS: [EsetProduct; 11] = [
    EsetProduct {
        code: "111",
        code_as_number: false,
        name: "ESET Endpoint Security for Windows",
        category: "ENDPOINT",
    },
    EsetProduct {
        code: "211",
        code_as_number: false,
        name: "ESET Endpoint Antivirus for Windows",
        category: "ENDPOINT",
    },
    EsetProduct {
        code: "2015",
        code_as_number: false,
        name: "ESET PROTECT Entry",
        category: "ENDPOINT",
    },
    EsetProduct {
        code: "2016",
        code_as_number: false,
        name: "ESET PROTECT Advanced",
        category: "ENDPOINT",
    },
    EsetProduct {
        code: "113",
        code_as_number: false,
        name: "ESET Server Security for Microsoft Windows Server",
        category: "SERVER",
    },
    EsetProduct {
        code: "116",
        code_as_number: false,
        name: "ESET Mail Security for Microsoft Exchange Server",
        category: "MAIL",
    },
    EsetProduct {
        code: "3101",
        code_as_number: false,
        name: "ESET Cloud Office Security",
        category: "CLOUD_OFFICE",
    },
    EsetProduct {
        code: "1401",
        code_as_number: true,
        name: "ESET Full Disk Encryption",
        category: "ENCRYPTION",
    },
    EsetProduct {
        code: "1502",
        code_as_number: false,
        name: "ESET LiveGuard Advanced",
        category: "LIVEGUARD",
    },
    EsetProduct {
        code: "141",
        code_as_number: true,
        name: "ESET Endpoint Security for Android",
        category: "MOBILE",
    },
    EsetProduct {
        code: "2051",
        code_as_number: false,
        name: "ESET Vulnerability & Patch Management",
        category: "VAPM",
    },
];

/// Index of a product in [`ESET_PRODUCTS`].
const P111: usize = 0;
const P211: usize = 1;
const P2015: usize = 2;
const P2016: usize = 3;

/// Optional products and the chance a company has each.
const OPTIONAL: [(usize, f64); 7] = [
    (4, 0.5),
    (5, 0.3),
    (6, 0.35),
    (7, 0.2),
    (8, 0.25),
    (9, 0.2),
    (10, 0.25),
];

/// ESET `licenseType`: full license.
pub(crate) const FULL: u8 = 1;
/// ESET `licenseType`: trial.
pub(crate) const TRIAL: u8 = 4;

/// One license of a company: a product, its license type and its usual device count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct License {
    /// Index into [`ESET_PRODUCTS`].
    pub(crate) product: usize,
    /// 1 full, 4 trial.
    pub(crate) license_type: u8,
    /// Usual number of devices; 0 for a dormant license (zero usage every month).
    pub(crate) base: u32,
    /// Suspended part way through every month (seats 0 on the last day, seat-days > 0).
    pub(crate) suspends_monthly: bool,
}

/// What the generator decides for a company by its position in the tree, so every seed has
/// trials, suspensions, zero rows and companies without licenses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Traits {
    pub(crate) no_licenses: bool,
    pub(crate) has_trial: bool,
    pub(crate) has_dormant: bool,
    pub(crate) suspends_monthly: bool,
}

impl Traits {
    /// The traits of the company generated at position `index` (0-based, below the root).
    pub(crate) fn for_index(index: usize) -> Self {
        Self {
            no_licenses: index % 19 == 7,
            has_trial: index % 11 == 3,
            has_dormant: index % 13 == 5,
            suspends_monthly: index % 17 == 2,
        }
    }
}

/// The licenses of one company, generated from (seed, company id).
pub(crate) fn licenses(seed: u64, company_id: &str, traits: Traits) -> Vec<License> {
    if traits.no_licenses {
        return Vec::new();
    }
    let mut rng = rng_for(&[seed, TAG_LICENSES, hash_str(company_id)]);
    let devices: u32 = match rng.random_range(0..10) {
        0..=5 => rng.random_range(3..=25),
        6..=8 => rng.random_range(26..=120),
        _ => rng.random_range(121..=400),
    };
    let mut products = vec![match rng.random_range(0..20) {
        0..=7 => P111,
        8..=12 => P2015,
        13..=16 => P2016,
        _ => P211,
    }];
    if products.first() == Some(&P111) && rng.random_bool(0.15) {
        products.push(P211);
    }
    for (product, chance) in OPTIONAL {
        if rng.random_bool(chance) {
            products.push(product);
        }
    }
    // The trial: a LiveGuard Advanced evaluation (added if the company has no LiveGuard license).
    let trial_category = if traits.has_trial || rng.random_bool(0.04) {
        if !products.contains(&8) {
            products.push(8);
        }
        Some("LIVEGUARD")
    } else {
        None
    };
    products.sort_unstable();
    let share = |product: usize| -> f64 {
        match product {
            4 => 0.12,
            5 => 0.7,
            6 => 0.8,
            7 => 0.3,
            9 => 0.25,
            10 => 0.8,
            1 => 0.4,
            _ => 1.0,
        }
    };
    let mut licenses: Vec<License> = products
        .iter()
        .map(|&product| {
            let factor: f64 = rng.random_range(0.7..=1.0);
            let base = (f64::from(devices) * share(product) * factor)
                .round()
                .max(1.0) as u32;
            let category = ESET_PRODUCTS.get(product).map_or("", |p| p.category);
            License {
                product,
                license_type: if Some(category) == trial_category {
                    TRIAL
                } else {
                    FULL
                },
                base,
                suspends_monthly: false,
            }
        })
        .collect();
    if traits.has_dormant {
        // A license nobody uses: zero seats and zero seat-days every month.
        if let Some(license) = licenses.iter_mut().rev().find(|l| l.license_type == FULL) {
            license.base = 0;
        }
    }
    if traits.suspends_monthly
        && let Some(license) = licenses
            .iter_mut()
            .find(|l| l.base > 0 && l.license_type == FULL)
    {
        license.suspends_monthly = true;
    }
    licenses
}

/// Usage of one license on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Day {
    pub(crate) date: NaiveDate,
    /// Devices using the product that day (adds up to seat-days).
    pub(crate) usage: u64,
    /// Ordered units that day (0 while suspended).
    pub(crate) seats: u64,
}

/// The month index used in seeds: months since year 0.
fn month_index(year: i32, month: u32) -> u64 {
    (i64::from(year) * 12 + i64::from(month) - 1) as u64
}

/// Daily usage of every license of a company in one calendar month, generated from
/// (seed, company id, month); `result[i]` belongs to `licenses[i]`.
pub(crate) fn month_days(
    seed: u64,
    company_id: &str,
    licenses: &[License],
    year: i32,
    month: u32,
) -> Vec<Vec<Day>> {
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return vec![Vec::new(); licenses.len()];
    };
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|day| day.month() == month)
        .collect();
    let mut rng = rng_for(&[
        seed,
        TAG_USAGE,
        hash_str(company_id),
        month_index(year, month),
    ]);
    licenses
        .iter()
        .map(|license| license_month(&mut rng, license, &days))
        .collect()
}

fn license_month(rng: &mut ChaCha8Rng, license: &License, days: &[NaiveDate]) -> Vec<Day> {
    let base = i64::from(license.base);
    let swing: i64 = rng.random_range(-(base / 6)..=(base / 5 + 2));
    let level = if base == 0 { 0 } else { (base + swing).max(1) };
    let ordered = if level == 0 {
        0
    } else {
        ((level + 4) / 5 * 5).max(5)
    };
    let last = days.len();
    let suspend_from =
        if license.base > 0 && (license.suspends_monthly || rng.random_ratio(1, 60)) && last > 8 {
            rng.random_range(5..last - 2)
        } else {
            last
        };
    let mut current = level;
    days.iter()
        .enumerate()
        .map(|(index, &date)| {
            if level > 0 && rng.random_ratio(1, 6) {
                current = (current + rng.random_range(-2..=2)).max(1);
            }
            if index >= suspend_from {
                Day {
                    date,
                    usage: 0,
                    seats: 0,
                }
            } else {
                Day {
                    date,
                    usage: current as u64,
                    seats: current.max(ordered) as u64,
                }
            }
        })
        .collect()
}

/// Daily usage of every license of a company from `from` to `to` inclusive.
pub(crate) fn range_days(
    seed: u64,
    company_id: &str,
    licenses: &[License],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Vec<Day>> {
    let mut out = vec![Vec::new(); licenses.len()];
    let (mut year, mut month) = (from.year(), from.month());
    loop {
        let month_first = NaiveDate::from_ymd_opt(year, month, 1);
        if month_first.is_none_or(|first| first > to) {
            break;
        }
        for (acc, days) in out
            .iter_mut()
            .zip(month_days(seed, company_id, licenses, year, month))
        {
            acc.extend(days.into_iter().filter(|d| d.date >= from && d.date <= to));
        }
        if month == 12 {
            year += 1;
            month = 1;
        } else {
            month += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_month_is_a_pure_function_of_seed_company_and_month() {
        let traits = Traits::for_index(2);
        let lic = licenses(42, "c1", traits);
        let may = month_days(42, "c1", &lic, 2026, 5);
        assert_eq!(may, month_days(42, "c1", &lic, 2026, 5));
        // The same month inside a longer range is the same.
        let range = range_days(42, "c1", &lic, date("2026-04-20"), date("2026-06-03"));
        for (whole, part) in may.iter().zip(&range) {
            let inside: Vec<Day> = part
                .iter()
                .copied()
                .filter(|d| d.date.month() == 5)
                .collect();
            assert_eq!(whole, &inside);
        }
        assert_ne!(may, month_days(42, "c1", &lic, 2026, 6));
    }

    #[test]
    fn monthly_suspension_gives_zero_seats_and_positive_seat_days() {
        let traits = Traits::for_index(2);
        assert!(traits.suspends_monthly);
        let lic = licenses(42, "c2", traits);
        let index = lic
            .iter()
            .position(|l| l.suspends_monthly)
            .unwrap_or(usize::MAX);
        let days = month_days(42, "c2", &lic, 2026, 2);
        let days = days.get(index).cloned().unwrap_or_default();
        assert_eq!(days.last().map(|d| d.seats), Some(0));
        assert!(days.iter().map(|d| d.usage).sum::<u64>() > 0);
    }
}
