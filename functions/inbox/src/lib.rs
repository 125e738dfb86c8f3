//! The LA's inbox: its own notifications (list, acknowledge), the access history of children it
//! holds plans for, and (for operators) LA profiles with contacts and webhooks. An LA without a
//! webhook works from this inbox alone.

pub mod webhook_secret;

use std::sync::Arc;

use adapters::edge::{json_body, serve, ApiError, Caller};
use adapters::store::access::AccessStore;
use adapters::store::access::{Trail, Window};
use adapters::store::extracts::ExtractStore;
use adapters::store::indicators::IndicatorStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::PlanStore;
use adapters::store::profile_history::ProfileHistory;
use adapters::store::reports::ReportStore;
use adapters::store::Table;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::{Json, Router};
use base64::Engine;
use cpindex::access::{Access, AccessCursor, AccessOutcome};
use cpindex::answers::{AccessView, NotificationList, ReportAnnouncement};
use cpindex::indicators::{Counter, IsoWeek, TimeBand};
use cpindex::notification::{Notification, NotificationKind};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::profile::{LaProfile, WebhookPolicy};
use cpindex::profile_change::ProfileChange;
use cpindex::routes;
use cpindex::{Clock, OrgCode, PlanRef, PlanState, Retention, Role};
use serde::Deserialize;

/// Accesses listed in a history.
pub const HISTORY_LIMIT: usize = 100;

/// Everything the inbox needs.
pub struct App {
    notifications: NotificationStore,
    plans: PlanStore,
    accesses: AccessStore,
    reports: ReportStore,
    extracts: ExtractStore,
    indicators: IndicatorStore,
    profile_history: ProfileHistory,
    alerts: adapters::store::alert_state::AlertStates,
    overdue: adapters::store::overdue::OverdueStore,
    clock: Arc<dyn Clock>,
    webhooks: WebhookPolicy,
    /// Checks a profile's webhook secret when it is saved (main and the local stack set it).
    secrets: Option<webhook_secret::SecretCheck>,
}

impl App {
    /// The one wiring of the inbox: main, the local stack, the tests and the benchmarks all
    /// build it here. Lambda's main passes [`WebhookPolicy::PublicHttpsOnly`] as a literal: no
    /// setting a deployed function reads can relax it.
    pub fn new(
        table: Table,
        retention: Retention,
        clock: impl Clock + 'static,
        webhooks: WebhookPolicy,
    ) -> Self {
        Self {
            notifications: NotificationStore::new(table.clone()),
            plans: PlanStore::new(table.clone(), retention),
            accesses: AccessStore::new(table.clone()),
            reports: ReportStore::new(table.clone()),
            extracts: ExtractStore::new(table.clone()),
            indicators: IndicatorStore::new(table.clone()),
            profile_history: ProfileHistory::new(table.clone()),
            alerts: adapters::store::alert_state::AlertStates::new(table.clone()),
            overdue: adapters::store::overdue::OverdueStore::new(table),
            clock: Arc::new(clock),
            webhooks,
            secrets: None,
        }
    }

    /// Refuses a profile whose webhook secret is outside `prefix` (what delivery may read) or
    /// does not exist in `directory`.
    pub fn checking_webhook_secrets(
        mut self,
        directory: impl adapters::secrets::SecretDirectory,
        prefix: impl Into<String>,
    ) -> Self {
        self.secrets = Some(webhook_secret::SecretCheck {
            directory: Arc::new(directory),
            prefix: prefix.into(),
        });
        self
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
    let r = serve(r, &routes::LIST_NOTIFICATIONS, list);
    let r = serve(r, &routes::ACK_NOTIFICATION, ack);
    let r = serve(r, &routes::GET_PLAN_ACCESSES, history);
    let r = serve(r, &routes::GET_PROFILE, get_profile);
    let r = serve(r, &routes::PUT_PROFILE, put_profile);
    let r = serve(r, &routes::LIST_PROFILES, list_profiles);
    let r = serve(r, &routes::GET_PROFILE_HISTORY, profile_history);
    let r = serve(r, &routes::GET_RECONCILIATION_REPORT, latest_report);
    r.method_not_allowed_fallback(adapters::edge::method_not_allowed)
        .with_state(Arc::new(app))
}

/// The LA's latest reconciliation report (its own only).
async fn latest_report(
    State(app): Shared,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = &caller.0.org;
    let (report, extract) = tokio::join!(
        app.reports.latest_la(org),
        app.extracts.latest_received_at(org)
    );
    let mut report = report?.ok_or_else(|| {
        ApiError::from(Problem::new(ErrorCode::NotFound).detail(
            "no reconciliation report yet: the nightly reconciliation writes one (an operator \
             can run one now)",
        ))
    })?;
    // A report written before the LA's latest extract does not reflect it: say so, never let
    // it pass silently for the answer to that upload.
    let generated = report["generatedAt"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    if let (Some(received), Some(generated)) = (extract?, generated) {
        if received > generated {
            report["latestExtractAfterReport"] = serde_json::json!(received);
        }
    }
    Ok(Json(report))
}

fn bad_query(field: &str, detail: &str) -> ApiError {
    ApiError::from(
        Problem::new(ErrorCode::InvalidQuery)
            .field(field)
            .detail(detail),
    )
}

/// A notification as its LA sees it.
/// The headline of the LA's latest reconciliation report, for its inbox listing.
fn announcement(report: &serde_json::Value) -> Option<ReportAnnouncement> {
    Some(ReportAnnouncement {
        run_id: report["runId"].as_str()?.to_owned(),
        generated_at: report["generatedAt"].as_str()?.to_owned(),
        not_in_extract: report["findings"]["notInExtract"]["total"]
            .as_u64()
            .unwrap_or(0),
        not_in_index: report["notInIndex"]["total"].as_u64().unwrap_or(0),
        href: routes::GET_RECONCILIATION_REPORT.path.to_owned(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list(
    State(app): Shared,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<NotificationList>, ApiError> {
    let Query(q) = query
        .map_err(|_| bad_query("query", "only `status`, `limit` and `cursor` are accepted"))?;
    let unacknowledged = match q.status.as_deref() {
        None | Some("all") => false,
        Some("unacknowledged") => true,
        Some(_) => return Err(bad_query("status", "`status` is `unacknowledged` or `all`")),
    };
    let limit = match q.limit {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| bad_query("limit", "`limit` is 1 to 200"))?,
    };
    let org = &caller.0.org;
    // The cursor only ever continues within the caller's own GSI partition.
    let after = match q.cursor {
        None => None,
        Some(c) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|s| s.len() < 200 && s.contains('#'))
                .ok_or_else(|| bad_query("cursor", "not a cursor this API issued"))?,
        ),
    };
    // The first page lists the LA's open overdue alerts first.
    let first_page = after.is_none();
    let (page, report, overdue) = tokio::join!(
        app.notifications
            .list(org, unacknowledged, limit, after.as_deref()),
        app.reports.latest_la(org),
        async {
            match first_page {
                true => app.overdue.open_for(org).await,
                false => Ok(Vec::new()),
            }
        },
    );
    let page = page?;
    let report = report?;
    let mut overdue = overdue?;
    overdue.sort_by_key(|a| a.deadline);
    Ok(Json(NotificationList {
        overdue,
        items: page.items,
        next_cursor: page
            .next
            .map(|n| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n)),
        latest_reconciliation_report: report.as_ref().and_then(announcement),
    }))
}

async fn ack(
    State(app): Shared,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Notification>, ApiError> {
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::from(
            Problem::new(ErrorCode::NotFound).detail("that is not a notification id"),
        ));
    }
    let n = app
        .notifications
        .acknowledge(&caller.0.org, &id, caller.0.user.as_str(), app.clock.now())
        .await?;
    if let Some((n, true)) = n.as_ref() {
        settle(&app, n).await;
        // An overdue alert and its `alert_overdue` notice are acknowledged together: one
        // action, whichever of the two the LA opened.
        let other = match (&n.overdue, n.overdue_at) {
            (Some(original), _) => Some(original.notification_id.clone()),
            (None, Some(_)) => Some(cpindex::notification::overdue_notice_id(
                &n.notification_id,
                &n.la,
            )),
            (None, None) => None,
        };
        if let Some(other) = other {
            let at = n.acknowledged_at.unwrap_or_else(|| app.clock.now());
            let by = caller.0.user.as_str();
            match app
                .notifications
                .acknowledge(&caller.0.org, &other, by, at)
                .await
            {
                Ok(Some((o, true))) => settle(&app, &o).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %cpindex::log::chain(&e), notification_id = %other, "the other of an overdue alert and its notice not acknowledged");
                }
            }
        }
    }
    // Another LA's notification answers exactly as a missing one. The id is ours (hex), safe
    // to echo, and tells the person which one it was.
    n.map(|(n, _)| Json(n)).ok_or_else(|| {
        ApiError::from(
            Problem::new(ErrorCode::NotFound)
                .detail(format!("this LA's inbox holds no notification {id}")),
        )
    })
}

async fn history(
    State(app): Shared,
    caller: Caller,
    Path(raw): Path<String>,
    Query(q): Query<PageQuery>,
    uri: axum::http::Uri,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let plan_ref = PlanRef::parse(&raw, "/planRef")?;
    let cursor = q.cursor.as_deref().map(AccessCursor::parse).transpose()?;
    let record = app.plans.get(&caller.0.org, &plan_ref).await?;
    // Only children the LA (still) holds a plan for.
    let Some(record) = record.filter(|r| r.state == PlanState::Live) else {
        return Err(ApiError::from(
            Problem::new(ErrorCode::NotFound).detail("this LA holds no plan with that reference"),
        ));
    };
    // The read of the history is itself audited, in the child's own trail, before it is served.
    let now = app.clock.now();
    let read = Access::new(
        &caller.0,
        record.child.clone(),
        now,
        AccessOutcome::HistoryRead,
    );
    app.accesses.record(&read).await?;
    // Only what the LA may see: clinicians' reads made while its own plan was held (from when
    // it first recorded the plan, not from the start date the plan claims, to the plan's end).
    // Refused attempts and history reads sit apart, so however many there are they never take
    // a place on the page; the window is read by key, in pages to its end.
    // Each key the plan was held under is read over the time it was held there: a window on
    // a number the LA later corrected shows who looked the plan up there (never that number).
    let (from, to) = la_window(&record, now);
    let mut windows = vec![Window {
        child: &record.child,
        from: Some(from),
        to,
    }];
    windows.extend(record.earlier_keys.iter().map(|k| Window {
        child: &k.child,
        from: Some(k.from),
        to: k.until.min(to),
    }));
    let corrected = |w: usize| {
        w > 0 && record.earlier_keys[w - 1].why == cpindex::plan_record::KeyChange::Corrected
    };
    let page = app
        .accesses
        .history_page(
            &windows,
            &[Trail::Visits, Trail::SilentReads],
            cursor.as_ref(),
            HISTORY_LIMIT,
        )
        .await?;
    let views: Vec<AccessView> = page
        .accesses
        .into_iter()
        // Refusals and history reads recorded before they had a range of their own.
        .filter(|l| l.access.outcome.is_read())
        .map(|l| {
            let on_earlier = corrected(l.window);
            let mut view = AccessView::from((l.access, l.plan_found));
            view.on_earlier_nhs_number = on_earlier.then_some(true);
            view
        })
        .collect();
    let mut resp = Json(views).into_response();
    adapters::edge::link_next(&mut resp, uri.path(), page.next.map(|c| c.encode()));
    Ok(resp)
}

/// What follows an acknowledgement (none of it undoes it, so a failure is logged): an alert
/// read is counted with the time it took, marked for the clinicians who look the child up next,
/// and, if it was overdue, no longer listed as open.
async fn settle(app: &App, n: &Notification) {
    let at = n.acknowledged_at.unwrap_or(n.seen_at);
    let count = async {
        // The indicators' alerts are attendances; other kinds are counted elsewhere or not.
        if n.kind == NotificationKind::ChildSeen {
            let took = TimeBand::of_seconds((at - n.seen_at).num_seconds());
            let counters = [(Counter::Read, 1), (Counter::ReadWithin(took), 1)];
            app.indicators
                .add_or_log(&n.la, IsoWeek::of(n.seen_at), &counters)
                .await;
        }
    };
    let mark = async {
        if n.kind.must_be_acknowledged() {
            mark_acknowledged(app, n, at).await?;
        }
        if n.overdue_at.is_some() {
            app.overdue.closed(&n.la, &n.notification_id).await?;
        }
        Ok::<_, adapters::store::StoreError>(())
    };
    let ((), marked) = tokio::join!(count, mark);
    // The acknowledgement stands; a clinician would see "not acknowledged" until the next.
    if let Err(e) = marked {
        tracing::warn!(error = %cpindex::log::chain(&e), notification_id = %n.notification_id, "acknowledgement not marked for clinicians or operators");
    }
}

/// Marks the child's partition: its LA acknowledged the alert at `at` (the clinician who looks
/// the child up next sees when, never who).
async fn mark_acknowledged(
    app: &App,
    n: &Notification,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), adapters::store::StoreError> {
    match app.notifications.alerted_child(&n.notification_id).await? {
        Some(child) => {
            app.alerts
                .acknowledged(&child, &n.la, &n.notification_id, at)
                .await
        }
        None => Ok(()),
    }
}

/// The accesses an LA may see on its plan's account: from when it first recorded the plan to
/// the end of the plan's last day (or now, for a plan not ended).
fn la_window(
    record: &cpindex::PlanRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let end = record
        .plan
        .end_date
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    (record.held_since(), end.map_or(now, |e| e.min(now)))
}

/// A listing's page: where the previous page stopped.
#[derive(Debug, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
}

fn org_of(raw: &str) -> Result<OrgCode, ApiError> {
    OrgCode::parse(raw).map_err(|e| ApiError::from(e.within("/org")))
}

async fn get_profile(
    State(app): Shared,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<LaProfile>, ApiError> {
    let org = org_of(&raw)?;
    // Another LA's profile answers exactly as a missing one.
    let no_profile = || {
        ApiError::from(
            Problem::new(ErrorCode::NotFound).detail("no profile is held for that organisation"),
        )
    };
    if caller.0.role == Role::LocalAuthority && caller.0.org != org {
        return Err(no_profile());
    }
    let profile = app.notifications.profile(&org).await?;
    profile.map(Json).ok_or_else(no_profile)
}

/// Every LA profile, by organisation code (operators).
async fn list_profiles(State(app): Shared) -> Result<Json<serde_json::Value>, ApiError> {
    let mut profiles = app.notifications.profiles().await?;
    profiles.sort_by(|a, b| a.org.as_str().cmp(b.org.as_str()));
    Ok(Json(serde_json::json!({ "items": profiles })))
}

async fn put_profile(
    State(app): Shared,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<LaProfile>, ApiError> {
    let org = org_of(&raw)?;
    let value = json_body(&headers, &body)?;
    let profile = LaProfile::from_json(
        &value,
        org,
        app.webhooks.allows_local(),
        app.clock.now(),
        caller.0.user.as_str(),
    )?;
    if let (Some(check), Some(hook)) = (&app.secrets, &profile.webhook) {
        check
            .check(&hook.secret_ref)
            .await
            .map_err(ApiError::from)?;
    }
    // The change is kept with who made it and the values before and after, and the LA is told
    // in its inbox, in the same write as the profile itself.
    let before = app.notifications.profile(&profile.org).await?;
    let change = ProfileChange::between(before.as_ref(), &profile, &caller.0, profile.updated_at);
    app.profile_history.save(&profile, change.as_ref()).await?;
    tracing::info!(
        org = %profile.org, webhook = profile.webhook.is_some(),
        changed = change.as_ref().map_or(0, |c| c.changed.len()),
        webhook_changed = change.as_ref().is_some_and(ProfileChange::touches_webhook),
        "LA profile written"
    );
    Ok(Json(profile))
}

/// An LA profile's changes, newest first (an LA reads its own only; operators any).
async fn profile_history(
    State(app): Shared,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = org_of(&raw)?;
    if caller.0.role == Role::LocalAuthority && caller.0.org != org {
        return Err(ApiError::from(
            Problem::new(ErrorCode::NotFound).detail("no profile is held for that organisation"),
        ));
    }
    let changes = app.profile_history.changes(&org).await?;
    Ok(Json(serde_json::json!({ "items": changes })))
}
