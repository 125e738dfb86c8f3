//! Repeat attendances stand out: each alert carries how often the child has been seen in
//! unscheduled care while the LA's plan was held, and in how many settings. Minor injury units
//! rely on families to mention earlier visits; a third attendance in a month is a pattern the LA
//! should see at a glance. Counted from the visits fan-out already reads (no read more).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{attendance_of, Access};

/// Attendances within 30 days (this one included) from which an alert is highlighted.
pub const REPEAT_IN_30_DAYS: u32 = 3;

/// The child's attendances while the LA's plan was held, this one included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendances {
    /// Attendances in the 30 days up to this one.
    #[serde(rename = "last30Days")]
    pub last_30_days: u32,
    /// Attendances in the 90 days up to this one.
    #[serde(rename = "last90Days")]
    pub last_90_days: u32,
    /// Distinct settings (organisations) of those 90 days.
    #[serde(rename = "settings90Days")]
    pub settings_90_days: u32,
}

impl Attendances {
    /// A third attendance (or more) in 30 days: highlighted to the LA.
    pub fn is_repeat(self) -> bool {
        self.last_30_days >= REPEAT_IN_30_DAYS
    }

    /// Counts the attendances of `visits` (the child's recent visits, any order, with or without
    /// `access`) and `access` itself, up to `access`, since `held_since` (when the LA's plan was
    /// first held; none: as far back as the visits go). Views by one clinician within a day
    /// are one attendance ([`attendance_of`]).
    pub fn of(visits: &[Access], access: &Access, held_since: Option<DateTime<Utc>>) -> Self {
        let from = |days: i64| {
            let window = access.at - Duration::days(days);
            held_since.map_or(window, |h| h.max(window))
        };
        let (from_30, from_90) = (from(30), from(90));
        let mut all: Vec<&Access> = visits
            .iter()
            .filter(|v| v.access_id != access.access_id && v.at <= access.at)
            .collect();
        all.push(access);
        let owned: Vec<Access> = all.iter().map(|a| (*a).clone()).collect();
        let mut in_30 = BTreeSet::new();
        let mut in_90 = BTreeSet::new();
        let mut settings = BTreeSet::new();
        for v in all.iter().filter(|v| v.at >= from_90) {
            let attendance = attendance_of(&owned, v);
            in_90.insert(attendance.clone());
            settings.insert(v.org.clone());
            if v.at >= from_30 {
                in_30.insert(attendance);
            }
        }
        let n = |len: usize| u32::try_from(len).unwrap_or(u32::MAX);
        Self {
            last_30_days: n(in_30.len()),
            last_90_days: n(in_90.len()),
            settings_90_days: n(settings.len()),
        }
    }
}

#[cfg(test)]
mod tests;
