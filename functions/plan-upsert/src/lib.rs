//! The local-authority write path: create, update, end and withdraw plans, one at a time or in
//! batches with a per-record acknowledgement, and list the LA's own plans.

pub mod batch;
mod other_las;
mod recheck;
mod unmatched;
pub mod view;

use std::sync::Arc;

use adapters::edge::{json_body, serve, ApiError, Caller};
use adapters::key_guard::{require_key, KeyFault, KeyGuard};
use adapters::store::extracts::ExtractStore;
use adapters::store::indicators::IndicatorStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::WriteOutcome;
use adapters::store::Table;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use base64::Engine;
use cpindex::json_object::MAX_INTEGER;
use cpindex::notification::Struck;
use cpindex::plan::Recorded;
use cpindex::problem::{ErrorCode, Problem};
use cpindex::routes;
use cpindex::{ActiveKeys, Clock, Keyring, PlanRef, Retention};
use serde::Deserialize;

use crate::view::{plan_view, PlanList, PlanView};
use adapters::store::plans::PlanStore;

/// Everything a handler needs: the stores (this function's whole permission set, so no
/// narrower port), the child keys, the clock and the retention rule.
pub struct App {
    pub(crate) plans: PlanStore,
    pub(crate) extracts: ExtractStore,
    pub(crate) indicators: IndicatorStore,
    pub(crate) notifications: NotificationStore,
    pub(crate) unmatched: adapters::store::unmatched::UnmatchedStore,
    pub(crate) demographics: adapters::store::demographics::DemographicIndex,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retention: Retention,
    /// The delivery queue: another LA told of a plan on its child gets its webhook called.
    pub(crate) delivery: Option<adapters::queue::SqsQueue>,
    /// The fan-out queue: a child that has just had a plan put on it is looked at again
    /// (`cpindex::recheck`), after `recheck_after`.
    pub(crate) fanout: Option<adapters::queue::SqsQueue>,
    pub(crate) recheck_after: std::time::Duration,
    /// Resolves the key that turns each plan's NHS number into the child's key (the partition
    /// its projection lives in), and refuses every request while the secret does not hold
    /// every key the data is under.
    key_guard: KeyGuard,
}

impl App {
    /// The one wiring of plan-upsert: main, the local stack, the tests and the benchmarks all
    /// build it here.
    pub fn new(
        table: Table,
        keys: impl Into<Keyring>,
        retention: Retention,
        clock: impl Clock + 'static,
    ) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        Self {
            plans: PlanStore::new(table.clone(), retention),
            extracts: ExtractStore::new(table.clone()),
            indicators: IndicatorStore::new(table.clone()),
            notifications: NotificationStore::new(table.clone()),
            unmatched: adapters::store::unmatched::UnmatchedStore::new(table.clone(), retention),
            demographics: adapters::store::demographics::DemographicIndex::new(table.clone()),
            key_guard: KeyGuard::new(table, keys.into(), clock.clone()),
            clock,
            retention,
            delivery: None,
            fanout: None,
            recheck_after: cpindex::recheck::RECHECK_AFTER,
        }
    }

    /// Queues a recheck of each child a write puts a plan on to this fan-out queue (main, the
    /// local stack and the alert tests do; without it, a lookup racing a plan's first write
    /// could go unalerted).
    pub fn with_fanout(mut self, queue: adapters::queue::SqsQueue) -> Self {
        self.fanout = Some(queue);
        self
    }

    /// How long a recheck waits (tests; the default is `cpindex::recheck::RECHECK_AFTER`).
    pub fn with_recheck_after(mut self, after: std::time::Duration) -> Self {
        self.recheck_after = after;
        self
    }

    /// Hands notifications to this delivery queue (main and the local stack do; without it,
    /// another LA told of a plan on its child reads it in its inbox, never by webhook).
    pub fn with_delivery(mut self, queue: adapters::queue::SqsQueue) -> Self {
        self.delivery = Some(queue);
        self
    }

    /// Re-reads the key state this often (tests of a rotation; the default is
    /// `cpindex::key_state::KEY_STATE_REFRESH`).
    pub fn with_key_refresh(mut self, every: std::time::Duration) -> Self {
        self.key_guard = self.key_guard.refreshing_every(every);
        self
    }

    /// Compares the child keys with the data's now (main calls it at start, so no request pays
    /// for it); a fault is logged, and every request answers 503 until the keys are right.
    pub async fn check_key(&self) -> Result<(), KeyFault> {
        self.key_guard.keys().await.map(|_| ())
    }
}

type Shared = State<Arc<App>>;

/// The router served by Lambda (through `lambda_http`).
pub fn router(app: App) -> Router {
    adapters::edge::lambda_router(routes(app))
}

/// This function's routes alone, for the local stack to combine with the others.
pub fn routes(app: App) -> Router {
    let r = Router::new();
    let r = serve(r, &routes::GET_PLAN, get_plan);
    let r = serve(r, &routes::PUT_PLAN, put_plan);
    let r = serve(r, &routes::DELETE_PLAN, withdraw_plan);
    let r = serve(r, &routes::LIST_PLANS, list_plans);
    let r = serve(r, &routes::POST_PLAN_BATCH, post_batch);
    let r = serve(r, &routes::POST_PLAN_EXTRACT, post_extract);
    let guard = app.key_guard.clone();
    r.method_not_allowed_fallback(adapters::edge::method_not_allowed)
        // Our own limit applies (with a problem body); axum's would answer in plain text.
        .layer(DefaultBodyLimit::disable())
        .route_layer(axum::middleware::from_fn_with_state(guard, require_key))
        .with_state(Arc::new(app))
}

/// Whom a clinician calls comes from the LA's profile alone, so an LA without one records
/// nothing: `Ok(Some(problem))` says so and who can fix it.
pub(crate) async fn missing_profile(
    app: &App,
    org: &cpindex::OrgCode,
) -> Result<Option<Problem>, adapters::store::StoreError> {
    Ok(app.notifications.profile(org).await?.is_none().then(|| {
        Problem::new(ErrorCode::LaProfileMissing).detail(format!(
            "no profile is held for {org}: clinicians would have no vetted number to call. Ask \
             your service's operators to set up your profile (name, team, office-hours and \
             emergency-duty numbers), then send the records again"
        ))
    }))
}

/// After a plan moved to another NHS number, was withdrawn or ended as recorded in error: the
/// LA's notifications about the number it sat on lose that number (it may be another child's),
/// unless the LA still holds another plan on it. They keep when, where and by whom the child was seen. The plan's write
/// stands whatever happens here: a failure is logged (`cpindex::log::FOLLOW_UP_FAILED`) for an
/// operator, since a replay of the same write would not come back here.
pub(crate) async fn strike_notifications(
    app: &App,
    org: &cpindex::OrgCode,
    outcome: &WriteOutcome,
) {
    if let Err(e) = strike(app, org, outcome).await {
        tracing::error!(event = cpindex::log::FOLLOW_UP_FAILED, what = "strike", org = %org, error = %cpindex::log::chain(&e), "notifications may still name the number the plan left");
    }
}

async fn strike(
    app: &App,
    org: &cpindex::OrgCode,
    outcome: &WriteOutcome,
) -> Result<(), adapters::store::StoreError> {
    let (child, nhs, why) = match outcome {
        WriteOutcome::Moved { from, from_nhs, .. } => (from, from_nhs, Struck::Corrected),
        WriteOutcome::Withdrawn(r) => (&r.child, &r.nhs_number, Struck::Withdrawn),
        // Ended as recorded in error: as a withdrawal.
        WriteOutcome::Updated(r) | WriteOutcome::Created(r)
            if r.plan.end_reason == Some(cpindex::plan::EndReason::RecordedInError) =>
        {
            (&r.child, &r.nhs_number, Struck::Withdrawn)
        }
        _ => return Ok(()),
    };
    let still_held = app
        .plans
        .projections_for(child)
        .await?
        .iter()
        .any(|p| &p.org == org && p.live_plan().is_some());
    if !still_held {
        let n = app.notifications.strike(org, nhs, why).await?;
        tracing::info!(org = %org, notifications = n, why = why.as_str(), "notifications no longer name the child");
    }
    Ok(())
}

/// Points a plan's demographic keys at it (`cpindex::demographics`), expiring with the plan.
/// Written before the plan itself, so a plan is never held without the entries that find it;
/// an entry whose write then loses (stale, conflicting) names nothing, since every search
/// checks the plan as it stands.
pub(crate) async fn index_demographics(
    app: &App,
    org: &cpindex::OrgCode,
    plan_ref: &PlanRef,
    keys: Option<&cpindex::demographics::DemographicKeys>,
    version: u64,
    delete_on: Option<chrono::NaiveDate>,
) -> Result<(), adapters::store::StoreError> {
    match keys {
        Some(keys) => {
            let expires = delete_on.map(adapters::store::plans::epoch_of_day);
            app.demographics
                .index(org, plan_ref, keys, version, expires)
                .await
        }
        None => Ok(()),
    }
}

/// A plan created on an NHS number under a reference the LA had recorded unmatched: the
/// unmatched record is kept as matched from now on (`cpindex::unmatched`). The plan's write
/// stands whatever happens here; a failure is logged for an operator (a search still names the
/// plan by its record, which takes precedence).
pub(crate) async fn matched(
    app: &App,
    org: &cpindex::OrgCode,
    actor: &str,
    outcome: &WriteOutcome,
    now: chrono::DateTime<chrono::Utc>,
) {
    let WriteOutcome::Created(record) = outcome else {
        return;
    };
    match app
        .unmatched
        .matched(org, &record.plan_ref, actor, now)
        .await
    {
        Ok(true) => {
            tracing::info!(org = %org, plan_ref = %record.plan_ref, "unmatched plan matched to an NHS number")
        }
        Ok(false) => {}
        Err(e) => {
            tracing::error!(event = cpindex::log::FOLLOW_UP_FAILED, what = "matched", org = %org, plan_ref = %record.plan_ref, error = %cpindex::log::chain(&e), "the unmatched record still counts as unmatched")
        }
    }
}

#[derive(Debug, Deserialize)]
struct ExtractQuery {
    mode: Option<String>,
    #[serde(rename = "extractId")]
    extract_id: Option<String>,
}

/// Reads `value` as a batch and applies it for the caller's LA: the one path both uploads
/// (`POST /v1/plan-batches`, `POST /v1/plan-extracts`) take. An unreadable batch is refused
/// whole, with `fileOutcome: unreadable`.
async fn apply_batch(
    app: &App,
    keys: &ActiveKeys,
    caller: &Caller,
    value: &serde_json::Value,
) -> Result<cpindex::answers::BatchAck, ApiError> {
    let now = app.clock.now();
    let parsed = batch::Batch::parse(value, now.date_naive()).map_err(|e| {
        let p: Problem = e.into();
        ApiError::from(p.file_outcome("unreadable"))
    })?;
    batch::apply(
        app,
        keys,
        &caller.0.org,
        caller.0.user.as_str(),
        now,
        uuid::Uuid::new_v4().to_string(),
        parsed,
    )
    .await
    .map_err(ApiError::from)
}

/// `POST /v1/plan-extracts`: an extract as the LA's case system exports it (the CLI's CSV
/// format, `cpindex::csv_extract`), read into one batch and applied exactly as
/// `POST /v1/plan-batches` applies it. Larger files go through the CLI, which splits them.
async fn post_extract(
    State(app): Shared,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<ExtractQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    use cpindex::csv_extract;
    let unreadable = |p: Problem| ApiError::from(p.file_outcome("unreadable"));
    adapters::edge::require_media_type(&headers, "text/csv").map_err(|e| unreadable(*e.0))?;
    if body.len() > adapters::edge::MAX_BODY_BYTES {
        return Err(unreadable(Problem::new(ErrorCode::BodyTooLarge).detail(format!(
            "the file is {} bytes; the limit here is {} (the CLI uploads larger extracts in batches)",
            body.len(),
            adapters::edge::MAX_BODY_BYTES
        ))));
    }
    let extract = csv_extract::parse(&body)
        .map_err(|e| unreadable(Problem::new(ErrorCode::InvalidCsv).detail(e.to_string())))?;
    if extract.rows.len() > cpindex::batch::MAX_RECORDS {
        return Err(unreadable(
            Problem::new(ErrorCode::TooManyRecords).detail(format!(
                "the file holds {} records; upload at most {} here, or use the CLI, which splits it",
                extract.rows.len(),
                cpindex::batch::MAX_RECORDS
            )),
        ));
    }
    let mut batch = serde_json::json!({
        "mode": q.mode.as_deref().unwrap_or("delta"),
        "records": extract.rows.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
    });
    if let Some(id) = &q.extract_id {
        batch["extractId"] = serde_json::Value::String(id.clone());
    }
    batch["lines"] = serde_json::json!(extract.rows.iter().map(|r| r.line).collect::<Vec<_>>());
    let org = &caller.0.org;
    let ack = apply_batch(&app, &keys, &caller, &batch).await?;
    tracing::info!(
        org = %org, batch_id = %ack.batch_id, received = ack.counts.received,
        rejected = ack.counts.rejected, unread = extract.bad_rows.len(), outcome = %ack.file_code,
        "CSV extract acknowledged"
    );
    let columns = ack
        .records
        .iter()
        .map(|r| {
            r.field
                .as_deref()
                .and_then(csv_extract::column_for_field)
                .map(str::to_owned)
        })
        .collect();
    let answer = cpindex::answers::ExtractAck {
        lines: extract.rows.iter().map(|r| r.line).collect(),
        columns,
        unread_rows: extract
            .bad_rows
            .iter()
            .map(|b| cpindex::answers::UnreadRow {
                line: b.line,
                reason: b.reason.clone(),
            })
            .collect(),
        ignored_columns: extract.ignored_columns.clone(),
        batch: ack,
    };
    Ok((StatusCode::OK, Json(answer)).into_response())
}

fn plan_ref(raw: &str) -> Result<PlanRef, ApiError> {
    PlanRef::parse(raw, "/planRef").map_err(ApiError::from)
}

fn not_found() -> ApiError {
    ApiError::from(
        Problem::new(ErrorCode::NotFound).detail("this LA holds no plan with that reference"),
    )
}

pub(crate) fn stale(current_version: u64) -> ApiError {
    ApiError::from(
        Problem::new(ErrorCode::StaleVersion)
            .field("/sourceVersion")
            .current_version(current_version)
            .detail(format!(
                "version {current_version} is already held: send this change (an update, an end \
                 or a withdrawal) with a sourceVersion higher than {current_version}"
            )),
    )
}

async fn put_plan(
    State(app): Shared,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    Path(raw_ref): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let plan_ref = plan_ref(&raw_ref)?;
    let value = json_body(&headers, &body)?;
    let now = app.clock.now();
    let org = &caller.0.org;
    let mut plan = match Recorded::from_json(&value, "", Some(plan_ref), now.date_naive())? {
        Recorded::Plan(plan) => plan,
        Recorded::Unmatched(u) => return unmatched::put(&app, &keys, &caller, u, now).await,
    };
    if let Some(missing) = missing_profile(&app, org).await? {
        return Err(ApiError::from(missing));
    }
    plan.seal(keys.write());
    // The demographic entries first: a failure leaves the plan unwritten (the LA sends it
    // again), never written but unfindable by a search.
    index_demographics(
        &app,
        org,
        &plan.plan_ref,
        plan.demographics.as_ref(),
        plan.source_version,
        plan.delete_on(app.retention),
    )
    .await?;
    let child = keys.write().of(&plan.nhs_number);
    let outcome = app
        .plans
        .upsert(
            org,
            plan,
            child,
            caller.0.user.as_str(),
            now,
            adapters::store::plans::Known::Unread,
        )
        .await?;
    strike_notifications(&app, org, &outcome).await;
    matched(&app, org, caller.0.user.as_str(), &outcome, now).await;
    let other_las = other_las::tell(&app, &keys, org, &outcome, now).await;
    recheck::send(&app, recheck::of(&keys, &outcome).into_iter().collect()).await;
    let (status, record, word) =
        match outcome {
            WriteOutcome::Created(r) => (StatusCode::CREATED, r, "created"),
            WriteOutcome::Updated(r) => (StatusCode::OK, r, "updated"),
            WriteOutcome::Unchanged(r) => (StatusCode::OK, r, "unchanged"),
            WriteOutcome::Moved { record, .. } => (StatusCode::OK, record, "moved"),
            WriteOutcome::Stale { current_version } => return Err(stale(current_version)),
            WriteOutcome::Conflict { current_version } => return Err(ApiError::from(
                Problem::new(ErrorCode::VersionConflict)
                    .field("/sourceVersion")
                    .current_version(current_version)
                    .detail(
                        "this version is already held with different content; send a new version",
                    ),
            )),
            WriteOutcome::Withdrawn(_) | WriteOutcome::NotFound => {
                return Err(ApiError::code(ErrorCode::Internal))
            }
        };
    tracing::info!(org = %org, plan_ref = %record.plan_ref, version = record.source_version, outcome = word, "plan written");
    let view = plan_view(&record, now.date_naive(), app.retention).map(|v| PlanView {
        outcome: Some(word.to_owned()),
        other_las,
        ..v
    });
    let mut resp = match view {
        Some(v) => (status, Json(v)).into_response(),
        // Written, but already past retention (an old, long-ended plan): nothing to show.
        None => (status, Json(serde_json::json!({"planRef": record.plan_ref, "outcome": word, "status": "expired"}))).into_response(),
    };
    if status == StatusCode::CREATED {
        if let Ok(loc) = format!("/v1/plans/{}", record.plan_ref).parse() {
            resp.headers_mut().insert(header::LOCATION, loc);
        }
    }
    Ok(resp)
}

async fn get_plan(
    State(app): Shared,
    caller: Caller,
    Path(raw_ref): Path<String>,
) -> Result<Response, ApiError> {
    let plan_ref = plan_ref(&raw_ref)?;
    let record = app.plans.get(&caller.0.org, &plan_ref).await?;
    if let Some(view) = record.and_then(|r| plan_view(&r, app.clock.today(), app.retention)) {
        return Ok(Json(view).into_response());
    }
    unmatched::get(&app, &caller.0.org, &plan_ref, app.clock.now())
        .await?
        .map(|v| Json(v).into_response())
        .ok_or_else(not_found)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WithdrawQuery {
    source_version: Option<String>,
}

async fn withdraw_plan(
    State(app): Shared,
    caller: Caller,
    Path(raw_ref): Path<String>,
    query: Result<Query<WithdrawQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let plan_ref = plan_ref(&raw_ref)?;
    let bad_version = || {
        ApiError::from(
            Problem::new(ErrorCode::InvalidVersion)
                .field("sourceVersion")
                .detail(format!(
                    "`?sourceVersion=N` is required: a whole number from 1 to {MAX_INTEGER}, \
                     higher than the version held (withdrawing is a change, so it needs a new version)"
                )),
        )
    };
    let Query(q) = query.map_err(|_| bad_version())?;
    let version = q
        .source_version
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| (1..=MAX_INTEGER).contains(v))
        .ok_or_else(bad_version)?;
    let now = app.clock.now();
    let outcome = app
        .plans
        .withdraw(
            &caller.0.org,
            &plan_ref,
            version,
            caller.0.user.as_str(),
            now,
        )
        .await?;
    strike_notifications(&app, &caller.0.org, &outcome).await;
    match outcome {
        WriteOutcome::Withdrawn(record) => {
            tracing::info!(org = %caller.0.org, plan_ref = %plan_ref, version, "plan withdrawn");
            plan_view(&record, now.date_naive(), app.retention)
                .map(|v| {
                    Json(PlanView {
                        outcome: Some("withdrawn".to_owned()),
                        ..v
                    })
                    .into_response()
                })
                .ok_or_else(not_found)
        }
        // No plan on an NHS number: perhaps one recorded without it.
        WriteOutcome::NotFound => unmatched::withdraw(&app, &caller, &plan_ref, version, now)
            .await?
            .map(|v| Json(v).into_response())
            .ok_or_else(not_found),
        WriteOutcome::Stale { current_version } => Err(stale(current_version)),
        _ => Err(ApiError::code(ErrorCode::Internal)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// Default and largest page of `GET /v1/plans`.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

async fn list_plans(
    State(app): Shared,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PlanList>, ApiError> {
    let bad = |field: &str, detail: &str| {
        ApiError::from(
            Problem::new(ErrorCode::InvalidQuery)
                .field(field)
                .detail(detail),
        )
    };
    let Query(q) = query.map_err(|_| bad("query", "only `limit` and `cursor` are accepted"))?;
    let limit = match q.limit {
        None => DEFAULT_PAGE,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| bad("limit", "`limit` is 1 to 200"))?,
    };
    // The cursor is the last plan reference of the previous page, opaque to callers. It can only
    // ever address the caller's own partition, so a forged cursor cannot reach another LA's plans.
    let after = match q.cursor {
        None => None,
        Some(c) => {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad("cursor", "not a cursor this API issued"))?;
            Some(
                PlanRef::parse(&raw, "cursor")
                    .map_err(|_| bad("cursor", "not a cursor this API issued"))?,
            )
        }
    };
    let page = app.plans.list(&caller.0.org, limit, after.as_ref()).await?;
    let today = app.clock.today();
    Ok(Json(PlanList {
        items: page
            .records
            .iter()
            .filter_map(|r| plan_view(r, today, app.retention))
            .collect(),
        next_cursor: page
            .next
            .map(|r| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r.as_str())),
    }))
}

async fn post_batch(
    State(app): Shared,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Every refusal of the whole upload has one shape: the acknowledgement's file outcome.
    let value =
        json_body(&headers, &body).map_err(|e| ApiError::from(e.0.file_outcome("unreadable")))?;
    let org = &caller.0.org;
    let ack = apply_batch(&app, &keys, &caller, &value).await?;
    tracing::info!(
        org = %org, batch_id = %ack.batch_id, mode = ack.mode.as_str(), received = ack.counts.received,
        rejected = ack.counts.rejected, stale = ack.counts.stale, failed = ack.counts.failed,
        outcome = %ack.file_code, "batch acknowledged"
    );
    Ok((StatusCode::OK, Json(ack)).into_response())
}
