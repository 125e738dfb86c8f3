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

/// A clock that says what it is told (tests, replays); a ticking one moves on by its step at
/// every reading, so events read it in order without anyone sleeping.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
    step: chrono::Duration,
}

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self::ticking(t, chrono::Duration::zero())
    }

    /// A clock at `t` that moves on by `step` every time it is read.
    pub fn ticking(t: DateTime<Utc>, step: chrono::Duration) -> Self {
        Self {
            now: Mutex::new(t),
            step,
        }
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().expect("clock lock") = t;
    }

    /// Moves the clock on by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        *self.now.lock().expect("clock lock") += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        let mut now = self.now.lock().expect("clock lock");
        let t = *now;
        *now += self.step;
        t
    }
}

/// One clock shared by several parts (a test's functions all read the same one).
impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
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

    #[test]
    fn a_ticking_clock_moves_on_at_every_reading_and_when_told() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let c = std::sync::Arc::new(FixedClock::ticking(t, chrono::Duration::milliseconds(1)));
        let (a, b) = (c.now(), c.now());
        assert_eq!(b - a, chrono::Duration::milliseconds(1));
        c.advance(chrono::Duration::hours(1));
        assert_eq!(
            c.now() - b,
            chrono::Duration::milliseconds(1) + chrono::Duration::hours(1)
        );
    }
}
