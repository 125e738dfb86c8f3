//! What a clinician sees: plans with the responsible LA's contacts, and recent visits. Nothing
//! else (no LA references, no case notes).

use adapters::store::plans::{PlanProjection, PlanState};
use chrono::NaiveDate;
use cpindex::access::Visit;
use cpindex::plan::PlanStatus;
use cpindex::{NhsNumber, OrgCode, Retention};
use serde::Serialize;

/// The responsible LA and how to reach its team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponsibleLa {
    pub code: OrgCode,
    pub name: String,
    pub team: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_hours_phone: Option<String>,
    pub emergency_duty_phone: String,
}

/// One plan as shown to a clinician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    pub plan_type: &'static str,
    pub national_code: &'static str,
    pub start_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_due_date: Option<NaiveDate>,
    /// `active` or `ended` (ended plans stay visible for the retention period).
    pub status: &'static str,
    pub responsible_la: ResponsibleLa,
}

/// The lookup answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildView {
    pub access_id: String,
    pub nhs_number: NhsNumber,
    /// True when any plan (active or recently ended) is held.
    pub has_plan: bool,
    pub plans: Vec<PlanSummary>,
    pub visits: Vec<Visit>,
}

/// Plans to show on `today`: live and within retention; active first, then by start date.
pub fn plans_to_show(
    projections: &[PlanProjection],
    today: NaiveDate,
    retention: Retention,
) -> Vec<PlanSummary> {
    let mut shown: Vec<PlanSummary> = projections
        .iter()
        .filter(|p| p.state == PlanState::Live)
        .filter_map(|p| {
            let status = match p.plan.status(today, retention) {
                PlanStatus::Active => "active",
                PlanStatus::Ended => "ended",
                PlanStatus::Expired => return None,
            };
            let la = &p.plan.responsible_la;
            Some(PlanSummary {
                plan_type: p.plan.plan_type.as_str(),
                national_code: p.plan.plan_type.national_code(),
                start_date: p.plan.start_date,
                end_date: p.plan.end_date,
                expected_due_date: p.plan.expected_due_date,
                status,
                responsible_la: ResponsibleLa {
                    code: p.org.clone(),
                    name: la.name.clone(),
                    team: la.team.clone(),
                    office_hours_phone: la
                        .office_hours_phone
                        .as_ref()
                        .map(|p| p.as_str().to_owned()),
                    emergency_duty_phone: la.emergency_duty_phone.as_str().to_owned(),
                },
            })
        })
        .collect();
    shown.sort_by(|a, b| {
        (a.status != "active", a.start_date).cmp(&(b.status != "active", b.start_date))
    });
    shown
}
