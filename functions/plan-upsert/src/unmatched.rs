//! `PUT /v1/plans/{planRef}` for a plan without an NHS number (`cpindex::unmatched`): held as
//! unmatched, found only by a demographic search, until the LA sends the number under the same
//! reference.

use adapters::edge::{ApiError, Caller};
use adapters::store::unmatched::{UnmatchedOutcome, UnmatchedWithdrawal};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use cpindex::answers::{PlanFacts, ShownStatus, UnmatchedView};
use cpindex::plan::{PlanRef, PlanStatus, UnmatchedPlan};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::unmatched::{UnmatchedRecord, UnmatchedState};
use cpindex::ActiveKeys;
use cpindex::OrgCode;

use crate::App;

fn number_known() -> ApiError {
    ApiError::from(
        Problem::new(ErrorCode::NhsNumberKnown)
            .field("/nhsNumberAbsentReason")
            .detail(
                "this plan reference already has an NHS number: a plan never loses it. Send \
                 the plan with its number, or withdraw it (DELETE) if it was recorded in error",
            ),
    )
}

pub(crate) async fn put(
    app: &App,
    keys: &ActiveKeys,
    caller: &Caller,
    mut plan: UnmatchedPlan,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    let org = &caller.0.org;
    if let Some(missing) = crate::missing_profile(app, org).await? {
        return Err(ApiError::from(missing));
    }
    let plan_ref = plan.plan.plan_ref.clone();
    if app.plans.get(org, &plan_ref).await?.is_some() {
        return Err(number_known());
    }
    plan.seal(keys.write());
    let delete_on = plan.plan.end_date.map(|end| app.retention.delete_on(end));
    crate::index_demographics(
        app,
        org,
        &plan_ref,
        plan.plan.demographics.as_ref(),
        plan.plan.source_version,
        delete_on,
    )
    .await?;
    let record = UnmatchedRecord {
        org: org.clone(),
        state: UnmatchedState::Unmatched,
        plan,
        updated_at: now,
        updated_by: caller.0.user.as_str().to_owned(),
        matched_at: None,
    };
    let (status, record, word) = match app.unmatched.put(&record).await? {
        UnmatchedOutcome::Created(r) => (StatusCode::CREATED, r, "created"),
        UnmatchedOutcome::Updated(r) => (StatusCode::OK, r, "updated"),
        UnmatchedOutcome::Unchanged(r) => (StatusCode::OK, r, "unchanged"),
        UnmatchedOutcome::Stale { current_version } => return Err(crate::stale(current_version)),
        UnmatchedOutcome::Conflict { current_version } => {
            return Err(ApiError::from(
                Problem::new(ErrorCode::VersionConflict)
                    .field("/sourceVersion")
                    .current_version(current_version)
                    .detail(
                        "this version is already held with different content; send a new version",
                    ),
            ))
        }
        UnmatchedOutcome::Matched => return Err(number_known()),
    };
    tracing::info!(org = %org, plan_ref = %plan_ref, version = record.plan.plan.source_version, outcome = word, "unmatched plan written");
    let view = view(&record, now, app, Some(word));
    let mut resp = (status, Json(view)).into_response();
    if status == StatusCode::CREATED {
        if let Ok(loc) = format!("/v1/plans/{plan_ref}").parse() {
            resp.headers_mut().insert(header::LOCATION, loc);
        }
    }
    Ok(resp)
}

/// The LA's view of its unmatched record.
fn view(
    record: &UnmatchedRecord,
    now: DateTime<Utc>,
    app: &App,
    outcome: Option<&str>,
) -> UnmatchedView {
    let d = &record.plan.plan;
    let shown = match (
        record.state,
        record.plan.status(now.date_naive(), app.retention),
    ) {
        (UnmatchedState::Withdrawn, _) => ShownStatus::Withdrawn,
        (_, PlanStatus::Active) => ShownStatus::Active,
        (_, PlanStatus::Ended | PlanStatus::Expired) => ShownStatus::Ended,
    };
    UnmatchedView {
        plan_ref: d.plan_ref.clone(),
        nhs_number_absent_reason: record.plan.reason,
        demographics_recorded: d.demographics.is_some(),
        facts: PlanFacts {
            plan_type: d.plan_type,
            national_code: d.plan_type.national_code().to_owned(),
            start_date: d.start_date,
            end_date: d.end_date,
            expected_due_date: d.expected_due_date,
            status: shown,
            end_reason: d.end_reason,
            still_alerted_until: None,
        },
        source_version: d.source_version,
        matching: record.state,
        outcome: outcome.map(str::to_owned),
        updated_at: record.updated_at,
    }
}

/// `GET /v1/plans/{planRef}` where the LA holds no plan on an NHS number under that reference:
/// its unmatched plan, if any (once matched, the plan record answers).
pub(crate) async fn get(
    app: &App,
    org: &OrgCode,
    plan_ref: &PlanRef,
    now: DateTime<Utc>,
) -> Result<Option<UnmatchedView>, ApiError> {
    Ok(app
        .unmatched
        .get(org, plan_ref)
        .await?
        .filter(|r| r.state != UnmatchedState::Matched)
        .map(|r| view(&r, now, app, None)))
}

/// `DELETE /v1/plans/{planRef}` of an unmatched plan recorded in error: found by no search and
/// reported no longer. `None` when the LA holds no unmatched plan under that reference.
pub(crate) async fn withdraw(
    app: &App,
    caller: &Caller,
    plan_ref: &PlanRef,
    version: u64,
    now: DateTime<Utc>,
) -> Result<Option<UnmatchedView>, ApiError> {
    let org = &caller.0.org;
    match app
        .unmatched
        .withdraw(org, plan_ref, version, caller.0.user.as_str(), now)
        .await?
    {
        UnmatchedWithdrawal::Withdrawn(record) => {
            tracing::info!(org = %org, plan_ref = %plan_ref, version, "unmatched plan withdrawn");
            Ok(Some(view(&record, now, app, Some("withdrawn"))))
        }
        UnmatchedWithdrawal::NotFound => Ok(None),
        UnmatchedWithdrawal::Stale { current_version } => Err(crate::stale(current_version)),
    }
}
