//! Deterministic fault injection: whether request number *n* is hit, and by what, depends only on
//! the fault seed and *n*.

use crate::config::{FaultKind, SandboxConfig};
use crate::mix::{mix, mix_all, unit_interval};

/// Tag of the fault stream.
const TAG_FAULTS: u64 = 0x46_41_55_4C_54; // "FAULT"

/// The fault for request number `sequence`, if any.
pub(crate) fn fault_for(config: &SandboxConfig, sequence: u64) -> Option<FaultKind> {
    let rate = config.fault_rate.clamp(0.0, 1.0);
    if rate.is_nan() || rate <= 0.0 || config.fault_kinds.is_empty() {
        return None;
    }
    let hash = mix_all(&[config.fault_seed, TAG_FAULTS, sequence]);
    if unit_interval(hash) >= rate {
        return None;
    }
    let pick = mix(hash, sequence) % config.fault_kinds.len() as u64;
    config.fault_kinds.get(pick as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_deterministic_and_near_the_rate() {
        let config = SandboxConfig::default().with_faults(0.25, 3);
        let first: Vec<Option<FaultKind>> = (0..1000).map(|n| fault_for(&config, n)).collect();
        let second: Vec<Option<FaultKind>> = (0..1000).map(|n| fault_for(&config, n)).collect();
        assert_eq!(first, second);
        let hits = first.iter().filter(|f| f.is_some()).count();
        assert!(
            (200..=300).contains(&hits),
            "{hits} hits for a rate of 0.25"
        );
        for kind in FaultKind::ALL {
            assert!(first.contains(&Some(kind)), "{kind} never drawn");
        }
        let other = SandboxConfig::default().with_faults(0.25, 4);
        let third: Vec<Option<FaultKind>> = (0..1000).map(|n| fault_for(&other, n)).collect();
        assert_ne!(first, third);
    }

    #[test]
    fn rate_zero_and_one() {
        let off = SandboxConfig::default();
        assert!((0..100).all(|n| fault_for(&off, n).is_none()));
        let all = SandboxConfig::default()
            .with_faults(1.0, 1)
            .with_fault_kinds([FaultKind::ServerError]);
        assert!((0..100).all(|n| fault_for(&all, n) == Some(FaultKind::ServerError)));
        let nan = SandboxConfig::default().with_faults(f64::NAN, 1);
        assert!((0..100).all(|n| fault_for(&nan, n).is_none()));
    }
}
