//! Time is passed in, so every rule that depends on "today" can be tested at its boundary.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};

/// The source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in UTC.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says what it is told (tests, replays).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = t;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_reports_and_moves() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 23, 59, 59).unwrap();
        let c = FixedClock::at(t);
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        c.set(t + chrono::Duration::seconds(1));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    }
}
