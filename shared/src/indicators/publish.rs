//! From stored counts to published indicators: each LA's own figures, or the national total,
//! beside the national median, with disclosure control applied to every figure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::counters::{percentile, Counter, Counts, StateValue};
use super::{Group, IndicatorDef, IsoWeek, Unit, INDICATORS};
use crate::answers::RecordOutcome;
use crate::disclosure::{self, Shown};
use crate::org::OrgCode;
use crate::plan::PlanType;

/// One LA's stored numbers for one week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaWeek {
    pub org: OrgCode,
    pub week: IsoWeek,
    pub counts: Counts,
}

/// Whose figures a report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    La(OrgCode),
    /// Every LA together (operators).
    National,
}

/// The published indicators: one series per indicator, a value per week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The LA's code, or `national`.
    pub scope: String,
    pub weeks: Vec<String>,
    /// Each week's Monday.
    pub week_starts: Vec<NaiveDate>,
    /// Counts from 1 to this minus one are shown as "fewer than 5".
    pub threshold: u64,
    /// LAs the national median is taken over.
    pub las_compared: usize,
    pub indicators: Vec<IndicatorSeries>,
}

/// One indicator over the weeks. A `null` value is "no data" (the nightly pass did not
/// measure that week), never zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndicatorSeries {
    pub key: &'static str,
    pub label: &'static str,
    pub group: Group,
    pub unit: Unit,
    pub values: Vec<Option<Shown>>,
    pub national_median: Vec<Option<Shown>>,
}

fn sum(xs: &[u64]) -> u64 {
    xs.iter().sum()
}

/// The figures before disclosure control, by indicator key (used for medians, never shown).
fn raw(c: &Counts) -> BTreeMap<&'static str, Option<u64>> {
    let mut v: BTreeMap<&'static str, Option<u64>> = BTreeMap::new();
    let measured = c.has(&StateValue::ActivePlans(PlanType::Cpp).attribute());
    let plans = [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp]
        .map(|t| c.state(StateValue::ActivePlans(t)).unwrap_or(0));
    let m = |x: u64| measured.then_some(x);
    v.insert("plans_total", m(sum(&plans)));
    v.insert("plans_cpp", m(plans[0]));
    v.insert("plans_lac", m(plans[1]));
    v.insert("plans_ucpp", m(plans[2]));
    for (k, x) in alert_parts(c).iter() {
        v.insert(k, Some(*x));
    }
    for (k, counter) in SINGLE_COUNTS {
        v.insert(k, Some(c.counter(counter)));
    }
    for (k, read, p) in TIMES {
        v.insert(k, percentile(&c.bands(read), p));
    }
    let records = record_parts(c);
    v.insert("records_total", Some(sum(&records)));
    for (k, x) in RECORD_KEYS.iter().zip(records) {
        v.insert(k, Some(x));
    }
    v.insert("extract_age_days", c.state(StateValue::ExtractAgeDays));
    for (k, s) in QUALITY {
        v.insert(k, c.state(s));
    }
    v
}

const TIMES: [(&str, bool, f64); 4] = [
    ("delivered_median_s", false, 0.5),
    ("delivered_p90_s", false, 0.9),
    ("read_median_s", true, 0.5),
    ("read_p90_s", true, 0.9),
];

const QUALITY: [(&str, StateValue); 6] = [
    ("dq_not_in_index", StateValue::NotInIndex),
    ("dq_not_in_extract", StateValue::NotInExtract),
    ("dq_version_mismatches", StateValue::VersionMismatches),
    ("dq_unborn_past_due", StateValue::UnbornPastDue),
    ("dq_open_too_long", StateValue::OpenTooLong),
    ("dq_unmatched", StateValue::Unmatched),
];

/// Counts published on their own (each suppressed alone: neither is a part of another figure).
const SINGLE_COUNTS: [(&str, Counter); 2] = [
    ("alerts_overdue", Counter::AlertOverdue),
    ("missed_appointments", Counter::MissedAppointment),
];

const OUTCOME_KEYS: [&str; 4] = [
    "alerts_webhook",
    "alerts_inbox",
    "alerts_dead_lettered",
    "alerts_pending",
];
const SETTING_KEYS: [&str; 6] = [
    "setting_emergency_department",
    "setting_urgent_treatment_centre",
    "setting_out_of_hours",
    "setting_ambulance",
    "setting_other",
    "setting_not_stated",
];
const READ_KEYS: [&str; 2] = ["alerts_read", "alerts_unread"];
const RECORD_KEYS: [&str; 5] = [
    "records_changed",
    "records_unchanged",
    "records_stale",
    "records_rejected",
    "records_failed",
];

/// The three partitions of the alerts sent: by delivery outcome, by setting, read or not.
fn alert_partitions(c: &Counts) -> [Vec<u64>; 3] {
    let settings = c.sent_by_setting();
    let sent = sum(&settings);
    let webhook = c.counter(Counter::DeliveredByWebhook);
    let inbox = c.counter(Counter::LeftInInbox);
    let dead = c.counter(Counter::DeadLettered);
    let pending = sent.saturating_sub(webhook + inbox + dead);
    let read = c.counter(Counter::Read).min(sent);
    [
        vec![webhook, inbox, dead, pending],
        settings,
        vec![read, sent - read],
    ]
}

fn alert_parts(c: &Counts) -> Vec<(&'static str, u64)> {
    let [outcomes, settings, read] = alert_partitions(c);
    let mut parts = vec![("alerts_sent", sum(&settings))];
    parts.extend(OUTCOME_KEYS.into_iter().zip(outcomes));
    parts.extend(SETTING_KEYS.into_iter().zip(settings));
    parts.extend(READ_KEYS.into_iter().zip(read));
    parts
}

fn record_parts(c: &Counts) -> [u64; 5] {
    let r = |o| c.counter(Counter::Record(o));
    [
        r(RecordOutcome::Created) + r(RecordOutcome::Updated) + r(RecordOutcome::Moved),
        r(RecordOutcome::Unchanged),
        r(RecordOutcome::Stale),
        r(RecordOutcome::Rejected),
        r(RecordOutcome::Failed),
    ]
}

/// The published figures of one set of counts, by indicator key.
fn figures(c: &Counts) -> BTreeMap<&'static str, Option<Shown>> {
    let mut f: BTreeMap<&'static str, Option<Shown>> = BTreeMap::new();
    let measured = c.has(&StateValue::ActivePlans(PlanType::Cpp).attribute());
    let plans = [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp]
        .map(|t| c.state(StateValue::ActivePlans(t)).unwrap_or(0));
    let b = disclosure::rounded_breakdown(&plans);
    let m = |s: Shown| measured.then_some(s);
    f.insert("plans_total", m(b.total));
    for (k, s) in ["plans_cpp", "plans_lac", "plans_ucpp"]
        .into_iter()
        .zip(b.parts)
    {
        f.insert(k, m(s));
    }

    let [outcomes, settings, read] = alert_partitions(c);
    let p = disclosure::partitioned(&[&outcomes, &settings, &read]);
    f.insert("alerts_sent", Some(p.total));
    let keys: [&[&'static str]; 3] = [&OUTCOME_KEYS, &SETTING_KEYS, &READ_KEYS];
    for (keys, shown) in keys.into_iter().zip(p.partitions) {
        for (k, s) in keys.iter().zip(shown) {
            f.insert(k, Some(s));
        }
    }

    for (k, read, pct) in TIMES {
        let bands = c.bands(read);
        let events = sum(&bands);
        let value = percentile(&bands, pct).unwrap_or(0);
        f.insert(k, Some(disclosure::statistic(value, events)));
    }

    for (k, counter) in SINGLE_COUNTS {
        f.insert(k, Some(disclosure::count(c.counter(counter))));
    }

    let records = disclosure::breakdown(&record_parts(c));
    f.insert("records_total", Some(records.total));
    for (k, s) in RECORD_KEYS.into_iter().zip(records.parts) {
        f.insert(k, Some(s));
    }
    // Days, not a count of anyone.
    f.insert(
        "extract_age_days",
        c.state(StateValue::ExtractAgeDays)
            .map(|value| Shown::Exact { value }),
    );
    for (k, s) in QUALITY {
        f.insert(k, c.state(s).map(disclosure::rounded));
    }
    f
}

/// The median of some values (the mean of the middle two, rounded down, for an even number).
fn median(mut xs: Vec<u64>) -> Option<u64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_unstable();
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2
    })
}

/// Fewest LAs a national median is taken over. With fewer, an LA could work another LA's figure
/// out from the median and its own (of two LAs, the median is their mean).
pub const MIN_LAS_FOR_MEDIAN: usize = 5;

/// The national median of one week, by indicator key: for counts, the median LA's figure (over
/// every LA known, those without events counting zero); for times, the percentile of every
/// LA's events pooled (a median of LAs' medians would weigh a small LA like a large one).
/// Withheld over fewer than [`MIN_LAS_FOR_MEDIAN`] LAs.
fn national_median(per_la: &[Counts]) -> BTreeMap<&'static str, Option<Shown>> {
    let raws: Vec<_> = per_la.iter().map(raw).collect();
    let mut pooled = Counts::default();
    for c in per_la {
        pooled.add(c);
    }
    let pooled = figures(&pooled);
    INDICATORS
        .iter()
        .map(|d| {
            let value = if d.group == Group::Timeliness {
                let enough = per_la.len() >= MIN_LAS_FOR_MEDIAN;
                pooled[d.key].map(|p| if enough { p } else { Shown::Withheld })
            } else {
                let values: Vec<u64> = raws.iter().filter_map(|r| r[d.key]).collect();
                if !values.is_empty() && values.len() < MIN_LAS_FOR_MEDIAN {
                    return (d.key, Some(Shown::Withheld));
                }
                median(values).map(|m| match (d.unit, d.group) {
                    (Unit::Count, Group::Plans | Group::DataQuality) => disclosure::rounded(m),
                    (Unit::Count, _) => disclosure::count(m),
                    _ => Shown::Exact { value: m },
                })
            };
            (d.key, value)
        })
        .collect()
}

/// The report for `scope` over `weeks`, from every LA's stored numbers for those weeks. `las`
/// are the LAs the service knows (their profiles): an LA with nothing stored that week counts
/// in the median with zero events.
pub fn publish(scope: &Scope, weeks: &[IsoWeek], las: &[OrgCode], data: &[LaWeek]) -> Report {
    let mut orgs: BTreeSet<&OrgCode> = las.iter().collect();
    orgs.extend(data.iter().map(|d| &d.org));
    let mut by_week: BTreeMap<(IsoWeek, &OrgCode), &Counts> = BTreeMap::new();
    for d in data {
        by_week.insert((d.week, &d.org), &d.counts);
    }
    let empty = Counts::default();
    let mut columns = Vec::with_capacity(weeks.len());
    for &w in weeks {
        let per_la: Vec<Counts> = orgs
            .iter()
            .map(|o| by_week.get(&(w, *o)).copied().unwrap_or(&empty).clone())
            .collect();
        let own = match scope {
            Scope::La(org) => by_week.get(&(w, org)).copied().unwrap_or(&empty).clone(),
            Scope::National => {
                let mut total = Counts::default();
                for c in &per_la {
                    total.add(c);
                }
                total
            }
        };
        columns.push((figures(&own), national_median(&per_la)));
    }
    let indicators = INDICATORS
        .iter()
        .map(|d: &IndicatorDef| IndicatorSeries {
            key: d.key,
            label: d.label,
            group: d.group,
            unit: d.unit,
            values: columns.iter().map(|(own, _)| own[d.key]).collect(),
            national_median: columns.iter().map(|(_, med)| med[d.key]).collect(),
        })
        .collect();
    Report {
        scope: match scope {
            Scope::La(org) => org.as_str().to_owned(),
            Scope::National => "national".into(),
        },
        weeks: weeks.iter().map(ToString::to_string).collect(),
        week_starts: weeks.iter().map(|w| w.monday()).collect(),
        threshold: disclosure::THRESHOLD,
        las_compared: orgs.len(),
        indicators,
    }
}
