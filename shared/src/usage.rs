//! How much each user looks children up. Every lookup (JSON or FHIR, alerting or silent), every
//! refused attempt and every operator's audit read is counted against its user, organisation
//! and hour; past a cap a user's lookups are refused (429) until the hour ends; and a week of
//! counts is read back for the organisation's privacy officer ([`oversight`]).
//!
//! The counts are of requests, never of distinct children, and name no child.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};
use serde::Serialize;

use crate::claims::{Role, UserId};
use crate::disclosure::{self, Shown};
use crate::indicators::IsoWeek;

/// The hard cap by default: lookups per user per hour. A clinician in the busiest emergency
/// department sees a child every few minutes; a trust's integration that looks up every
/// registration under one account might reach a few hundred in a peak hour. A thousand is
/// well above either, and about one every 3.6 seconds for an hour: a list being worked through.
pub const DEFAULT_CAP_PER_HOUR: u32 = 1_000;

/// The highest cap a deployment may set: above it the cap no longer bounds enumeration.
pub const MAX_CAP_PER_HOUR: u32 = 10_000;

/// Lookups by one user in one hour that raise an alarm (and mark the user in the privacy
/// officer's view): two a minute for an hour, more than any one clinician's patients.
pub const ATTENTION_PER_HOUR: u64 = 120;

/// An operator's audit reads in one hour that raise an alarm: an investigation or a subject
/// access request reads a handful; dozens is a search.
pub const AUDIT_READS_ATTENTION_PER_HOUR: u64 = 20;

/// The hard cap on one user's lookups in one hour (a setting: `LOOKUP_CAP_PER_HOUR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageCap {
    per_hour: u32,
}

impl Default for UsageCap {
    fn default() -> Self {
        Self {
            per_hour: DEFAULT_CAP_PER_HOUR,
        }
    }
}

impl UsageCap {
    /// A cap of `per_hour` lookups (1 to [`MAX_CAP_PER_HOUR`]).
    pub fn new(per_hour: u32) -> Option<Self> {
        (1..=MAX_CAP_PER_HOUR)
            .contains(&per_hour)
            .then_some(Self { per_hour })
    }

    pub fn per_hour(self) -> u32 {
        self.per_hour
    }

    /// Whether the lookup that brought the user's hour to `count` is over the cap.
    pub fn refuses(self, count: u64) -> bool {
        count > u64::from(self.per_hour)
    }

    /// The lookups refused in an hour that counted `lookups`.
    pub fn refused_of(self, lookups: u64) -> u64 {
        lookups.saturating_sub(u64::from(self.per_hour))
    }

    /// Seconds until the hour of `now` ends (when the user's count starts again), at least 1.
    pub fn retry_after(now: DateTime<Utc>) -> u32 {
        let into = now.minute() * 60 + now.second();
        (3600 - into).max(1)
    }
}

/// The hour `at` falls in (UTC).
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// What one request counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A lookup that alerts (unscheduled care).
    Lookup,
    /// A lookup declared silent (scheduled care, or a FHIR read that is not an access event):
    /// counted as a lookup, and as silent.
    SilentLookup,
    /// A lookup refused because the caller's role may not look children up.
    Refused,
    /// An operator's read of one child's whole audit trail.
    AuditRead,
}

impl Use {
    /// The counters (attribute names) this use adds one to; the first is the one its limit
    /// reads.
    pub fn counters(self) -> &'static [&'static str] {
        match self {
            Use::Lookup => &[counter::LOOKUPS],
            Use::SilentLookup => &[counter::LOOKUPS, counter::SILENT],
            Use::Refused => &[counter::REFUSED],
            Use::AuditRead => &[counter::AUDIT_READS],
        }
    }
}

/// The counters' attribute names in the stored item.
pub mod counter {
    pub const LOOKUPS: &str = "lookups";
    pub const SILENT: &str = "silent";
    pub const REFUSED: &str = "refused";
    pub const AUDIT_READS: &str = "auditReads";
}

/// One user's counts in one hour, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourUsage {
    pub user: UserId,
    pub role: Role,
    pub hour: DateTime<Utc>,
    pub lookups: u64,
    pub silent: u64,
    pub refused: u64,
    pub audit_reads: u64,
}

/// Why a user stands out in a week (the rule, in order of weight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Lookups were refused: the hourly cap was passed.
    PassedCap,
    /// An hour reached [`ATTENTION_PER_HOUR`] lookups (the alarm's threshold).
    BusyHour,
    /// Lookups refused because the user's role may not look children up.
    RefusedRole,
    /// At least [`FAR_ABOVE_MEDIAN`] times the organisation's median user's lookups (and at
    /// least [`MIN_LOOKUPS_COMPARED`]).
    FarAboveMedian,
    /// An unscheduled-care user whose lookups were mostly silent (at least
    /// [`MIN_LOOKUPS_COMPARED`], more than half silent): reads that alert no one.
    MostlySilent,
    /// At least a quarter of the week's lookups (and at least [`MIN_LOOKUPS_COMPARED`]) in
    /// hours of the day the user does not usually work.
    OutsideUsualHours,
    /// An hour of audit reads reached [`AUDIT_READS_ATTENTION_PER_HOUR`].
    ManyAuditReads,
}

/// How many times the organisation's median a user's week must be to stand out.
pub const FAR_ABOVE_MEDIAN: u64 = 5;
/// Fewer lookups than this in a week are not compared (a median of 2 makes 10 look large).
pub const MIN_LOOKUPS_COMPARED: u64 = 20;
/// The weeks before the one viewed that set a user's usual hours.
pub const BASELINE_WEEKS: u32 = 4;
/// An hour of the day is one of a user's usual hours when the user looked children up in it on
/// at least this many days of the baseline.
pub const USUAL_HOUR_DAYS: usize = 2;

/// One user's week, as the privacy officer sees it (counts under the disclosure rule; the rule
/// that marks users runs on the exact counts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserWeek {
    pub user: String,
    pub role: Role,
    pub lookups: Shown,
    pub silent: Shown,
    /// Silent lookups as a share of all (0 to 1), when both are shown exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_share: Option<f64>,
    /// Lookups refused over the hourly cap.
    pub over_cap: Shown,
    /// Attempts refused because the role may not look children up.
    pub refused: Shown,
    /// Lookups in hours of the day outside the user's usual hours; absent when the user has no
    /// baseline (no lookups in the previous [`BASELINE_WEEKS`] weeks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_usual_hours: Option<Shown>,
    pub audit_reads: Shown,
    /// The user's busiest hour's lookups.
    pub busiest_hour: Shown,
    pub stands_out: bool,
    pub reasons: Vec<Reason>,
}

/// An organisation's week: every user who looked a child up, tried to, or read an audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Oversight {
    pub org: String,
    pub week: String,
    /// The hourly cap in force (lookups per user).
    pub cap_per_hour: u32,
    pub lookups: Shown,
    pub silent: Shown,
    pub refused: Shown,
    pub audit_reads: Shown,
    /// The median user's lookups in the week.
    pub median_user_lookups: Shown,
    /// The organisation's busiest hour: every user's lookups in it, together.
    pub busiest_hour: Shown,
    /// Users standing out first, then by lookups, most first.
    pub users: Vec<UserWeek>,
}

#[derive(Default)]
struct Totals {
    role: Option<Role>,
    lookups: u64,
    silent: u64,
    refused: u64,
    audit_reads: u64,
    over_cap: u64,
    busiest: u64,
    busiest_audit: u64,
    /// Lookups by UTC hour of the day.
    by_hour_of_day: [u64; 24],
}

/// The organisation's week from its hourly counts (`week`) and those of the
/// [`BASELINE_WEEKS`] weeks before it (`baseline`), which set each user's usual hours.
pub fn oversight(
    org: &str,
    week: IsoWeek,
    cap: UsageCap,
    rows: &[HourUsage],
    baseline: &[HourUsage],
) -> Oversight {
    let mut users: BTreeMap<&str, Totals> = BTreeMap::new();
    for r in rows {
        let t = users.entry(r.user.as_str()).or_default();
        t.role = Some(r.role);
        t.lookups += r.lookups;
        t.silent += r.silent;
        t.refused += r.refused;
        t.audit_reads += r.audit_reads;
        t.over_cap += cap.refused_of(r.lookups);
        t.busiest = t.busiest.max(r.lookups);
        t.busiest_audit = t.busiest_audit.max(r.audit_reads);
        t.by_hour_of_day[r.hour.hour() as usize] += r.lookups;
    }
    let usual = usual_hours(baseline);
    let mut counts: Vec<u64> = users.values().map(|t| t.lookups).collect();
    let median = median(&mut counts);
    let mut out: Vec<(u64, UserWeek)> = users
        .into_iter()
        .map(|(user, t)| {
            let outside = usual.get(user).map(|hours| {
                (0..24)
                    .filter(|h| !hours.contains(h))
                    .map(|h| t.by_hour_of_day[h as usize])
                    .sum::<u64>()
            });
            let role = t.role.unwrap_or(Role::ScheduledCare);
            let mut reasons = Vec::new();
            if t.over_cap > 0 {
                reasons.push(Reason::PassedCap);
            }
            if t.busiest >= ATTENTION_PER_HOUR {
                reasons.push(Reason::BusyHour);
            }
            if t.refused > 0 {
                reasons.push(Reason::RefusedRole);
            }
            if t.lookups >= MIN_LOOKUPS_COMPARED && t.lookups >= FAR_ABOVE_MEDIAN * median.max(1) {
                reasons.push(Reason::FarAboveMedian);
            }
            if role == Role::UnscheduledCare
                && t.lookups >= MIN_LOOKUPS_COMPARED
                && t.silent * 2 > t.lookups
            {
                reasons.push(Reason::MostlySilent);
            }
            if let Some(o) = outside {
                if t.lookups >= MIN_LOOKUPS_COMPARED && o * 4 >= t.lookups {
                    reasons.push(Reason::OutsideUsualHours);
                }
            }
            if t.busiest_audit >= AUDIT_READS_ATTENTION_PER_HOUR {
                reasons.push(Reason::ManyAuditReads);
            }
            let (lookups, silent) = (disclosure::count(t.lookups), disclosure::count(t.silent));
            let week = UserWeek {
                user: user.to_owned(),
                role,
                lookups,
                silent,
                // Only beside two exact counts: a share of an exact total gives a suppressed
                // part away.
                silent_share: match (lookups, silent) {
                    (Shown::Exact { value: n }, Shown::Exact { value: s }) if n > 0 => {
                        Some((s as f64 / n as f64 * 100.0).round() / 100.0)
                    }
                    _ => None,
                },
                over_cap: disclosure::count(t.over_cap),
                refused: disclosure::count(t.refused),
                outside_usual_hours: outside.map(disclosure::count),
                audit_reads: disclosure::count(t.audit_reads),
                busiest_hour: disclosure::count(t.busiest),
                stands_out: !reasons.is_empty(),
                reasons,
            };
            (t.lookups, week)
        })
        .collect();
    out.sort_by(|(a, x), (b, y)| {
        y.stands_out
            .cmp(&x.stands_out)
            .then(b.cmp(a))
            .then(x.user.cmp(&y.user))
    });
    let sum = |f: fn(&HourUsage) -> u64| disclosure::count(rows.iter().map(f).sum());
    let mut by_hour: BTreeMap<DateTime<Utc>, u64> = BTreeMap::new();
    for r in rows {
        *by_hour.entry(r.hour).or_default() += r.lookups;
    }
    Oversight {
        org: org.to_owned(),
        week: week.to_string(),
        cap_per_hour: cap.per_hour(),
        lookups: sum(|r| r.lookups),
        silent: sum(|r| r.silent),
        refused: sum(|r| r.refused),
        audit_reads: sum(|r| r.audit_reads),
        median_user_lookups: disclosure::count(median),
        busiest_hour: disclosure::count(by_hour.values().copied().max().unwrap_or(0)),
        users: out.into_iter().map(|(_, u)| u).collect(),
    }
}

/// Each user's usual hours (UTC hours of the day), from the baseline weeks: the hours in which
/// the user looked children up on at least [`USUAL_HOUR_DAYS`] different days. A user absent
/// from the baseline has no entry.
fn usual_hours(baseline: &[HourUsage]) -> BTreeMap<&str, BTreeSet<u32>> {
    let mut days: BTreeMap<(&str, u32), BTreeSet<chrono::NaiveDate>> = BTreeMap::new();
    let mut seen: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for r in baseline.iter().filter(|r| r.lookups > 0) {
        seen.entry(r.user.as_str()).or_default();
        days.entry((r.user.as_str(), r.hour.hour()))
            .or_default()
            .insert(r.hour.date_naive());
    }
    for ((user, hour), d) in days {
        if d.len() >= USUAL_HOUR_DAYS {
            seen.entry(user).or_default().insert(hour);
        }
    }
    seen
}

fn median(values: &mut [u64]) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

/// The CSV header of the view (one row per user).
pub const CSV_HEADER: &str = "user,role,lookups,silent,silent_share,over_cap,refused_role,outside_usual_hours,audit_reads,busiest_hour,stands_out,reasons";

impl Oversight {
    /// The view as CSV: the header and one row per user, in the view's order.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header: Vec<&str> = CSV_HEADER.split(',').collect();
        let _ = w.write_record(&header);
        for u in &self.users {
            let reasons: Vec<String> = u
                .reasons
                .iter()
                .map(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            let _ = w.write_record([
                spreadsheet_safe(&u.user),
                u.role.as_str().to_owned(),
                u.lookups.text(),
                u.silent.text(),
                u.silent_share.map(|s| s.to_string()).unwrap_or_default(),
                u.over_cap.text(),
                u.refused.text(),
                u.outside_usual_hours.map(Shown::text).unwrap_or_default(),
                u.audit_reads.text(),
                u.busiest_hour.text(),
                u.stands_out.to_string(),
                reasons.join(" "),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A cell a spreadsheet will not run as a formula: the user id is the identity provider's, and
/// an id starting `=`, `+`, `-` or `@` would otherwise be evaluated when the CSV is opened.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests;
