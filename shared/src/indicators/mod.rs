//! Indicators: how well the net holds, per LA and per ISO week, computed from what the index
//! already records (no new personal data). Counts are kept as the events happen (one `ADD` per
//! event into the LA's week) and, for plans and data quality, by the nightly reconciliation
//! pass; a page view reads a few small items, never the table.
//!
//! This module is the one definition of the stored counters' names, of the published
//! indicators (their keys, labels and order) and of how one is computed from the other with
//! disclosure control (`crate::disclosure`) applied.

mod counters;
mod csv;
mod publish;
mod week;

pub use counters::{percentile, Counter, Counts, StateValue, TimeBand, TIME_BANDS_S};
pub use csv::to_csv;
pub use publish::{publish, IndicatorSeries, LaWeek, Report, Scope, MIN_LAS_FOR_MEDIAN};
pub use week::{IsoWeek, WeekError};

/// How an indicator's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// A time, in seconds (the upper bound of the band the statistic fell in).
    Seconds,
    Days,
}

/// A group of indicators, one section of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Plans,
    Alerts,
    Timeliness,
    Uploads,
    DataQuality,
}

/// One published indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorDef {
    /// Stable key (API, CSV, the page).
    pub key: &'static str,
    pub label: &'static str,
    pub group: Group,
    pub unit: Unit,
}

const fn def(key: &'static str, label: &'static str, group: Group, unit: Unit) -> IndicatorDef {
    IndicatorDef {
        key,
        label,
        group,
        unit,
    }
}

use Group::*;
use Unit::*;

/// Every indicator, in the order the API, the CSV and the page list them.
pub const INDICATORS: &[IndicatorDef] = &[
    def(
        "plans_total",
        "Active plans (to the nearest 5)",
        Plans,
        Count,
    ),
    def(
        "plans_cpp",
        "Child protection plans (to the nearest 5)",
        Plans,
        Count,
    ),
    def(
        "plans_lac",
        "Looked-after children (to the nearest 5)",
        Plans,
        Count,
    ),
    def(
        "plans_ucpp",
        "Unborn child protection plans (to the nearest 5)",
        Plans,
        Count,
    ),
    def(
        "alerts_sent",
        "Attendances alerted (one alert each)",
        Alerts,
        Count,
    ),
    def(
        "alerts_webhook",
        "Delivered to the LA's system",
        Alerts,
        Count,
    ),
    def(
        "alerts_inbox",
        "Left in the inbox (no webhook)",
        Alerts,
        Count,
    ),
    def(
        "alerts_dead_lettered",
        "Dead-lettered (delivery failed)",
        Alerts,
        Count,
    ),
    def("alerts_pending", "Not yet delivered", Alerts, Count),
    def(
        "setting_emergency_department",
        "From emergency departments",
        Alerts,
        Count,
    ),
    def(
        "setting_urgent_treatment_centre",
        "From urgent treatment centres",
        Alerts,
        Count,
    ),
    def(
        "setting_out_of_hours",
        "From out-of-hours services",
        Alerts,
        Count,
    ),
    def(
        "setting_ambulance",
        "From ambulance services",
        Alerts,
        Count,
    ),
    def("setting_other", "From other settings", Alerts, Count),
    def("setting_not_stated", "Setting not stated", Alerts, Count),
    def("alerts_read", "Read in the inbox", Alerts, Count),
    def("alerts_unread", "Not read in the inbox", Alerts, Count),
    def(
        "alerts_overdue",
        "Not acknowledged in time (overdue, sent again)",
        Alerts,
        Count,
    ),
    def(
        "missed_appointments",
        "Missed appointments told to the LA",
        Alerts,
        Count,
    ),
    def(
        "delivered_median_s",
        "Access to delivery, median",
        Timeliness,
        Seconds,
    ),
    def(
        "delivered_p90_s",
        "Access to delivery, 90th percentile",
        Timeliness,
        Seconds,
    ),
    def(
        "read_median_s",
        "Access to read in the inbox, median",
        Timeliness,
        Seconds,
    ),
    def(
        "read_p90_s",
        "Access to read in the inbox, 90th percentile",
        Timeliness,
        Seconds,
    ),
    def("records_total", "Records uploaded", Uploads, Count),
    def(
        "records_changed",
        "Records that changed the index",
        Uploads,
        Count,
    ),
    def("records_unchanged", "Records unchanged", Uploads, Count),
    def(
        "records_stale",
        "Records older than the held version",
        Uploads,
        Count,
    ),
    def("records_rejected", "Records rejected", Uploads, Count),
    def(
        "records_failed",
        "Records that failed (to send again)",
        Uploads,
        Count,
    ),
    def(
        "extract_age_days",
        "Days since the last full extract",
        Uploads,
        Days,
    ),
    def(
        "dq_not_in_index",
        "Extract records the index does not hold (to the nearest 5)",
        DataQuality,
        Count,
    ),
    def(
        "dq_not_in_extract",
        "Plans held but not in the latest extract (to the nearest 5)",
        DataQuality,
        Count,
    ),
    def(
        "dq_version_mismatches",
        "Plans whose version differs from the extract (to the nearest 5)",
        DataQuality,
        Count,
    ),
    def(
        "dq_unborn_past_due",
        "Unborn-child plans past the due date (to the nearest 5)",
        DataQuality,
        Count,
    ),
    def(
        "dq_open_too_long",
        "Plans open longer than the set limit (to the nearest 5)",
        DataQuality,
        Count,
    ),
    def(
        "dq_unmatched",
        "Plans held without an NHS number (to the nearest 5)",
        DataQuality,
        Count,
    ),
];

/// The definition of `key`.
pub fn indicator(key: &str) -> Option<&'static IndicatorDef> {
    INDICATORS.iter().find(|d| d.key == key)
}

/// Most weeks one request may ask for (a year).
pub const MAX_WEEKS: u32 = 52;
/// Weeks shown when a request does not say.
pub const DEFAULT_WEEKS: u32 = 12;

#[cfg(test)]
mod tests;
