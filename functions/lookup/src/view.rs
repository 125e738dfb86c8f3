//! What a clinician sees: plans with the responsible LA's vetted contacts, and recent visits. Nothing
//! else (no LA references, no case notes). The answer's shape is `cpindex::answers`.

use chrono::{DateTime, NaiveDate, Utc};
use cpindex::answers::{PlanFacts, PlanSummary, ResponsibleLa, ShownStatus};
use cpindex::plan::PlanStatus;
use cpindex::profile::LaProfile;
use cpindex::transfer::{still_alerted_until, TransferWindow};
use cpindex::PlanProjection;
use cpindex::{OrgCode, Retention};
use std::collections::HashMap;

pub use cpindex::answers::ChildView;

/// Plans to show on `today`: live and within retention; active first, then by start date. Each
/// LA's contacts come from its profile (`profiles`, as operators keep them). An ended plan still
/// inside its transfer window says until when its LA is alerted.
pub fn plans_to_show(
    projections: &[PlanProjection],
    alerts: &[cpindex::alert_state::AlertState],
    profiles: &HashMap<OrgCode, LaProfile>,
    today: NaiveDate,
    retention: Retention,
    window: TransferWindow,
) -> Vec<PlanSummary> {
    let mut shown: Vec<PlanSummary> = projections
        .iter()
        .filter_map(|p| {
            let plan = p.live_plan()?;
            let status = match plan.status(today, retention) {
                PlanStatus::Active => ShownStatus::Active,
                PlanStatus::Ended => ShownStatus::Ended,
                PlanStatus::Expired => return None,
            };
            Some(PlanSummary {
                facts: PlanFacts {
                    still_alerted_until: still_alerted_until(
                        p,
                        projections,
                        today,
                        retention,
                        window,
                    ),
                    ..PlanFacts::of(plan, status)
                },
                responsible_la: ResponsibleLa::of(
                    &p.org,
                    profiles.get(&p.org),
                    plan.case_team.as_ref(),
                ),
                la_alerted: alerts.iter().find(|a| a.la == p.org).map(Into::into),
                recorded_at: p.held_since,
            })
        })
        .collect();
    shown.sort_by_key(|s| (s.facts.status != ShownStatus::Active, s.facts.start_date));
    shown
}

/// From when the child's visits may be shown: the earliest time a live plan was first held
/// (`None`, no live plan: no visits are shown, so the trail of a child without a plan is never
/// read back to anyone but an operator). Projections written before the time was kept count
/// from the beginning.
pub fn visible_since(projections: &[PlanProjection]) -> Option<DateTime<Utc>> {
    projections
        .iter()
        .filter(|p| p.live_plan().is_some())
        .map(|p| p.held_since.unwrap_or(DateTime::<Utc>::MIN_UTC))
        .min()
}
