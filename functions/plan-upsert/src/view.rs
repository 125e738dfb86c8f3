//! What the LA write path answers: a plan as the LA sees it, and batch acknowledgements. The
//! answers' shapes are `cpindex::answers`; this builds them from stored records.

use chrono::NaiveDate;
use cpindex::answers::{PlanFacts, ShownStatus};
use cpindex::plan::PlanStatus;
use cpindex::Retention;
use cpindex::{PlanRecord, PlanState};

pub use cpindex::answers::{BatchAck, PlanList, PlanView, RecordAck, RecordOutcome};

/// The LA's view of `record` on `today`, or `None` once the plan is past its retention (as good
/// as deleted), or moved to another NHS number.
pub fn plan_view(record: &PlanRecord, today: NaiveDate, retention: Retention) -> Option<PlanView> {
    let status = match record.state {
        PlanState::Withdrawn => ShownStatus::Withdrawn,
        PlanState::Moved => return None,
        PlanState::Live => match record.plan.status(today, retention) {
            PlanStatus::Active => ShownStatus::Active,
            PlanStatus::Ended => ShownStatus::Ended,
            PlanStatus::Expired => return None,
        },
    };
    let p = &record.plan;
    Some(PlanView {
        plan_ref: record.plan_ref.clone(),
        nhs_number: record.nhs_number,
        facts: PlanFacts::of(p, status),
        source_version: record.source_version,
        case_team: p.case_team.clone(),
        outcome: None,
        other_las: Vec::new(),
        delete_on: p.delete_on(retention),
        updated_at: record.updated_at,
    })
}
