//! `PUT /v1/plans/{planRef}` for a plan without an NHS number (`cpindex::unmatched`): held as
//! unmatched, found only by a demographic search, until the LA sends the number under the same
//! reference.

use adapters::edge::{ApiError, Caller};
use adapters::store::unmatched::UnmatchedOutcome;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use cpindex::answers::{PlanFacts, ShownStatus, UnmatchedView};
use cpindex::plan::{PlanStatus, UnmatchedPlan};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::unmatched::{UnmatchedRecord, UnmatchedState};
use cpindex::ActiveKeys;

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
    let d = &record.plan.plan;
    let shown = match record.plan.status(now.date_naive(), app.retention) {
        PlanStatus::Active => ShownStatus::Active,
        PlanStatus::Ended | PlanStatus::Expired => ShownStatus::Ended,
    };
    let view = UnmatchedView {
        plan_ref: plan_ref.clone(),
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
        outcome: Some(word.to_owned()),
        updated_at: record.updated_at,
    };
    let mut resp = (status, Json(view)).into_response();
    if status == StatusCode::CREATED {
        if let Ok(loc) = format!("/v1/plans/{plan_ref}").parse() {
            resp.headers_mut().insert(header::LOCATION, loc);
        }
    }
    Ok(resp)
}
