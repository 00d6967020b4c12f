//! The `targetMonth` parameter of the licensing methods.

use std::fmt;

use crate::GravityZoneError;

/// A calendar month as the licensing methods take it: rendered `MM/YYYY` (zero-padded, e.g.
/// `03/2026`), the only format GravityZone accepts. Typed so that no free string ever reaches the
/// vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetMonth {
    year: i32,
    month: u32,
}

impl TargetMonth {
    /// The month `month` (1-12) of `year` (a four-digit year, 1000-9999).
    pub fn new(year: i32, month: u32) -> Result<Self, GravityZoneError> {
        if !(1..=12).contains(&month) {
            return Err(GravityZoneError::InvalidInput {
                reason: format!("month {month} is not between 1 and 12"),
            });
        }
        if !(1000..=9999).contains(&year) {
            return Err(GravityZoneError::InvalidInput {
                reason: format!("year {year} is not a four-digit year"),
            });
        }
        Ok(Self { year, month })
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1-12.
    pub fn month(&self) -> u32 {
        self.month
    }
}

impl fmt::Display for TargetMonth {
    /// `MM/YYYY`, as GravityZone expects it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:04}", self.month, self.year)
    }
}
