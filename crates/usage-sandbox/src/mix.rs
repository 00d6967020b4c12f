//! Stable hash mixing and seeded random number generators.
//!
//! Everything the sandbox generates comes from these functions, so the same seed gives the same
//! dataset on every platform and every Rust version (`std`'s `DefaultHasher` gives no such
//! promise, hence the hand-written mixing).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One round of SplitMix64: a bijective, well-distributed 64-bit mix.
pub(crate) fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combines two values into one; order matters (`mix(a, b) != mix(b, a)` in general).
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    splitmix64(splitmix64(a) ^ b.rotate_left(23) ^ 0x6A09_E667_F3BC_C908)
}

/// Mixes a sequence of values, for seeding from a tuple such as (seed, company, month).
pub(crate) fn mix_all(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0xCBF2_9CE4_8422_2325, |acc, part| mix(acc, *part))
}

/// A stable 64-bit hash of a string (FNV-1a, then mixed).
pub(crate) fn hash_str(text: &str) -> u64 {
    hash_bytes(0, text.as_bytes())
}

/// A stable 64-bit keyed hash of bytes.
pub(crate) fn hash_bytes(key: u64, bytes: &[u8]) -> u64 {
    let mut fnv: u64 = 0xCBF2_9CE4_8422_2325 ^ splitmix64(key);
    for byte in bytes {
        fnv ^= u64::from(*byte);
        fnv = fnv.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(fnv, bytes.len() as u64)
}

/// A ChaCha8 generator seeded from a tuple of values.
pub(crate) fn rng_for(parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix_all(parts))
}

/// A uniform float in `[0, 1)` derived from a 64-bit hash.
pub(crate) fn unit_interval(hash: u64) -> f64 {
    // 53 high bits give every representable step of a double in [0, 1).
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn mixing_is_stable_across_runs_and_platforms() {
        // Pinned values: a change here changes every dataset, which must be deliberate.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(hash_str(""), hash_str(""));
        assert_ne!(hash_str("a"), hash_str("b"));
        assert_ne!(mix(1, 2), mix(2, 1));
        let first: u64 = rng_for(&[42, 7]).random();
        let second: u64 = rng_for(&[42, 7]).random();
        assert_eq!(first, second);
        assert_ne!(first, rng_for(&[42, 8]).random::<u64>());
    }

    #[test]
    fn unit_interval_stays_in_range() {
        assert!(unit_interval(u64::MAX) < 1.0);
        assert!(unit_interval(0) >= 0.0);
    }
}
