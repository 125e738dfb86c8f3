//! Alerts nobody acknowledged in time. Each LA's profile says how long an alert may wait
//! ([`AckWindow`]; the deployment's default where the profile is silent); past it the alert is
//! overdue: re-sent once to the LA as an `alert_overdue` event, listed first in its inbox, shown
//! to operators per LA and counted in the indicators. A delivered alert is not a protected child.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::org::OrgCode;
use crate::problem::{ErrorCode, FieldError};

/// The window by default: an alert of a child seen overnight is acted on in the morning.
pub const DEFAULT_ACK_HOURS: u32 = 4;
/// The longest window an LA may set: a week (no alert should wait longer unseen).
pub const MAX_ACK_HOURS: u32 = 168;

/// How long an alert may stay unacknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AckWindow(u32);

impl Default for AckWindow {
    fn default() -> Self {
        Self(DEFAULT_ACK_HOURS)
    }
}

impl AckWindow {
    /// A window of `hours` (1 to [`MAX_ACK_HOURS`]).
    pub fn hours(hours: u32) -> Option<Self> {
        (1..=MAX_ACK_HOURS).contains(&hours).then_some(Self(hours))
    }

    /// As [`Self::hours`], for a profile field.
    pub fn parse(hours: u64, field: &str) -> Result<Self, FieldError> {
        u32::try_from(hours)
            .ok()
            .and_then(Self::hours)
            .ok_or_else(|| {
                FieldError::new(
                    ErrorCode::InvalidAckWindow,
                    field,
                    format!("whole hours from 1 to {MAX_ACK_HOURS}"),
                )
            })
    }

    pub fn as_hours(self) -> u32 {
        self.0
    }

    /// When an alert about a child seen at `seen_at` becomes overdue.
    pub fn deadline(self, seen_at: DateTime<Utc>) -> DateTime<Utc> {
        seen_at + Duration::hours(i64::from(self.0))
    }
}

/// The shortest window any LA can have: due items younger than this are never read.
pub fn shortest() -> Duration {
    Duration::hours(1)
}

/// An overdue alert as the LA's inbox and the operators' page list it: which alert, when the
/// child was seen and where, when it fell due. Never the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueAlert {
    pub la: OrgCode,
    /// The alert nobody acknowledged.
    pub notification_id: String,
    /// The `alert_overdue` notification sent about it.
    pub overdue_notification_id: String,
    pub seen_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub overdue_at: DateTime<Utc>,
    pub setting_code: OrgCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_name: Option<String>,
}

/// One LA's open overdue alerts, for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaOverdue {
    pub la: OrgCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub count: usize,
    pub oldest_deadline: DateTime<Utc>,
    /// Oldest first.
    pub alerts: Vec<OverdueAlert>,
}

/// Open overdue alerts grouped by LA: most overdue first, then the oldest deadline.
pub fn per_la(alerts: Vec<OverdueAlert>, names: &BTreeMap<OrgCode, String>) -> Vec<LaOverdue> {
    let mut by_la: BTreeMap<OrgCode, Vec<OverdueAlert>> = BTreeMap::new();
    for a in alerts {
        by_la.entry(a.la.clone()).or_default().push(a);
    }
    let mut out: Vec<LaOverdue> = by_la
        .into_iter()
        .map(|(la, mut alerts)| {
            alerts.sort_by_key(|a| a.deadline);
            LaOverdue {
                name: names.get(&la).cloned(),
                count: alerts.len(),
                oldest_deadline: alerts[0].deadline,
                la,
                alerts,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.oldest_deadline.cmp(&b.oldest_deadline))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_window_is_whole_hours_from_one_to_a_week(h in 0u64..1_000) {
            let parsed = AckWindow::parse(h, "/acknowledgeWithinHours");
            prop_assert_eq!(parsed.is_ok(), (1..=u64::from(MAX_ACK_HOURS)).contains(&h));
            if let Ok(w) = parsed {
                let seen = DateTime::<Utc>::UNIX_EPOCH;
                prop_assert_eq!(w.deadline(seen) - seen, Duration::hours(h as i64));
                prop_assert!(w.deadline(seen) - seen >= shortest());
            }
        }
    }

    fn alert(la: &str, id: &str, deadline_h: i64) -> OverdueAlert {
        let t = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(deadline_h);
        OverdueAlert {
            la: OrgCode::parse(la).unwrap(),
            notification_id: id.into(),
            overdue_notification_id: format!("o-{id}"),
            seen_at: t - Duration::hours(4),
            deadline: t,
            overdue_at: t,
            setting_code: OrgCode::parse("RR801").unwrap(),
            setting_name: None,
        }
    }

    #[test]
    fn las_with_most_overdue_come_first_each_oldest_first() {
        let listed = per_la(
            vec![
                alert("E08000035", "a", 5),
                alert("E09000007", "b", 9),
                alert("E09000007", "c", 2),
                alert("E06000001", "d", 1),
            ],
            &BTreeMap::new(),
        );
        let order: Vec<_> = listed.iter().map(|l| (l.la.as_str(), l.count)).collect();
        assert_eq!(
            order,
            vec![("E09000007", 2), ("E06000001", 1), ("E08000035", 1)]
        );
        let ids: Vec<_> = listed[0]
            .alerts
            .iter()
            .map(|a| a.notification_id.as_str())
            .collect();
        assert_eq!(ids, vec!["c", "b"]);
        assert_eq!(listed[0].oldest_deadline, listed[0].alerts[0].deadline);
    }
}
