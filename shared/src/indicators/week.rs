//! ISO 8601 weeks (Monday to Sunday, UTC): the period every indicator is counted in.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

/// One ISO week, written `2026-W49`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    monday: NaiveDate,
}

/// A week that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO week (write it as 2026-W49)")]
pub struct WeekError(pub String);

impl IsoWeek {
    /// The week `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        Self::of_date(at.date_naive())
    }

    pub fn of_date(d: NaiveDate) -> Self {
        let back = i64::from(d.weekday().num_days_from_monday());
        Self {
            monday: d - Duration::days(back),
        }
    }

    /// Its first day.
    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    /// When its indicators may be deleted ([`crate::keys::keep::INDICATOR_DAYS`] after it ends).
    pub fn kept_until(self) -> DateTime<Utc> {
        let end = self.monday + Duration::days(7 + crate::keys::keep::INDICATOR_DAYS);
        end.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
    }

    pub fn previous(self) -> Self {
        Self {
            monday: self.monday - Duration::days(7),
        }
    }

    /// The `n` weeks ending with this one, oldest first.
    pub fn last(self, n: u32) -> Vec<IsoWeek> {
        let mut weeks: Vec<IsoWeek> = std::iter::successors(Some(self), |w| Some(w.previous()))
            .take(n as usize)
            .collect();
        weeks.reverse();
        weeks
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.monday.iso_week();
        // Four digits always: the week is a key and a contract pattern (`^[0-9]{4}-W[0-9]{2}$`).
        write!(f, "{:04}-W{:02}", w.year(), w.week())
    }
}

impl FromStr for IsoWeek {
    type Err = WeekError;

    fn from_str(raw: &str) -> Result<Self, WeekError> {
        let bad = || WeekError(raw.chars().take(16).collect());
        let (year, week) = raw.split_once("-W").ok_or_else(bad)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(Self { monday })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn weeks_are_iso_weeks_and_round_trip() {
        let tue = Utc.with_ymd_and_hms(2026, 12, 1, 23, 59, 0).unwrap();
        let w = IsoWeek::of(tue);
        assert_eq!(w.to_string(), "2026-W49");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!("2026-W49".parse::<IsoWeek>().unwrap(), w);
        // 1 January 2027 is a Friday: still in 2026's week 53.
        let ny = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(IsoWeek::of(ny).to_string(), "2026-W53");
        assert_eq!(
            w.last(3).iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            ["2026-W47", "2026-W48", "2026-W49"]
        );
        for bad in ["2026-W54", "2026W49", "26-W01", "2026-W1", "x"] {
            assert!(bad.parse::<IsoWeek>().is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Any week the parser takes is written back as it was given: four-digit year, two-digit
        /// week (the contract's pattern), even before the year 1000.
        #[test]
        fn every_week_is_written_as_the_contract_says(year in 1i32..=9999, week in 1u32..=52) {
            let raw = format!("{year:04}-W{week:02}");
            let w: IsoWeek = raw.parse().unwrap();
            proptest::prop_assert_eq!(w.to_string(), raw);
        }
    }
}
