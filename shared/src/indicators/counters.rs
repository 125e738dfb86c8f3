//! What is stored: per LA and week, event counters (added to as events happen) and the state
//! the nightly pass measured. Attribute names are made here and nowhere else.

use std::collections::BTreeMap;

use crate::answers::RecordOutcome;
use crate::claims::SettingType;
use crate::plan::PlanType;

/// Upper bounds, in seconds, of the bands times are counted in (10 s to 28 days). A time
/// beyond the last bound is counted in the last band: a percentile there reads "28 days".
pub const TIME_BANDS_S: [u64; 16] = [
    10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 86_400, 172_800, 345_600,
    604_800, 2_419_200,
];

/// The band a time falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBand(usize);

impl TimeBand {
    /// The band of a time of `seconds` (negative times, from clock skew, count as 0).
    pub fn of_seconds(seconds: i64) -> Self {
        let s = u64::try_from(seconds).unwrap_or(0);
        Self(
            TIME_BANDS_S
                .iter()
                .position(|&b| s <= b)
                .unwrap_or(TIME_BANDS_S.len() - 1),
        )
    }

    pub fn index(self) -> usize {
        self.0
    }
}

/// One event counter of an LA's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// An attendance alerted to the LA (one notification), by the setting's kind.
    AlertSent(Option<SettingType>),
    /// The LA's webhook accepted it.
    DeliveredByWebhook,
    /// The LA has no webhook: it stays in the inbox.
    LeftInInbox,
    /// Delivery failed for good.
    DeadLettered,
    /// Read (acknowledged) in the inbox.
    Read,
    /// From the access to the webhook's acceptance.
    DeliveredWithin(TimeBand),
    /// From the access to the acknowledgement.
    ReadWithin(TimeBand),
    /// One record of an upload (batch or extract part), by its outcome.
    Record(RecordOutcome),
    /// An alert not acknowledged within the LA's window (`crate::overdue`).
    AlertOverdue,
    /// A missed appointment told to the LA (`crate::missed`).
    MissedAppointment,
}

impl Counter {
    /// The stored attribute's name.
    pub fn attribute(self) -> String {
        match self {
            Counter::AlertSent(Some(t)) => format!("sent_{}", t.as_str()),
            Counter::AlertSent(None) => "sent_not_stated".into(),
            Counter::DeliveredByWebhook => "webhook".into(),
            Counter::LeftInInbox => "inbox".into(),
            Counter::DeadLettered => "dead_lettered".into(),
            Counter::Read => "read".into(),
            Counter::DeliveredWithin(b) => format!("delivered_band_{:02}", b.0),
            Counter::ReadWithin(b) => format!("read_band_{:02}", b.0),
            Counter::Record(o) => format!("record_{}", o.as_str()),
            Counter::AlertOverdue => "overdue".into(),
            Counter::MissedAppointment => "missed_appointment".into(),
        }
    }
}

/// A value the nightly pass measured for an LA (it replaces the week's earlier measurement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateValue {
    ActivePlans(PlanType),
    ExtractAgeDays,
    NotInIndex,
    NotInExtract,
    VersionMismatches,
    UnbornPastDue,
    OpenTooLong,
    /// Plans recorded without an NHS number, not yet matched.
    Unmatched,
}

impl StateValue {
    pub fn attribute(self) -> String {
        match self {
            StateValue::ActivePlans(t) => format!("plans_{}", t.as_str().to_ascii_lowercase()),
            StateValue::ExtractAgeDays => "extract_age_days".into(),
            StateValue::NotInIndex => "dq_not_in_index".into(),
            StateValue::NotInExtract => "dq_not_in_extract".into(),
            StateValue::VersionMismatches => "dq_version_mismatches".into(),
            StateValue::UnbornPastDue => "dq_unborn_past_due".into(),
            StateValue::OpenTooLong => "dq_open_too_long".into(),
            StateValue::Unmatched => "dq_unmatched".into(),
        }
    }
}

/// An LA's stored numbers for one week, by attribute name (event counters and state together:
/// their names never clash).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<String, u64>);

impl Counts {
    pub fn get(&self, attribute: &str) -> u64 {
        self.0.get(attribute).copied().unwrap_or(0)
    }

    /// Whether the nightly pass measured this week (else plan and data-quality figures are
    /// "no data", not zero).
    pub fn has(&self, attribute: &str) -> bool {
        self.0.contains_key(attribute)
    }

    pub fn counter(&self, c: Counter) -> u64 {
        self.get(&c.attribute())
    }

    pub fn state(&self, s: StateValue) -> Option<u64> {
        self.0.get(&s.attribute()).copied()
    }

    /// Adds `other`'s numbers to these (a national total). Extract age is not a count and is
    /// not summed.
    pub fn add(&mut self, other: &Counts) {
        let age = StateValue::ExtractAgeDays.attribute();
        for (k, v) in &other.0 {
            if *k != age {
                *self.0.entry(k.clone()).or_default() += v;
            }
        }
    }

    /// Alerts sent, by setting kind (`None`: not stated), in [`SettingType::ALL`] order then
    /// not stated.
    pub fn sent_by_setting(&self) -> Vec<u64> {
        SettingType::ALL
            .into_iter()
            .map(Some)
            .chain([None])
            .map(|t| self.counter(Counter::AlertSent(t)))
            .collect()
    }

    /// The histogram of times to delivery (`read` false) or to reading, band by band.
    pub fn bands(&self, read: bool) -> Vec<u64> {
        (0..TIME_BANDS_S.len())
            .map(|i| {
                let b = TimeBand(i);
                self.counter(if read {
                    Counter::ReadWithin(b)
                } else {
                    Counter::DeliveredWithin(b)
                })
            })
            .collect()
    }
}

/// The `p`-th percentile (0 < p <= 1) of a banded histogram, as its band's upper bound, and the
/// number of events: `None` without events.
pub fn percentile(bands: &[u64], p: f64) -> Option<u64> {
    let n: u64 = bands.iter().sum();
    if n == 0 {
        return None;
    }
    // The rank of the percentile's event (1-based), by the nearest-rank method.
    let rank = ((p * n as f64).ceil() as u64).clamp(1, n);
    let mut seen = 0;
    for (i, &c) in bands.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return Some(TIME_BANDS_S[i]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_fall_in_the_band_of_their_upper_bound() {
        assert_eq!(TimeBand::of_seconds(-5).index(), 0);
        assert_eq!(TimeBand::of_seconds(10).index(), 0);
        assert_eq!(TimeBand::of_seconds(11).index(), 1);
        assert_eq!(TimeBand::of_seconds(3_600).index(), 7);
        assert_eq!(
            TimeBand::of_seconds(99_999_999).index(),
            TIME_BANDS_S.len() - 1
        );
    }

    #[test]
    fn percentiles_are_the_nearest_rank_band() {
        let mut bands = vec![0; TIME_BANDS_S.len()];
        assert_eq!(percentile(&bands, 0.5), None);
        bands[0] = 5; // 5 within 10 s
        bands[4] = 4; // 4 within 300 s
        bands[5] = 1; // 1 within 600 s
        assert_eq!(percentile(&bands, 0.5), Some(10));
        assert_eq!(percentile(&bands, 0.9), Some(300));
        assert_eq!(percentile(&bands, 1.0), Some(600));
    }

    #[test]
    fn attribute_names_are_distinct() {
        let mut names = std::collections::HashSet::new();
        let mut all: Vec<String> = SettingType::ALL
            .into_iter()
            .map(|t| Counter::AlertSent(Some(t)).attribute())
            .collect();
        all.push(Counter::AlertSent(None).attribute());
        for c in [
            Counter::DeliveredByWebhook,
            Counter::LeftInInbox,
            Counter::DeadLettered,
            Counter::Read,
            Counter::AlertOverdue,
            Counter::MissedAppointment,
        ] {
            all.push(c.attribute());
        }
        for i in 0..TIME_BANDS_S.len() {
            all.push(Counter::DeliveredWithin(TimeBand(i)).attribute());
            all.push(Counter::ReadWithin(TimeBand(i)).attribute());
        }
        for o in [
            RecordOutcome::Created,
            RecordOutcome::Updated,
            RecordOutcome::Unchanged,
            RecordOutcome::Moved,
            RecordOutcome::Stale,
            RecordOutcome::Rejected,
            RecordOutcome::Failed,
        ] {
            all.push(Counter::Record(o).attribute());
        }
        for s in [
            StateValue::ExtractAgeDays,
            StateValue::NotInIndex,
            StateValue::NotInExtract,
            StateValue::VersionMismatches,
            StateValue::UnbornPastDue,
            StateValue::OpenTooLong,
            StateValue::Unmatched,
        ] {
            all.push(s.attribute());
        }
        for t in [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp] {
            all.push(StateValue::ActivePlans(t).attribute());
        }
        for n in &all {
            assert!(names.insert(n.clone()), "{n} twice");
            use crate::keys::attr;
            assert!(![
                attr::PK,
                attr::SK,
                attr::ENTITY,
                attr::EXPIRES_AT,
                attr::GSI1_PK,
                attr::GSI1_SK
            ]
            .contains(&n.as_str()));
        }
    }
}
