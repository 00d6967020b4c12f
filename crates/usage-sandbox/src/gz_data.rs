//! GravityZone's side of the dataset: each company's profile (protection model, add-ons, product
//! types, contract minimum) and its monthly counters.
//!
//! A company's own counters in a month are a pure function of (seed, company id, month); a parent's
//! counters are its own plus the sum of its children's, computed by the dataset.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::mix::{hash_str, rng_for};

/// Tag of the profile stream of a company.
const TAG_PROFILE: u64 = 0x47_5A_50_52_4F_46; // "GZPROF"
/// Tag of the usage stream of a company and month.
const TAG_USAGE: u64 = 0x47_5A_55_53_45; // "GZUSE"

/// Every integer counter of `getMonthlyUsage`, in the reference's order (`sveVdiMonthlyUsage`, in
/// hours and possibly fractional, is kept apart).
pub const GZ_COUNTERS: [&str; 24] = [
    "endpointMonthlyUsage",
    "aLaCarteMonthlyUsage",
    "mspSecureMonthlyUsage",
    "mspSecurePlusMonthlyUsage",
    "mspSecureExtraMonthlyUsage",
    "mspSecureEssentialsMonthlyUsage",
    "emailSecurityMonthlyUsage",
    "mobileSecurityMonthlyUsage",
    "exchangeMonthlyUsage",
    "encryptionMonthlyUsage",
    "atsMonthlyUsage",
    "edrMonthlyUsage",
    "mdrFoundationsMonthlyUsage",
    "mdrResponseMonthlyUsage",
    "patchManagementMonthlyUsage",
    "containerProtectionMonthlyUsage",
    "integrityMonitoringUsage",
    "integrityMonitoring90DaysUsage",
    "integrityMonitoring180DaysUsage",
    "integrityMonitoring1YearUsage",
    "xdrIdentitySensorsMonthlyUsage",
    "xdrProductivitySensorsMonthlyUsage",
    "complianceMonthlyUsage",
    "sveVsMonthlyUsage",
];

/// The fractional counter: virtual-desktop hours.
pub const GZ_VDI_COUNTER: &str = "sveVdiMonthlyUsage";
/// The PHASR counter, present in every `getMonthlyUsagePerProductType` entry.
pub const GZ_PHASR_COUNTER: &str = "phasrMonthlyUsage";
/// The product types of `getMonthlyUsagePerProductType`: Endpoint Security, EDR, PHASR.
pub const GZ_PRODUCT_TYPES: [i64; 3] = [0, 3, 5];

const ENDPOINT: usize = 0;
const A_LA_CARTE: usize = 1;
const EMAIL: usize = 6;
const MOBILE: usize = 7;
const EXCHANGE: usize = 8;
const ENCRYPTION: usize = 9;
const ATS: usize = 10;
const EDR: usize = 11;
const MDR_FOUNDATIONS: usize = 12;
const PATCH: usize = 14;
const CONTAINER: usize = 15;
const INTEGRITY: usize = 16;
const XDR_IDENTITY: usize = 20;
const XDR_PRODUCTIVITY: usize = 21;
const COMPLIANCE: usize = 22;
const SVE_VS: usize = 23;

/// The protection models, as `assignedProtectionModel` names, parallel to counters 1..=5.
const MODELS: [&str; 5] = [
    "aLaCarte",
    "mspSecure",
    "mspSecurePlus",
    "mspSecureExtra",
    "mspSecureEssentials",
];

/// The counters of one company, month and product type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// Values of [`GZ_COUNTERS`].
    pub(crate) ints: [u64; 24],
    /// `sveVdiMonthlyUsage` in quarter hours, so sums stay exact.
    pub(crate) vdi_quarter_hours: u64,
    /// `phasrMonthlyUsage`.
    pub(crate) phasr: u64,
}

impl Counters {
    /// Adds `other` counter by counter.
    pub(crate) fn add(&mut self, other: &Counters) {
        for (mine, theirs) in self.ints.iter_mut().zip(other.ints) {
            *mine += theirs;
        }
        self.vdi_quarter_hours += other.vdi_quarter_hours;
        self.phasr += other.phasr;
    }

    /// Endpoints counted this month.
    pub(crate) fn endpoints(&self) -> u64 {
        self.ints[ENDPOINT]
    }
}

/// A company's counters per product type (index parallel to [`GZ_PRODUCT_TYPES`]); `None` for a
/// type the company (and everything below it) does not hold.
pub(crate) type PerType = [Option<Counters>; 3];

/// Adds `other` into `acc`, type by type.
pub(crate) fn add_per_type(acc: &mut PerType, other: &PerType) {
    for (mine, theirs) in acc.iter_mut().zip(other) {
        if let Some(theirs) = theirs {
            mine.get_or_insert_with(Counters::default).add(theirs);
        }
    }
}

/// The serialized form of one counter set: every counter, zeros included.
pub(crate) struct CountersJson<'a> {
    /// `productType` key first, for per-product-type entries.
    pub(crate) product_type: Option<i64>,
    pub(crate) counters: &'a Counters,
    /// Whether to include `phasrMonthlyUsage` (per-product-type entries only).
    pub(crate) with_phasr: bool,
    /// `minimumUsage: {"endpointMonthlyUsage": n}` (getMonthlyUsage only).
    pub(crate) minimum_endpoints: Option<u64>,
}

impl Serialize for CountersJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(product_type) = self.product_type {
            map.serialize_entry("productType", &product_type)?;
        }
        for (name, value) in GZ_COUNTERS.iter().zip(self.counters.ints) {
            map.serialize_entry(name, &value)?;
        }
        let hours = self.counters.vdi_quarter_hours as f64 / 4.0;
        map.serialize_entry(GZ_VDI_COUNTER, &hours)?;
        if self.with_phasr {
            map.serialize_entry(GZ_PHASR_COUNTER, &self.counters.phasr)?;
        }
        if let Some(minimum) = self.minimum_endpoints {
            map.serialize_entry("minimumUsage", &MinimumJson(minimum))?;
        }
        map.end()
    }
}

struct MinimumJson(u64);

impl Serialize for MinimumJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("endpointMonthlyUsage", &self.0)?;
        map.end()
    }
}

/// What a company buys and how big it is; generated once from (seed, company id).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Profile {
    /// False for the company answering `0` (a yearly license key instead of a monthly one).
    pub(crate) monthly_license: bool,
    /// Index into [`MODELS`].
    pub(crate) model: usize,
    /// Usual endpoints of the company itself (0 for a partner without own endpoints).
    pub(crate) endpoints: u32,
    pub(crate) encryption: f64,
    pub(crate) ats: bool,
    pub(crate) edr: f64,
    /// 0 none, 1 MDR Foundations, 2 MDR Response.
    pub(crate) mdr: u8,
    pub(crate) patch: f64,
    pub(crate) container: u32,
    /// Integrity Monitoring: (retention counter index, share of endpoints).
    pub(crate) integrity: Option<(usize, f64)>,
    pub(crate) xdr_identity: u32,
    pub(crate) xdr_productivity: u32,
    pub(crate) compliance: f64,
    pub(crate) sve_vs: u32,
    pub(crate) sve_vdi_hours: u32,
    pub(crate) mobile: u32,
    pub(crate) email: f64,
    pub(crate) exchange: f64,
    /// Endpoints under a standalone EDR license (product type 3); 0 = not held.
    pub(crate) edr_standalone: u32,
    /// PHASR seats (product type 5); 0 = not held.
    pub(crate) phasr: u32,
    /// Contractual endpoint minimum, if any.
    pub(crate) minimum_endpoints: Option<u64>,
    /// Fields of getCompanyDetails.
    pub(crate) details: Details,
}

/// Static company details.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Details {
    pub(crate) created_at: String,
    pub(crate) country: &'static str,
    pub(crate) industry: i64,
    pub(crate) address: String,
    pub(crate) phone: String,
    pub(crate) enforce_2fa: bool,
    pub(crate) risk: u32,
    pub(crate) contact: (&'static str, &'static str),
}

const COUNTRIES: [(&str, &str, &str); 8] = [
    ("DE", "Hauptstraße 12, 10115 Berlin", "+49 30 "),
    ("AT", "Mariahilfer Straße 88, 1070 Wien", "+43 1 "),
    ("CZ", "Náměstí Míru 7, 120 00 Praha", "+420 2 "),
    ("PL", "ul. Żółkiewskiego 3, 00-001 Warszawa", "+48 22 "),
    ("FR", "12 rue de l'Église, 69002 Lyon", "+33 4 "),
    ("SE", "Götgatan 14, 118 46 Stockholm", "+46 8 "),
    ("ES", "Calle de Alcalá 45, 28014 Madrid", "+34 91 "),
    ("DK", "Nørregade 5, 1165 København", "+45 33 "),
];

const CONTACTS: [(&str, &str); 4] = [
    ("Jürgen Weiß", "IT Manager"),
    ("Zofia Wójcik", "Owner"),
    ("Søren Ærø", "Technical Contact"),
    ("Inès Lefèvre", "Billing Contact"),
];

/// Which kind of company a profile is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The API key's own company.
    Root,
    /// A sub-partner; `own_usage` says whether it has endpoints of its own.
    Partner { own_usage: bool },
    /// A customer; `index` is its position among customers (forces some traits).
    Customer { index: usize, monthly_license: bool },
}

/// Generates the profile of one company.
pub(crate) fn profile(seed: u64, company_id: &str, role: Role) -> Profile {
    let mut rng = rng_for(&[seed, TAG_PROFILE, hash_str(company_id)]);
    let endpoints = match role {
        Role::Root => rng.random_range(5..=20),
        Role::Partner { own_usage: true } => rng.random_range(3..=30),
        Role::Partner { own_usage: false } => 0,
        Role::Customer { .. } => match rng.random_range(0..10) {
            0..=5 => rng.random_range(5..=40),
            6..=8 => rng.random_range(41..=150),
            _ => rng.random_range(151..=300),
        },
    };
    let (force_edr, force_phasr, force_minimum, monthly_license) = match role {
        Role::Customer {
            index,
            monthly_license,
        } => (
            index % 7 == 1,
            index % 11 == 4,
            index % 6 == 0,
            monthly_license,
        ),
        Role::Root => (false, false, true, true),
        Role::Partner { .. } => (false, false, true, true),
    };
    let frac = |rng: &mut ChaCha8Rng, chance: f64| -> f64 {
        if rng.random_bool(chance) {
            rng.random_range(0.1..=0.9)
        } else {
            0.0
        }
    };
    let count = |rng: &mut ChaCha8Rng, chance: f64, max: u32| -> u32 {
        if rng.random_bool(chance) {
            rng.random_range(1..=max)
        } else {
            0
        }
    };
    let model = rng.random_range(0..MODELS.len());
    let encryption = frac(&mut rng, 0.35);
    let ats = rng.random_bool(0.3);
    let edr = frac(&mut rng, 0.4);
    let mdr = match rng.random_range(0..10u8) {
        0 => 1,
        1 => 2,
        _ => 0,
    };
    let patch = frac(&mut rng, 0.45);
    let container = count(&mut rng, 0.1, 20);
    let integrity = if rng.random_bool(0.2) {
        Some((rng.random_range(17..=19), rng.random_range(0.1..=0.5)))
    } else {
        None
    };
    let xdr_identity = count(&mut rng, 0.25, 3);
    let xdr_productivity = count(&mut rng, 0.2, 8);
    let compliance = frac(&mut rng, 0.2);
    let sve_vs = count(&mut rng, 0.2, 15);
    let sve_vdi_hours = count(&mut rng, 0.15, 800);
    let mobile = count(&mut rng, 0.3, 60);
    let email = frac(&mut rng, 0.35);
    let exchange = frac(&mut rng, 0.2);
    let edr_standalone = if force_edr || rng.random_bool(0.1) {
        rng.random_range(2..=40)
    } else {
        0
    };
    let phasr = if force_phasr || rng.random_bool(0.05) {
        rng.random_range(5..=120)
    } else {
        0
    };
    let minimum_endpoints = if force_minimum {
        Some(u64::from(rng.random_range(1..=10u32)) * 5)
    } else {
        None
    };
    let (country, street, dial) = COUNTRIES[rng.random_range(0..COUNTRIES.len())];
    let details = Details {
        created_at: format!(
            "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}",
            rng.random_range(18..=24),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60)
        ),
        country,
        industry: rng.random_range(0..=34),
        address: if rng.random_bool(0.3) {
            String::new()
        } else {
            street.to_string()
        },
        phone: if rng.random_bool(0.4) {
            String::new()
        } else {
            format!("{dial}{}", rng.random_range(1_000_000..=9_999_999))
        },
        enforce_2fa: rng.random_bool(0.5),
        risk: rng.random_range(5..=90),
        contact: CONTACTS[rng.random_range(0..CONTACTS.len())],
    };
    Profile {
        monthly_license,
        model,
        endpoints,
        encryption,
        ats,
        edr,
        mdr,
        patch,
        container,
        integrity,
        xdr_identity,
        xdr_productivity,
        compliance,
        sve_vs,
        sve_vdi_hours,
        mobile,
        email,
        exchange,
        edr_standalone,
        phasr,
        minimum_endpoints,
        details,
    }
}

impl Profile {
    /// The `assignedProtectionModel` name.
    pub(crate) fn model_name(&self) -> &'static str {
        MODELS[self.model]
    }

    /// The product types this company itself holds (`additionalProductTypes` are the non-zero ones).
    pub(crate) fn additional_product_types(&self) -> Vec<i64> {
        let mut types = Vec::new();
        if self.edr_standalone > 0 {
            types.push(3);
        }
        if self.phasr > 0 {
            types.push(5);
        }
        types
    }
}

/// A month index used in seeds: months since year 0.
fn month_index(year: i32, month: u32) -> u64 {
    (i64::from(year) * 12 + i64::from(month) - 1) as u64
}

/// Scales `value` by `share` with a little monthly noise, never above `cap`.
fn part(rng: &mut ChaCha8Rng, value: u64, share: f64, cap: u64) -> u64 {
    if share <= 0.0 || value == 0 {
        return 0;
    }
    let noise: f64 = rng.random_range(0.9..=1.1);
    ((value as f64 * share * noise).round() as u64).min(cap)
}

/// The company's own counters in one month, per product type (not including its children).
pub(crate) fn own_month(
    seed: u64,
    company_id: &str,
    profile: &Profile,
    year: i32,
    month: u32,
) -> PerType {
    if !profile.monthly_license {
        return [None, None, None];
    }
    let mut rng = rng_for(&[
        seed,
        TAG_USAGE,
        hash_str(company_id),
        month_index(year, month),
    ]);
    let base = i64::from(profile.endpoints);
    let swing: i64 = rng.random_range(-(base / 8)..=(base / 6 + 2));
    let endpoints = if base == 0 {
        0
    } else {
        (base + swing).max(1) as u64
    };
    let mut c = Counters::default();
    c.ints[ENDPOINT] = endpoints;
    c.ints[A_LA_CARTE + profile.model] = endpoints;
    c.ints[ENCRYPTION] = part(&mut rng, endpoints, profile.encryption, endpoints);
    c.ints[ATS] = if profile.ats { endpoints } else { 0 };
    c.ints[EDR] = part(&mut rng, endpoints, profile.edr, endpoints);
    if profile.mdr > 0 {
        c.ints[MDR_FOUNDATIONS + usize::from(profile.mdr) - 1] = endpoints;
    }
    c.ints[PATCH] = part(&mut rng, endpoints, profile.patch, endpoints);
    c.ints[CONTAINER] = if endpoints > 0 {
        u64::from(profile.container)
    } else {
        0
    };
    if let Some((tier, share)) = profile.integrity {
        let n = part(&mut rng, endpoints, share, endpoints);
        c.ints[INTEGRITY] = n;
        c.ints[tier] = n;
    }
    if endpoints > 0 {
        c.ints[XDR_IDENTITY] = u64::from(profile.xdr_identity);
        c.ints[XDR_PRODUCTIVITY] = u64::from(profile.xdr_productivity);
        c.ints[SVE_VS] = u64::from(profile.sve_vs);
        if profile.mobile > 0 {
            c.ints[MOBILE] = u64::from(profile.mobile) + rng.random_range(0..=3);
        }
        if profile.sve_vdi_hours > 0 {
            let quarters = u64::from(profile.sve_vdi_hours) * 4;
            c.vdi_quarter_hours = quarters + rng.random_range(0..=quarters / 4 + 3);
        }
    }
    c.ints[COMPLIANCE] = part(&mut rng, endpoints, profile.compliance, endpoints);
    c.ints[EMAIL] = part(&mut rng, endpoints, profile.email, u64::MAX);
    c.ints[EXCHANGE] = part(&mut rng, endpoints, profile.exchange, u64::MAX);

    let edr_only = (profile.edr_standalone > 0).then(|| {
        let n = u64::from(profile.edr_standalone) + rng.random_range(0..=4);
        let mut t = Counters::default();
        t.ints[ENDPOINT] = n;
        t.ints[EDR] = n;
        t
    });
    let phasr = (profile.phasr > 0).then(|| Counters {
        phasr: u64::from(profile.phasr) + rng.random_range(0..=6),
        ..Counters::default()
    });
    [Some(c), edr_only, phasr]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_serialize_with_every_key() {
        let counters = Counters {
            vdi_quarter_hours: 5,
            ..Counters::default()
        };
        let json = serde_json::to_value(CountersJson {
            product_type: Some(3),
            counters: &counters,
            with_phasr: true,
            minimum_endpoints: Some(10),
        })
        .unwrap_or_default();
        let object = json.as_object().cloned().unwrap_or_default();
        assert_eq!(object.len(), 24 + 4);
        assert_eq!(json["sveVdiMonthlyUsage"], serde_json::json!(1.25));
        assert_eq!(json["minimumUsage"]["endpointMonthlyUsage"], 10);
        assert_eq!(json["productType"], 3);
    }

    #[test]
    fn own_month_is_pure_and_varies_by_month() {
        let profile = profile(
            1,
            "abc",
            Role::Customer {
                index: 1,
                monthly_license: true,
            },
        );
        let may = own_month(1, "abc", &profile, 2026, 5);
        assert_eq!(may, own_month(1, "abc", &profile, 2026, 5));
        assert_ne!(may, own_month(1, "abc", &profile, 2026, 6));
        assert!(may[1].is_some(), "index 1 holds EDR (product type 3)");
    }
}
