//! The drift knob ([`SandboxConfig::drift`](crate::SandboxConfig::drift)): the undocumented
//! fields and the one changed type the sandbox adds to chosen answers, so a strict check of
//! recorded bodies against the workspace's JSON Schemas (`msp-usage drift`) has something to find.
//!
//! With drift on, exactly these answers change (and nothing else, byte for byte):
//!
//! 1. ESET `UsageReport/*` (all eight endpoints): `companies[*].resellerId`, a GUID-shaped string,
//!    the same for every company of a dataset ([`Dataset::drift_reseller_id`]); and
//!    `companies[*].categories[*].billingGroup` / `companies[*].products[*].billingGroup`, always
//!    `"standard"`.
//! 2. ESET `User/Current`: top-level `mfaMethod`, always `"authenticator"`.
//! 3. GravityZone `licensing.getMonthlyUsage`, object answers only (never the `0` answer):
//!    `result.aiSecurityMonthlyUsage`, a small integer (1 to 12) that depends on the seed, the
//!    company and the month.
//! 4. GravityZone `licensing.getMonthlyUsage` of one company
//!    ([`Dataset::drift_type_change_company`]), object answers: `result.sveVdiMonthlyUsage` is a
//!    JSON string holding the number it would otherwise be (`"12.5"` instead of `12.5`).
//!
//! The additions never change the value of an existing field; the type change keeps the number's
//! text.
//!
//! [`Dataset::drift_reseller_id`]: crate::Dataset::drift_reseller_id
//! [`Dataset::drift_type_change_company`]: crate::Dataset::drift_type_change_company

use crate::mix::{hash_str, mix_all};

/// Tag of the reseller id stream.
pub(crate) const TAG_RESELLER: u64 = 0x52_45_53_45_4C_4C_45_52; // "RESELLER"
/// Tag of the AI security counter.
const TAG_AI_SECURITY: u64 = 0x41_49_53_45_43; // "AISEC"

/// Key added to every company object of an ESET usage report (a GUID-shaped string).
pub const ESET_COMPANY_FIELD: &str = "resellerId";
/// Key added to every category or product row of an ESET usage report.
pub const ESET_ROW_FIELD: &str = "billingGroup";
/// Value of [`ESET_ROW_FIELD`].
pub const ESET_ROW_VALUE: &str = "standard";
/// Key added at the top level of ESET's User/Current answer.
pub const ESET_USER_FIELD: &str = "mfaMethod";
/// Value of [`ESET_USER_FIELD`].
pub const ESET_USER_VALUE: &str = "authenticator";
/// Counter added to every object answer of GravityZone's getMonthlyUsage (an integer).
pub const GZ_COUNTER: &str = "aiSecurityMonthlyUsage";
/// The getMonthlyUsage counter answered as a JSON string for
/// [`Dataset::drift_type_change_company`](crate::Dataset::drift_type_change_company).
pub const GZ_TYPE_CHANGE_FIELD: &str = crate::gz_data::GZ_VDI_COUNTER;

/// The value of [`GZ_COUNTER`] for a company and month: 1 to 12, a pure function of its inputs.
pub(crate) fn ai_security_usage(seed: u64, company_id: &str, year: i32, month: u32) -> u64 {
    let month_index = (i64::from(year) * 12 + i64::from(month)) as u64;
    mix_all(&[seed, TAG_AI_SECURITY, hash_str(company_id), month_index]) % 12 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ai_counter_is_small_and_stable() {
        for month in 1..=12 {
            let value = ai_security_usage(42, "abc", 2026, month);
            assert!((1..=12).contains(&value));
            assert_eq!(value, ai_security_usage(42, "abc", 2026, month));
        }
    }
}
