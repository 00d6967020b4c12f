//! Calendar months (`YYYY-MM`, what the user asks for) and the inclusive day ranges they cover.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::CoreError;

/// One calendar month, as `--month YYYY-MM` names it.
///
/// The year is 1..=9999 so that the month always prints as four digits, a dash and two digits,
/// and reads back the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The first day of the month; the only state, so ordering is chronological.
    first: NaiveDate,
}

impl Month {
    /// The month `month` (1..=12) of `year` (1..=9999).
    pub fn new(year: i32, month: u32) -> Result<Self, CoreError> {
        let invalid = |reason| CoreError::InvalidMonth {
            input: format!("{year:04}-{month:02}"),
            reason,
        };
        if !(1..=9999).contains(&year) {
            return Err(invalid("the year must be 0001..9999"));
        }
        if !(1..=12).contains(&month) {
            return Err(invalid("the month must be 01..12"));
        }
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|first| Month { first })
            .ok_or_else(|| invalid("that month is not in the calendar"))
    }

    /// The year, 1..=9999.
    pub fn year(&self) -> i32 {
        self.first.year()
    }

    /// The month of the year, 1..=12.
    pub fn month(&self) -> u32 {
        self.first.month()
    }

    /// The first day of the month.
    pub fn first_day(&self) -> NaiveDate {
        self.first
    }

    /// The last day of the month (28th to 31st).
    pub fn last_day(&self) -> NaiveDate {
        // The first of the next month minus one day; December 9999 has no next month in
        // `Month`, but chrono's calendar goes far beyond it, so both steps always succeed.
        self.first
            .checked_add_months(Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(self.first)
    }

    /// The number of days in the month (28..=31).
    pub fn days(&self) -> u32 {
        self.last_day().day()
    }

    /// The last calendar month that has ended on `today`: the month before today's.
    ///
    /// This is the default of `--month`, because a month's usage is final only once it is over.
    pub fn last_closed(today: NaiveDate) -> Month {
        let this_month = today.with_day(1).unwrap_or(today);
        let first = this_month
            .checked_sub_months(Months::new(1))
            .unwrap_or(this_month);
        // Keep the 0001..9999 invariant even for absurd clocks.
        let lowest = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(first);
        let highest = NaiveDate::from_ymd_opt(9999, 12, 1).unwrap_or(first);
        Month {
            first: first.clamp(lowest, highest),
        }
    }

    /// Where the month stands on `today`: over, still open (its usage is month-to-date), or
    /// not begun.
    pub fn standing(&self, today: NaiveDate) -> MonthStanding {
        if today > self.last_day() {
            MonthStanding::Closed
        } else if today >= self.first_day() {
            MonthStanding::Open
        } else {
            MonthStanding::Future
        }
    }
}

/// Where a month stands on a given day (see [`Month::standing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthStanding {
    /// It has ended: its usage is final.
    Closed,
    /// It is the current month: its usage so far is month-to-date.
    Open,
    /// It has not begun.
    Future,
}

impl fmt::Display for Month {
    /// `YYYY-MM`, e.g. `2026-03`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = CoreError;

    /// Exactly `YYYY-MM`: four digits, a dash, two digits (`2026-03`; not `2026-3`, `26-03`
    /// or `03/2026`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| CoreError::InvalidMonth {
            input: s.to_owned(),
            reason,
        };
        let bytes = s.as_bytes();
        let shape_ok = bytes.len() == 7
            && bytes.get(4) == Some(&b'-')
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !shape_ok {
            return Err(invalid(
                "expected a 4-digit year, a dash and a 2-digit month",
            ));
        }
        // Both parts are ASCII digits of fixed length, so they parse.
        let year: i32 = s.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
        let month: u32 = s.get(5..).and_then(|m| m.parse().ok()).unwrap_or(0);
        if year == 0 {
            return Err(invalid("the year must be 0001..9999"));
        }
        if !(1..=12).contains(&month) {
            return Err(invalid("the month must be 01..12"));
        }
        Month::new(year, month).map_err(|_| invalid("that month is not in the calendar"))
    }
}

impl Serialize for Month {
    /// As the string `YYYY-MM`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    /// From the string `YYYY-MM`, with the same rules as [`FromStr`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The days a record covers: `start` to `end`, both inclusive.
///
/// The fields are public for convenience; [`Period::new`] checks that `start <= end`, and the
/// normalizers refuse a period that ends before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    /// First day covered, inclusive.
    pub start: NaiveDate,
    /// Last day covered, inclusive.
    pub end: NaiveDate,
}

impl Period {
    /// The days `start..=end`; an error when `end` is before `start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, CoreError> {
        let period = Period { start, end };
        period.check()?;
        Ok(period)
    }

    /// The number of days covered (both ends included); 0 when `end` is before `start`.
    pub fn days(&self) -> u64 {
        let days = (self.end - self.start).num_days() + 1;
        u64::try_from(days).unwrap_or(0)
    }

    /// An error when `end` is before `start`.
    pub(crate) fn check(&self) -> Result<(), CoreError> {
        if self.end < self.start {
            Err(CoreError::InvalidPeriod {
                start: self.start,
                end: self.end,
            })
        } else {
            Ok(())
        }
    }
}

impl From<Month> for Period {
    /// The first to the last day of the month.
    fn from(month: Month) -> Self {
        Period {
            start: month.first_day(),
            end: month.last_day(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn closed_open_and_future_months() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let month = |m: &str| m.parse::<Month>().unwrap();
        assert_eq!(month("2026-11").standing(today), MonthStanding::Closed);
        assert_eq!(month("2026-12").standing(today), MonthStanding::Open);
        assert_eq!(month("2027-01").standing(today), MonthStanding::Future);
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(month("2026-12").standing(first), MonthStanding::Open);
        assert_eq!(month("2026-11").standing(first), MonthStanding::Closed);
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_and_prints_yyyy_mm() {
        let m: Month = "2026-03".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2026, 3));
        assert_eq!(m.to_string(), "2026-03");
        assert_eq!(m.first_day(), date(2026, 3, 1));
        assert_eq!(m.last_day(), date(2026, 3, 31));
        assert_eq!(m.days(), 31);
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"2026-03\"");
        assert_eq!(serde_json::from_str::<Month>("\"2026-03\"").unwrap(), m);
    }

    #[test]
    fn month_lengths_follow_the_calendar() {
        for (y, m, days) in [
            (2024, 2, 29),
            (2025, 2, 28),
            (1900, 2, 28),
            (2000, 2, 29),
            (2026, 4, 30),
            (2026, 12, 31),
            (9999, 12, 31),
            (1, 1, 31),
        ] {
            let month = Month::new(y, m).unwrap();
            assert_eq!(month.days(), days, "{month}");
            assert_eq!(Period::from(month).days(), u64::from(days), "{month}");
            assert_eq!(month.last_day(), date(y, m, days));
        }
    }

    #[test]
    fn rejects_everything_but_yyyy_mm_with_a_clear_message() {
        for (input, reason) in [
            ("2026-13", "the month must be 01..12"),
            ("2026-00", "the month must be 01..12"),
            ("0000-05", "the year must be 0001..9999"),
            ("26-10", "expected a 4-digit year"),
            ("2026-3", "expected a 4-digit year"),
            ("2026/03", "expected a 4-digit year"),
            ("03/2026", "expected a 4-digit year"),
            (" 2026-03", "expected a 4-digit year"),
            ("2026-03 ", "expected a 4-digit year"),
            ("+026-03", "expected a 4-digit year"),
            ("2026-+3", "expected a 4-digit year"),
            ("2026-0٣", "expected a 4-digit year"),
            ("", "expected a 4-digit year"),
        ] {
            let err = input.parse::<Month>().unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("invalid month `{input}`: ")),
                "{err}"
            );
            assert!(err.contains(reason), "{input}: {err}");
            assert!(err.ends_with("use YYYY-MM, e.g. 2026-10"), "{err}");
        }
        assert_eq!(
            "2026-13".parse::<Month>().unwrap_err().to_string(),
            "invalid month `2026-13`: the month must be 01..12; use YYYY-MM, e.g. 2026-10"
        );
        assert!(Month::new(2026, 13).is_err());
        assert!(Month::new(0, 1).is_err());
        assert!(Month::new(10_000, 1).is_err());
        assert!(serde_json::from_str::<Month>("\"2026-13\"").is_err());
    }

    #[test]
    fn last_closed_is_the_month_before_today() {
        assert_eq!(
            Month::last_closed(date(2026, 3, 1)),
            Month::new(2026, 2).unwrap()
        );
        assert_eq!(
            Month::last_closed(date(2026, 3, 31)),
            Month::new(2026, 2).unwrap()
        );
        assert_eq!(
            Month::last_closed(date(2026, 1, 15)),
            Month::new(2025, 12).unwrap()
        );
    }

    #[test]
    fn periods_count_both_ends() {
        assert_eq!(
            Period::new(date(2026, 3, 5), date(2026, 3, 5))
                .unwrap()
                .days(),
            1
        );
        assert!(Period::new(date(2026, 3, 6), date(2026, 3, 5)).is_err());
        let inverted = Period {
            start: date(2026, 3, 6),
            end: date(2026, 3, 5),
        };
        assert_eq!(inverted.days(), 0);
    }
}
