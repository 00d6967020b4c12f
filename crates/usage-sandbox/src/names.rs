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

/// Trades, the middle word of names once "stem suffix" runs short (large datasets only).
const TRADES: [&str; 25] = [
    "Bau",
    "Logistik",
    "Consulting",
    "Holding",
    "Handel",
    "Technik",
    "Medien",
    "Immobilien",
    "Software",
    "Services",
    "Digital",
    "Partners",
    "Automotive",
    "Energie",
    "Pharma",
    "Design",
    "Reisen",
    "Druck",
    "Elektro",
    "Transport",
    "Finanz",
    "Agrar",
    "Textil",
    "Gastro",
    "Dental",
];

/// Places, the other middle word of names once "stem suffix" runs short (large datasets only).
const PLACES: [&str; 25] = [
    "Wien",
    "Graz",
    "Linz",
    "Salzburg",
    "München",
    "Zürich",
    "Brno",
    "Praha",
    "Kraków",
    "Lyon",
    "Göteborg",
    "Malmö",
    "Bergen",
    "Århus",
    "Ljubljana",
    "Bratislava",
    "Pécs",
    "Sevilla",
    "Porto",
    "Nice",
    "Köln",
    "Poznań",
    "Tartu",
    "Šibenik",
    "Besançon",
];

/// What partner names beyond [`PARTNER_NAMES`] say they do (large datasets only).
const PARTNER_WORDS: [&str; 10] = [
    "IT",
    "IT-Service",
    "Systemhaus",
    "Managed Services",
    "Informatique",
    "Cloud",
    "Networks",
    "Datentechnik",
    "IT Solutions",
    "Sieci",
];

/// Names handed out with "stem suffix" alone; beyond it a trade or place is added. 300 of the
/// 750 combinations keep retries rare, and the default datasets (at most 145 names per pool)
/// never get there, so their names stay what they always were.
const SHORT_NAMES: usize = 300;
/// Names handed out before "stem trade-or-place suffix" (37,500 combinations) gives way to
/// "stem trade place suffix" (468,750).
const MEDIUM_NAMES: usize = SHORT_NAMES + 15_000;
/// Draws in a row that may collide before a name gets a serial number (never in practice).
const MAX_DRAWS: usize = 64;

/// Hands out unique company names.
pub(crate) struct NamePool {
    used: BTreeSet<String>,
    /// The next serial number of the (practically unreachable) last resort.
    serial: usize,
}

impl NamePool {
    /// A pool that will never hand out `reserved`.
    pub(crate) fn new(reserved: &[&str]) -> Self {
        Self {
            used: reserved.iter().map(|name| (*name).to_string()).collect(),
            serial: 0,
        }
    }

    /// A fresh customer name not handed out before: "stem suffix" ("Dvořák s.r.o."), and in
    /// large datasets "stem trade suffix", "stem place suffix" or "stem trade place suffix"
    /// ("Dvořák Logistik Brno s.r.o.").
    pub(crate) fn next(&mut self, rng: &mut ChaCha8Rng) -> String {
        if self.used.len() < SHORT_NAMES {
            // The original scheme, draw for draw: default datasets depend on it.
            loop {
                let name = join(&[pick(rng, &STEMS), pick(rng, &SUFFIXES)]);
                if self.used.insert(name.clone()) {
                    return name;
                }
            }
        }
        let long = self.used.len() >= MEDIUM_NAMES;
        self.unique(rng, |rng| {
            let stem = pick(rng, &STEMS);
            let suffix = pick(rng, &SUFFIXES);
            if long {
                join(&[stem, pick(rng, &TRADES), pick(rng, &PLACES), suffix])
            } else {
                let trade = rng.random_range(0..TRADES.len() + PLACES.len());
                let middle = TRADES
                    .get(trade)
                    .or_else(|| PLACES.get(trade - TRADES.len()))
                    .copied()
                    .unwrap_or_default();
                join(&[stem, middle, suffix])
            }
        })
    }

    /// A fresh partner name not handed out before, "stem word suffix" ("Ørsted Consulting
    /// Systemhaus AB"), for partners beyond [`PARTNER_NAMES`].
    pub(crate) fn partner(&mut self, rng: &mut ChaCha8Rng) -> String {
        self.unique(rng, |rng| {
            join(&[
                pick(rng, &STEMS),
                pick(rng, &PARTNER_WORDS),
                pick(rng, &SUFFIXES),
            ])
        })
    }

    /// A name from `draw` not handed out before; after [`MAX_DRAWS`] collisions in a row, the
    /// last draw with a serial number.
    fn unique(
        &mut self,
        rng: &mut ChaCha8Rng,
        mut draw: impl FnMut(&mut ChaCha8Rng) -> String,
    ) -> String {
        let mut name = String::new();
        for _ in 0..MAX_DRAWS {
            name = draw(rng);
            if self.used.insert(name.clone()) {
                return name;
            }
        }
        loop {
            self.serial += 1;
            let numbered = format!("{name} {}", self.serial);
            if self.used.insert(numbered.clone()) {
                return numbered;
            }
        }
    }
}

/// One entry of `list`, drawn from `rng`.
fn pick(rng: &mut ChaCha8Rng, list: &[&'static str]) -> &'static str {
    list.get(rng.random_range(0..list.len()))
        .copied()
        .unwrap_or_default()
}

/// The non-empty words, separated by spaces.
fn join(words: &[&str]) -> String {
    let mut name = String::new();
    for word in words.iter().filter(|w| !w.is_empty()) {
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(word);
    }
    name
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

    #[test]
    fn large_pools_stay_unique_and_plausible() {
        let mut rng = rng_for(&[3]);
        let mut pool = NamePool::new(&FIXED_NAMES);
        let mut names = BTreeSet::new();
        for _ in 0..20_000 {
            assert!(names.insert(pool.next(&mut rng)));
        }
        for _ in 0..2_000 {
            assert!(names.insert(pool.partner(&mut rng)));
        }
        assert_eq!(pool.serial, 0, "no serial numbers needed");
        assert!(
            names
                .iter()
                .all(|n| !n.is_empty() && !n.contains("  ") && n.trim() == n)
        );
    }
}
