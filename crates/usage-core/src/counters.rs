//! GravityZone counter names -> product keys, units and built-in product names (SPEC section 2).

use std::sync::{Arc, LazyLock};

use crate::Unit;

/// The stable product key of a GravityZone counter name.
///
/// The rule of SPEC section 2: drop a trailing `MonthlyUsage` (or the vendor's misspelling
/// `MonhtlyUsage`) or `Usage`, then write the rest in snake_case with every run of digits as
/// a word of its own:
///
/// | counter | key |
/// |---|---|
/// | `endpointMonthlyUsage` | `endpoint` |
/// | `aLaCarteMonthlyUsage`, `aLaCarteMonhtlyUsage` | `a_la_carte` |
/// | `integrityMonitoring90DaysUsage` | `integrity_monitoring_90_days` |
/// | `sveVdiMonthlyUsage` | `sve_vdi` |
/// | `XDRSensorsUsage` | `xdr_sensors` |
///
/// Names nobody knows yet follow the same rule, so a new counter is never dropped. The key is
/// never empty, always matches `[a-z0-9]+(_[a-z0-9]+)*`, and is its own key:
/// - a run of capitals is one word (`XDRSensors` -> `xdr_sensors`);
/// - every other ASCII character (`_`, `-`, `.`, space, ...) separates words;
/// - a non-ASCII character becomes the words `u` and its decimal code point (`é` -> `u_233`);
/// - if nothing is left after dropping the suffix, the suffix is kept (`Usage` -> `usage`);
/// - a name with no letter or digit at all becomes `unnamed`.
pub fn product_key(counter: &str) -> String {
    let mut key = String::with_capacity(counter.len() + 4);
    write_product_key(counter, &mut key);
    key
}

/// Writes the product key of `counter` into `out` (cleared first), so a caller that needs many
/// keys can reuse one buffer.
pub(crate) fn write_product_key(counter: &str, out: &mut String) {
    for suffix in ["MonthlyUsage", "MonhtlyUsage", "Usage"] {
        if let Some(stem) = counter.strip_suffix(suffix) {
            snake_case(stem, out);
            if !out.is_empty() {
                return;
            }
        }
    }
    snake_case(counter, out);
    if out.is_empty() {
        out.push_str("unnamed");
    }
}

/// camelCase (or anything) -> snake_case words, written into `out` (cleared first); may leave
/// it empty.
fn snake_case(name: &str, out: &mut String) {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Lower,
        Upper,
        Digit,
    }
    out.clear();
    let mut prev: Option<Class> = None;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        let class = if c.is_ascii_lowercase() {
            Class::Lower
        } else if c.is_ascii_uppercase() {
            Class::Upper
        } else if c.is_ascii_digit() {
            Class::Digit
        } else if c.is_ascii() {
            // A separator: ends the current word.
            prev = None;
            continue;
        } else {
            // Words of their own: `u` and the decimal code point (`é` -> `u_233`), so that
            // the key maps to itself again.
            if !out.is_empty() {
                out.push('_');
            }
            out.push_str(&format!("u_{}", u32::from(c)));
            prev = None;
            continue;
        };
        let boundary = match (prev, class) {
            (None, _) => !out.is_empty(),
            (Some(Class::Lower), Class::Upper) => true,
            (Some(Class::Digit), Class::Lower | Class::Upper) => true,
            (Some(Class::Lower | Class::Upper), Class::Digit) => true,
            // `XDRSensors`: the `S` starts a word when a lower-case letter follows it.
            (Some(Class::Upper), Class::Upper) => {
                chars.peek().is_some_and(|next| next.is_ascii_lowercase())
            }
            _ => false,
        };
        if boundary {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
        prev = Some(class);
    }
}

/// A counter the contract knows: its key, unit and built-in product name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KnownCounter {
    /// The product key.
    pub(crate) key: &'static str,
    /// What one of it counts.
    pub(crate) unit: Unit,
    /// The built-in product name.
    pub(crate) name: &'static str,
}

const fn known(key: &'static str, unit: Unit, name: &'static str) -> KnownCounter {
    KnownCounter { key, unit, name }
}

/// Every counter of `getMonthlyUsage` in the vendor reference, by key (sorted by key).
pub(crate) const KNOWN_COUNTERS: [KnownCounter; 25] = [
    known("a_la_carte", Unit::Endpoint, "A-la-carte protection model"),
    known("ats", Unit::Endpoint, "Sandbox Analyzer and HyperDetect"),
    known("compliance", Unit::Endpoint, "Compliance Manager"),
    known(
        "container_protection",
        Unit::Endpoint,
        "Container Protection",
    ),
    known("edr", Unit::Endpoint, "EDR"),
    known("email_security", Unit::Mailbox, "Email Security"),
    known("encryption", Unit::Endpoint, "Full Disk Encryption"),
    known("endpoint", Unit::Endpoint, "Endpoint Security"),
    known("exchange", Unit::Mailbox, "Security for Exchange"),
    known(
        "integrity_monitoring",
        Unit::Endpoint,
        "Integrity Monitoring",
    ),
    known(
        "integrity_monitoring_180_days",
        Unit::Endpoint,
        "Integrity Monitoring, 180-day retention",
    ),
    known(
        "integrity_monitoring_1_year",
        Unit::Endpoint,
        "Integrity Monitoring, 1-year retention",
    ),
    known(
        "integrity_monitoring_90_days",
        Unit::Endpoint,
        "Integrity Monitoring, 90-day retention",
    ),
    known("mdr_foundations", Unit::Endpoint, "MDR Foundations"),
    known("mdr_response", Unit::Endpoint, "MDR Response"),
    known("mobile_security", Unit::Device, "Mobile Security"),
    known("msp_secure", Unit::Endpoint, "MSP Secure"),
    known(
        "msp_secure_essentials",
        Unit::Endpoint,
        "MSP Secure Essentials",
    ),
    known("msp_secure_extra", Unit::Endpoint, "MSP Secure Extra"),
    known("msp_secure_plus", Unit::Endpoint, "MSP Secure Plus"),
    known("patch_management", Unit::Endpoint, "Patch Management"),
    known(
        "sve_vdi",
        Unit::Hour,
        "Security Server, virtual desktops (hours)",
    ),
    known("sve_vs", Unit::Server, "Security Server, virtual servers"),
    known("xdr_identity_sensors", Unit::Sensor, "XDR Identity Sensors"),
    known(
        "xdr_productivity_sensors",
        Unit::Sensor,
        "XDR Productivity Sensors",
    ),
];

/// The index in [`KNOWN_COUNTERS`] of the known counter with this product key.
fn known_index(key: &str) -> Option<usize> {
    KNOWN_COUNTERS
        .binary_search_by(|known| known.key.cmp(key))
        .ok()
}

/// The index in [`KNOWN_COUNTERS`] of `key`, computed at compile time: a key that is not there
/// stops the build (`const { known_index_const("...") }`).
pub(crate) const fn known_index_const(key: &str) -> usize {
    let mut index = 0;
    while index < KNOWN_COUNTERS.len() {
        if const_eq(KNOWN_COUNTERS[index].key.as_bytes(), key.as_bytes()) {
            return index;
        }
        index += 1;
    }
    panic!("not the key of a known counter")
}

/// `a == b`, in a const context.
const fn const_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The known counter with this product key.
#[cfg(test)]
fn known_counter(key: &str) -> Option<&'static KnownCounter> {
    known_index(key).and_then(|i| KNOWN_COUNTERS.get(i))
}

/// What a record needs of a counter's product key: the key, its unit and built-in name, as
/// shared strings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Described {
    /// The product key.
    pub(crate) key: Arc<str>,
    /// What one of it counts.
    pub(crate) unit: Unit,
    /// The built-in product name of a known counter.
    pub(crate) name: Option<Arc<str>>,
}

/// The key and name of every known counter, allocated once per process: every record of a
/// known counter shares them (a clone is a reference count, not an allocation).
static SHARED_KNOWN: LazyLock<[Described; KNOWN_COUNTERS.len()]> = LazyLock::new(|| {
    KNOWN_COUNTERS.map(|known| Described {
        key: Arc::from(known.key),
        unit: known.unit,
        name: Some(Arc::from(known.name)),
    })
});

/// The key, unit and built-in name of the known counter at `index` of [`KNOWN_COUNTERS`], as
/// shared strings.
pub(crate) fn describe_known(index: usize) -> Option<Described> {
    SHARED_KNOWN.get(index).cloned()
}

/// The key, unit and built-in name of any product key: a known key's are the shared strings;
/// any other key is copied into a string of its own, has no name, and the unit of
/// `unknown_unit`.
pub(crate) fn describe_key(key: &str) -> Described {
    known_index(key)
        .and_then(describe_known)
        .unwrap_or_else(|| Described {
            key: Arc::from(key),
            unit: unknown_unit(key),
            name: None,
        })
}

/// The unit of a key no known counter has: `sensor` for keys ending in `_sensors`, `unit` for
/// the rest (nobody has said what they count).
fn unknown_unit(key: &str) -> Unit {
    if key.ends_with("_sensors") {
        Unit::Sensor
    } else {
        Unit::Unit
    }
}

/// The unit and built-in product name of a product key: the known counter's; else no name and
/// unit `sensor` for keys ending in `_sensors`, `unit` for the rest (nobody has said what they
/// count).
#[cfg(test)]
pub(crate) fn describe(key: &str) -> (Unit, Option<&'static str>) {
    match known_counter(key) {
        Some(known) => (known.unit, Some(known.name)),
        None => (unknown_unit(key), None),
    }
}

/// The unit of a product key (see [`describe`]).
#[cfg(test)]
fn unit_of(key: &str) -> Unit {
    describe(key).0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn spec_examples() {
        for (counter, key) in [
            ("endpointMonthlyUsage", "endpoint"),
            ("emailSecurityMonthlyUsage", "email_security"),
            ("aLaCarteMonthlyUsage", "a_la_carte"),
            ("aLaCarteMonhtlyUsage", "a_la_carte"),
            (
                "integrityMonitoring90DaysUsage",
                "integrity_monitoring_90_days",
            ),
            (
                "integrityMonitoring180DaysUsage",
                "integrity_monitoring_180_days",
            ),
            (
                "integrityMonitoring1YearUsage",
                "integrity_monitoring_1_year",
            ),
            ("integrityMonitoringUsage", "integrity_monitoring"),
            ("sveVdiMonthlyUsage", "sve_vdi"),
            ("mspSecurePlusMonthlyUsage", "msp_secure_plus"),
            ("xdrIdentitySensorsMonthlyUsage", "xdr_identity_sensors"),
            ("phasrMonthlyUsage", "phasr"),
            ("XDRSensorsUsage", "xdr_sensors"),
            ("easmAI2Usage", "easm_ai_2"),
            ("already_snake_case", "already_snake_case"),
            ("endpoint", "endpoint"),
            ("MonthlyUsage", "monthly"),
            ("Usage", "usage"),
            ("café-Usage", "caf_u_233"),
            ("__", "unnamed"),
            ("", "unnamed"),
        ] {
            assert_eq!(product_key(counter), key, "{counter}");
        }
    }

    #[test]
    fn known_counters_are_sorted_and_reachable() {
        assert!(KNOWN_COUNTERS.windows(2).all(|w| w[0].key < w[1].key));
        for (index, known) in KNOWN_COUNTERS.iter().enumerate() {
            assert_eq!(known_counter(known.key), Some(known));
            assert_eq!(known_index_const(known.key), index);
            assert_eq!(product_key(known.key), known.key);
            let shared = describe_known(index).unwrap();
            assert_eq!(&*shared.key, known.key);
            assert_eq!(shared.name.as_deref(), Some(known.name));
            assert_eq!(shared.unit, known.unit);
            assert_eq!(describe_key(known.key), shared);
        }
        assert_eq!(describe_known(KNOWN_COUNTERS.len()), None);
        let unknown = describe_key("xdr_network_sensors");
        assert_eq!(
            (&*unknown.key, unknown.unit, unknown.name),
            ("xdr_network_sensors", Unit::Sensor, None)
        );
    }

    #[test]
    fn units_follow_the_spec() {
        assert_eq!(unit_of("email_security"), Unit::Mailbox);
        assert_eq!(unit_of("exchange"), Unit::Mailbox);
        assert_eq!(unit_of("mobile_security"), Unit::Device);
        assert_eq!(unit_of("sve_vs"), Unit::Server);
        assert_eq!(unit_of("sve_vdi"), Unit::Hour);
        assert_eq!(unit_of("xdr_identity_sensors"), Unit::Sensor);
        assert_eq!(unit_of("xdr_network_sensors"), Unit::Sensor);
        assert_eq!(unit_of("endpoint"), Unit::Endpoint);
        assert_eq!(unit_of("patch_management"), Unit::Endpoint);
        assert_eq!(unit_of("phasr"), Unit::Unit);
        assert_eq!(unit_of("sensors"), Unit::Unit);
    }
}
