//! Company names and ids: mostly non-ASCII names, GUIDs for ESET, 24-hex ids for GravityZone.

use std::collections::BTreeSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Names every ESET dataset contains verbatim (the first three customers get them).
pub(crate) const FIXED_NAMES: [&str; 3] = ["Müller & Söhne GmbH", "Café Lumière", "Dvořák s.r.o."];

const STEMS: [&str; 50] = [
    "Müller & Söhne",
    "Café Lumière",
    "Dvořák",
    "Ørsted Consulting",
    "Łukasiewicz",
    "Žižka Transport",
    "Ångström Labs",
    "Núñez y Asociados",
    "Grünwald",
    "São Bento",
    "Çelik Yapı",
    "Šťastný",
    "Kraków Logistics",
    "Børresen",
    "Jäger Holz",
    "Niño Verde",
    "Île Bleue",
    "Fjörður",
    "Brüder Köhler",
    "Émile Durand",
    "Weiß & Groß",
    "Łąka",
    "Škoda Partners",
    "Sørensen",
    "Hôtel du Lac",
    "Gärtnerei Blümel",
    "Crème Brûlée",
    "Zoë Design",
    "Mañana Digital",
    "Über Küchen",
    "Åkesson",
    "Pérez Hermanos",
    "Dvůr Králové",
    "Szőke",
    "Kūts",
    "Čistilnica Ljubljana",
    "Øresund",
    "Kölner Büro",
    "Plzeňský Pivovar",
    "Tromsø Fisk",
    "Αθηνά Τεχνολογίες",
    "東京データ",
    "Новая Линия",
    "Þórsson",
    "Hāwea",
    "Fußballverein Süd",
    "Łódź Tekstil",
    "Gdańsk Stocznia",
    "Béla Bartók",
    "Cañón",
];

const SUFFIXES: [&str; 15] = [
    "GmbH",
    "s.r.o.",
    "SARL",
    "Ltd",
    "AB",
    "S.L.",
    "sp. z o.o.",
    "B.V.",
    "AG",
    "A/S",
    "Oy",
    "S.A.",
    "",
    "& Co. KG",
    "Kft.",
];

/// Names of ESET managed MSPs and GravityZone sub-partners.
pub(crate) const PARTNER_NAMES: [&str; 6] = [
    "Bärenstark IT GmbH",
    "Nordlys Managed Services AS",
    "Informatica Émilia S.r.l.",
    "Síťové Služby Praha s.r.o.",
    "Kovač IT Rešitve d.o.o.",
    "Sjöberg Drift AB",
];

/// Hands out unique company names.
pub(crate) struct NamePool {
    used: BTreeSet<String>,
}

impl NamePool {
    /// A pool that will never hand out `reserved`.
    pub(crate) fn new(reserved: &[&str]) -> Self {
        Self {
            used: reserved.iter().map(|name| (*name).to_string()).collect(),
        }
    }

    /// A fresh name "stem suffix" not handed out before.
    pub(crate) fn next(&mut self, rng: &mut ChaCha8Rng) -> String {
        loop {
            let stem = STEMS[rng.random_range(0..STEMS.len())];
            let suffix = SUFFIXES[rng.random_range(0..SUFFIXES.len())];
            let name = if suffix.is_empty() {
                stem.to_string()
            } else {
                format!("{stem} {suffix}")
            };
            if self.used.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// A lower-case GUID shaped like a version-4 UUID.
pub(crate) fn guid(rng: &mut ChaCha8Rng) -> String {
    let mut bytes: [u8; 16] = rng.random();
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A 24-character lower-case hex id, like GravityZone's (MongoDB ObjectId-shaped).
pub(crate) fn object_id(rng: &mut ChaCha8Rng) -> String {
    let bytes: [u8; 12] = rng.random();
    hex(&bytes)
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0F)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mix::rng_for;

    #[test]
    fn ids_have_the_vendor_shapes() {
        let mut rng = rng_for(&[1]);
        let id = guid(&mut rng);
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_eq!(id, id.to_lowercase());
        let oid = object_id(&mut rng);
        assert_eq!(oid.len(), 24);
        assert!(
            oid.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn names_are_unique() {
        let mut rng = rng_for(&[2]);
        let mut pool = NamePool::new(&FIXED_NAMES);
        let names: BTreeSet<String> = (0..300).map(|_| pool.next(&mut rng)).collect();
        assert_eq!(names.len(), 300);
        assert!(FIXED_NAMES.iter().all(|fixed| !names.contains(*fixed)));
    }
}
