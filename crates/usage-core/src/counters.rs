//! GravityZone counter names -> product keys, units and built-in product names (SPEC section 2).

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
    for suffix in ["MonthlyUsage", "MonhtlyUsage", "Usage"] {
        if let Some(stem) = counter.strip_suffix(suffix) {
            let key = snake_case(stem);
            if !key.is_empty() {
                return key;
            }
        }
    }
    let key = snake_case(counter);
    if key.is_empty() {
        "unnamed".to_owned()
    } else {
        key
    }
}

/// camelCase (or anything) -> snake_case words; may return an empty string.
fn snake_case(name: &str) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Lower,
        Upper,
        Digit,
    }
    let mut out = String::with_capacity(name.len() + 4);
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
    out
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
pub(crate) const KNOWN_COUNTERS: &[KnownCounter] = &[
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

/// The known counter with this product key.
pub(crate) fn known_counter(key: &str) -> Option<&'static KnownCounter> {
    KNOWN_COUNTERS
        .binary_search_by(|known| known.key.cmp(key))
        .ok()
        .and_then(|i| KNOWN_COUNTERS.get(i))
}

/// The unit and built-in product name of a product key: the known counter's; else no name and
/// unit `sensor` for keys ending in `_sensors`, `unit` for the rest (nobody has said what they
/// count).
pub(crate) fn describe(key: &str) -> (Unit, Option<&'static str>) {
    match known_counter(key) {
        Some(known) => (known.unit, Some(known.name)),
        None if key.ends_with("_sensors") => (Unit::Sensor, None),
        None => (Unit::Unit, None),
    }
}

/// The unit of a product key (see [`describe`]).
#[cfg(test)]
fn unit_of(key: &str) -> Unit {
    describe(key).0
}

#[cfg(test)]
mod tests {
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
        for known in KNOWN_COUNTERS {
            assert_eq!(known_counter(known.key), Some(known));
            assert_eq!(product_key(known.key), known.key);
        }
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
