//! A transfer does not open a gap: when a family moves, the old LA keeps responsibility until the
//! new one holds the child (a transfer-in conference up to 15 working days later). For a set
//! window after a plan ended as transferred out, and only while no other LA holds an active
//! plan on the child, an unscheduled-care attendance still alerts the LA that ended it and the
//! clinician is shown how to reach that LA. A plain end alerts no one; `hasPlan` still means an
//! active plan.

use chrono::{Days, NaiveDate};

use crate::plan::{EndReason, PlanStatus, Retention};
use crate::plan_record::PlanProjection;

/// How long after a transfer out its LA is still alerted (a setting: `TRANSFER_WINDOW_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferWindow {
    pub days: u32,
}

/// Longest window a deployment may set: the window covers a transfer-in conference, never a
/// second plan by another name.
pub const MAX_TRANSFER_WINDOW_DAYS: u32 = 90;

impl Default for TransferWindow {
    /// 30 days: the 15 working days to a transfer-in conference, with room for it to slip.
    fn default() -> Self {
        Self { days: 30 }
    }
}

/// The last day the LA of `p` is still alerted on `today` because its plan ended as
/// transferred out, when that holds: the plan is live and ended (not active), its end was a
/// transfer out no more than the window ago, and no other LA holds an active plan among `all`
/// (every projection of the child).
pub fn still_alerted_until(
    p: &PlanProjection,
    all: &[PlanProjection],
    today: NaiveDate,
    retention: Retention,
    window: TransferWindow,
) -> Option<NaiveDate> {
    let plan = p.live_plan()?;
    if plan.end_reason != Some(EndReason::TransferredOut)
        || plan.status(today, retention) != PlanStatus::Ended
    {
        return None;
    }
    let until = plan
        .end_date?
        .checked_add_days(Days::new(window.days.into()))?;
    let taken_over = all.iter().any(|q| {
        q.org != p.org
            && q.live_plan()
                .is_some_and(|other| other.status(today, retention) == PlanStatus::Active)
    });
    (today <= until && !taken_over).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;
    use crate::plan_record::PlanState;
    use crate::OrgCode;
    use serde_json::json;

    fn projection(org: &str, end: Option<&str>, reason: Option<&str>) -> PlanProjection {
        let mut v = json!({"planRef": format!("{org}-1"), "nhsNumber": "9434765919",
            "planType": "CPP", "startDate": "2026-01-10", "sourceVersion": 1});
        if let Some(end) = end {
            v["endDate"] = json!(end);
        }
        if let Some(reason) = reason {
            v["endReason"] = json!(reason);
        }
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let plan = Plan::from_json(&v, "", None, today).unwrap();
        PlanProjection {
            org: OrgCode::parse(org).unwrap(),
            plan_ref: plan.plan_ref.clone(),
            source_version: 1,
            state: PlanState::Live,
            plan: Some(plan),
            held_since: None,
        }
    }

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn a_transfer_out_alerts_its_la_through_the_window_and_not_a_day_after() {
        let p = projection("E08000035", Some("2026-11-01"), Some("transferred_out"));
        let all = [p.clone()];
        let w = TransferWindow::default();
        let r = Retention::default();
        // The end day itself: the plan is still active (alerted as any active plan is).
        assert_eq!(still_alerted_until(&p, &all, day("2026-11-01"), r, w), None);
        for today in ["2026-11-02", "2026-11-15", "2026-12-01"] {
            assert_eq!(
                still_alerted_until(&p, &all, day(today), r, w),
                Some(day("2026-12-01")),
                "{today}"
            );
        }
        assert_eq!(still_alerted_until(&p, &all, day("2026-12-02"), r, w), None);
        let none = TransferWindow { days: 0 };
        assert_eq!(
            still_alerted_until(&p, &all, day("2026-11-02"), r, none),
            None
        );
    }

    #[test]
    fn a_plain_end_or_an_error_alerts_no_one() {
        let r = Retention::default();
        for reason in [None, Some("ended"), Some("recorded_in_error")] {
            let p = projection("E08000035", Some("2026-11-01"), reason);
            let all = [p.clone()];
            assert_eq!(
                still_alerted_until(&p, &all, day("2026-11-10"), r, TransferWindow::default()),
                None,
                "{reason:?}"
            );
        }
    }

    #[test]
    fn another_las_active_plan_closes_the_window_and_its_ended_one_does_not() {
        let r = Retention::default();
        let w = TransferWindow::default();
        let moved = projection("E08000035", Some("2026-11-01"), Some("transferred_out"));
        let taken = projection("E09000007", None, None);
        assert_eq!(
            still_alerted_until(&moved, &[moved.clone(), taken], day("2026-11-10"), r, w),
            None
        );
        let ended = projection("E09000007", Some("2026-11-05"), None);
        assert_eq!(
            still_alerted_until(&moved, &[moved.clone(), ended], day("2026-11-10"), r, w),
            Some(day("2026-12-01"))
        );
    }
}
