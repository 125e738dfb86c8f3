//! Lookup: what a clinician sees when a child presents. The plan read and the access write are
//! issued together (one store round trip of latency); only a child with a plan record takes a
//! second, the hand-off to the alert queue (the lean path: docs/ARCHITECTURE.md "Lookup"). A
//! failure to read answers 503, never "no record". The child's partition is found by its child key
//! (`cpindex::child_key`), computed here from the NHS number with a secret loaded at start: no
//! stored access or queued alert holds the number. Operators read the same trail by NHS number.

mod child_search;
pub mod fhir;
pub mod fhir_routes;
pub mod view;

use std::sync::Arc;

use adapters::edge::{serve, ApiError, Caller, DenialAudit};
use adapters::store::access::{Trail, Window};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use cpindex::access::{visits_to_show, Access, AccessCursor, AccessOutcome, AuditPurpose};
use cpindex::answers::AccessView;
use cpindex::fhir::RequestIds;
use cpindex::missed::MissedAppointment;
use cpindex::problem::{ErrorCode, FieldError, Problem};
use cpindex::routes;
use cpindex::{ActiveKeys, ChildKey, Claims, Clock, Keyring, NhsNumber, Retention};

use crate::view::{plans_to_show, ChildView};
use adapters::key_guard::{require_key, KeyFault, KeyGuard};
use adapters::profile_cache::ProfileCache;
use adapters::queue::SqsQueue;
use adapters::store::access::AccessStore;
use adapters::store::plans::PlanStore;
use adapters::store::usage::UsageStore;
use adapters::store::Table;
use cpindex::transfer::TransferWindow;
use cpindex::usage::{UsageCap, Use};

/// Raw visit records read to fill the 25 shown after collapsing repeats.
pub const VISITS_READ: usize = 100;

/// Accesses listed on one page of an operator's audit of one NHS number (the `Link` header leads
/// to the next).
pub const AUDIT_LIMIT: usize = 200;

/// An audit read's query: the page, and why the trail is read (required).
#[derive(Debug, serde::Deserialize)]
struct AuditQuery {
    cursor: Option<String>,
    purpose: Option<String>,
}

/// Everything a lookup needs: the child's partition (read its plans and visits, append an
/// access, mark it pending) and the alert queue: `Query`, `PutItem`, `SendMessage`.
pub struct App {
    plans: PlanStore,
    accesses: AccessStore,
    queue: SqsQueue,
    clock: Arc<dyn Clock>,
    retention: Retention,
    /// How long a transfer out still alerts its LA (`cpindex::transfer`).
    transfer_window: TransferWindow,
    /// Every LA's profile: whom the clinician calls.
    profiles: ProfileCache,
    /// Resolves the keys that turn the NHS number asked about into the child's key(s), and
    /// refuses every request while the secret does not hold every key the data is under.
    key_guard: KeyGuard,
    /// Each user's lookups per hour, and the cap on them (`cpindex::usage`).
    usage: UsageStore,
    cap: UsageCap,
    /// Demographic entries and searches (`cpindex::demographics`).
    demographics: adapters::store::demographics::DemographicIndex,
}

impl App {
    /// The one wiring of the lookup: main, the local stack, the tests and the benchmarks all
    /// build it here.
    pub fn new(
        table: Table,
        queue: SqsQueue,
        keys: impl Into<Keyring>,
        retention: Retention,
        clock: impl Clock + 'static,
    ) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        Self {
            plans: PlanStore::new(table.clone(), retention),
            accesses: AccessStore::new(table.clone()),
            profiles: ProfileCache::new(table.clone()),
            usage: UsageStore::new(table.clone()),
            cap: UsageCap::default(),
            demographics: adapters::store::demographics::DemographicIndex::new(table.clone()),
            queue,
            retention,
            transfer_window: TransferWindow::default(),
            key_guard: KeyGuard::new(table, keys.into(), clock.clone()),
            clock,
        }
    }

    /// The transfer window in force (main reads `TRANSFER_WINDOW_DAYS`; the default is 30 days).
    pub fn with_transfer_window(mut self, window: TransferWindow) -> Self {
        self.transfer_window = window;
        self
    }

    /// The cap on each user's lookups per hour (main reads `LOOKUP_CAP_PER_HOUR`; the default
    /// is `cpindex::usage::DEFAULT_CAP_PER_HOUR`).
    pub fn with_usage_cap(mut self, cap: UsageCap) -> Self {
        self.cap = cap;
        self
    }

    /// Re-reads the key state this often (tests of a rotation; the default is
    /// `cpindex::key_state::KEY_STATE_REFRESH`).
    pub fn with_key_refresh(mut self, every: std::time::Duration) -> Self {
        self.key_guard = self.key_guard.refreshing_every(every);
        self
    }

    /// Compares the child keys with the data's now, and reads the LAs' profiles (main calls it
    /// at start, so no request pays for either); a key fault is logged, and every request
    /// answers 503 until the keys are right.
    pub async fn check_key(&self) -> Result<(), KeyFault> {
        if let Err(e) = self.profiles.holding([]).await {
            tracing::warn!(error = %cpindex::log::chain(&e), "LA profiles not read at start; the first lookup reads them");
        }
        self.key_guard.keys().await.map(|_| ())
    }
}

/// The router served by Lambda: the route plus problem-details 404s.
pub fn router(app: App) -> Router {
    routes(app)
        .fallback(adapters::edge::not_found)
        .layer(axum::middleware::from_fn(adapters::edge::problems_only))
        .layer(axum::middleware::from_fn(fhir_routes::outcomes_only))
        .layer(axum::middleware::from_fn(adapters::edge::api_headers))
}

/// This function's routes alone, for the local stack to combine with the others.
pub fn routes(app: App) -> Router {
    let guard = app.key_guard.clone();
    let app = Arc::new(app);
    let audit = {
        let app = app.clone();
        DenialAudit::new(move |claims, parts| audit_denial(app.clone(), claims, parts))
    };
    // The lookups (JSON and FHIR) audit a refused role in the child's trail.
    let lookups = serve(Router::new(), &routes::GET_CHILD, lookup);
    let lookups = serve(lookups, &routes::FHIR_CARE_TEAM, fhir_routes::care_team);
    let lookups = serve(lookups, &routes::FHIR_AUDIT_EVENT, fhir_routes::audit_event);
    let lookups = serve(lookups, &routes::FHIR_FLAG, fhir_routes::flag).layer(Extension(audit));
    let r = serve(lookups, &routes::GET_CHILD_ACCESSES, audit_trail);
    let r = serve(r, &routes::POST_MISSED_APPOINTMENT, missed_appointment);
    let r = serve(r, &routes::POST_CHILD_SEARCH, child_search::child_search);
    serve(r, &routes::FHIR_METADATA, fhir_routes::metadata)
        .method_not_allowed_fallback(adapters::edge::method_not_allowed)
        .layer(axum::middleware::from_fn(fhir_routes::outcomes_only))
        .route_layer(axum::middleware::from_fn_with_state(guard, require_key))
        .with_state(app)
}

/// A role the route refuses is audited in the child's own trail too (the refusal stands even if
/// the audit write fails).
async fn audit_denial(app: Arc<App>, claims: Claims, mut parts: Parts) {
    let Some(keys) = parts.extensions.get::<ActiveKeys>().cloned() else {
        return;
    };
    let nhs = match Path::<String>::from_request_parts(&mut parts, &()).await {
        Ok(Path(raw)) => NhsNumber::parse(&raw).ok(),
        // A FHIR search names the child in its query.
        Err(_) => fhir_routes::searched_nhs_number(parts.uri.query()).ok(),
    };
    let Some(nhs) = nhs else {
        return;
    };
    let access = Access::new(
        &claims,
        keys.write().of(&nhs),
        app.clock.now(),
        AccessOutcome::DeniedRole,
    );
    let (recorded, counted) = tokio::join!(
        app.accesses.record(&access),
        app.usage.count(&claims, access.at, Use::Refused)
    );
    if let Err(e) = recorded {
        tracing::error!(error = %cpindex::log::chain(&e), access_id = %access.access_id, "denied access not audited");
    }
    if let Err(e) = counted {
        tracing::warn!(error = %cpindex::log::chain(&e), "refused attempt not counted");
    }
    tracing::info!(access_id = %access.access_id, org = %claims.org, role = %claims.role, "lookup denied");
}

fn nhs_number(raw: &str, claims: &Claims) -> Result<NhsNumber, ApiError> {
    NhsNumber::parse(raw).map_err(|e| {
        tracing::info!(org = %claims.org, role = %claims.role, "refused: invalid NHS number");
        ApiError::from(FieldError::new(
            ErrorCode::InvalidNhsNumber,
            "/nhsNumber",
            e.to_string(),
        ))
    })
}

/// The index could not be read, or the access could not be made durable: answer 503, never
/// "no plan". (Logged where it happened.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

fn unavailable(what: &'static str, e: &dyn std::error::Error) -> Unavailable {
    tracing::warn!(error = %cpindex::log::chain(&e), what, "lookup could not complete");
    Unavailable
}

impl From<Unavailable> for ApiError {
    fn from(_: Unavailable) -> Self {
        ApiError::from(Problem::store_unavailable())
    }
}

/// Why a lookup was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnswered {
    /// See [`Unavailable`].
    Unavailable,
    /// The caller passed the hourly cap: refused until the hour ends, in this many seconds.
    OverCap { retry_after: u32 },
}

impl From<Unavailable> for NotAnswered {
    fn from(_: Unavailable) -> Self {
        NotAnswered::Unavailable
    }
}

impl From<NotAnswered> for ApiError {
    fn from(e: NotAnswered) -> Self {
        match e {
            NotAnswered::Unavailable => ApiError::from(Problem::store_unavailable()),
            NotAnswered::OverCap { retry_after } => ApiError::from(
                Problem::new(ErrorCode::TooManyLookups)
                    .detail(
                        "you have looked up more children this hour than the service allows \
                         one user; your organisation's privacy officer can see why",
                    )
                    .retry_after(retry_after),
            ),
        }
    }
}

/// One lookup, whichever view answers it (`/v1/children/...` or FHIR): the reads and the audit
/// record in one store round trip, and the alert hand-off in a second for an alerting access to
/// a child with a plan record.
/// `outcome` is [`AccessOutcome::Allowed`], or [`AccessOutcome::SilentRead`] for a read its
/// caller declared not an unscheduled access event.
pub async fn look_up(
    app: &App,
    keys: &ActiveKeys,
    claims: &Claims,
    nhs: NhsNumber,
    outcome: AccessOutcome,
) -> Result<ChildView, NotAnswered> {
    look_up_traced(app, keys, claims, nhs, outcome, RequestIds::default()).await
}

/// [`look_up`], recording the request's API platform ids with the access (FHIR searches).
pub async fn look_up_traced(
    app: &App,
    keys: &ActiveKeys,
    claims: &Claims,
    nhs: NhsNumber,
    outcome: AccessOutcome,
    ids: RequestIds,
) -> Result<ChildView, NotAnswered> {
    // The child's partition under every key the data may be under (more than one only while a
    // key rotation is under way: still one round trip, the reads run at once).
    let children = child_keys(keys, &nhs);
    let now = app.clock.now();
    let mut access = Access::new(claims, children[0].clone(), now, outcome);
    access.aliases = children[1..].to_vec();
    access.request_id = ids.request_id;
    access.correlation_id = ids.correlation_id;

    // One round trip: the reads, the audit write and the user's count for the hour (the cap
    // is read from it) all at once. The access is written before the read's outcome is known,
    // so it is not pending: a child with no plan costs nothing more (the lean path). A read
    // that alerts no one (scheduled care, or declared silent) is counted as silent.
    let used = if access.alerts() {
        Use::Lookup
    } else {
        Use::SilentLookup
    };
    let (plans, visits, written, counted) = tokio::join!(
        app.plans.plans_and_alerts_under(&children),
        app.accesses.recent_visits_under(&children, VISITS_READ),
        app.accesses.record_unqueued(&access),
        app.usage.count(claims, now, used),
    );
    // Past the cap nothing is answered. The attempt stays in the child's trail as the access it
    // was (made before the count came back), and reaches fan-out like any other, so an LA
    // still learns its child was asked about. A count that failed refuses no one: a clinician
    // is never turned away by a counter.
    let refused = match counted {
        Ok(n) if app.cap.refuses(n) => {
            if n == u64::from(app.cap.per_hour()) + 1 {
                tracing::warn!(event = cpindex::log::LOOKUP_CAP_PASSED, org = %claims.org, role = %claims.role, cap = app.cap.per_hour(), "a user passed the hourly lookup cap");
            }
            Some(NotAnswered::OverCap {
                retry_after: UsageCap::retry_after(now),
            })
        }
        Ok(n) => {
            if n == cpindex::usage::ATTENTION_PER_HOUR {
                tracing::warn!(event = cpindex::log::LOOKUP_VOLUME_HIGH, org = %claims.org, role = %claims.role, "a user's lookups this hour reached the attention threshold");
            }
            None
        }
        Err(e) => {
            tracing::warn!(error = %cpindex::log::chain(&e), access_id = %access.access_id, "lookup not counted");
            None
        }
    };
    // Whether the child has a plan record; a plan read that failed counts as yes, so no answer
    // (a 503, or over the cap) ever costs an LA its alert.
    let has_plans = plans.as_ref().map_or(true, |(p, _)| !p.is_empty());
    let handed = hand_over(app, &access, has_plans, written).await;
    if let Some(refused) = refused {
        return Err(refused);
    }
    let (plans, alerts) = plans.map_err(|e| unavailable("plans", &e))?;
    let visits = visits.map_err(|e| unavailable("visits", &e))?;
    handed?;
    // Whom to call: each LA's profile, from the shared copy (read again only when stale).
    let profiles = app
        .profiles
        .holding(
            plans
                .iter()
                .filter(|p| p.live_plan().is_some())
                .map(|p| &p.org),
        )
        .await
        .map_err(|e| unavailable("profiles", &e))?;
    // Visits only while the child had a plan: from when the earliest live plan was first held.
    let since = crate::view::visible_since(&plans);
    let plans = plans_to_show(
        &plans,
        &alerts,
        &profiles,
        now.date_naive(),
        app.retention,
        app.transfer_window,
    );
    let previous: Vec<Access> = visits
        .into_iter()
        .filter(|v| v.access_id != access.access_id && since.is_some_and(|s| v.at >= s))
        .collect();
    let view = ChildView::new(
        access.access_id.clone(),
        nhs,
        plans,
        visits_to_show(previous),
    );
    tracing::info!(
        access_id = %access.access_id, org = %claims.org, role = %claims.role,
        plans = view.plans.len(), ended_plans = view.ended_plans.len(), alerting = access.alerts(),
        outcome = ?access.outcome, "lookup answered"
    );
    Ok(view)
}

/// The second round trip, taken only where there is something to do. An alerting access to a
/// child that has any plan record (live or not: fan-out decides whom to tell) goes to fan-out
/// and is made pending at once, either being enough for the alert (reconciliation re-drives a
/// pending access). An access whose own write failed goes to fan-out too, which records it.
/// With neither durable, the read is not served (503): an unaudited read, or an alert that
/// could be lost. A race with a plan's first write is closed by the plan's recheck
/// (`cpindex::recheck`), not here.
async fn hand_over(
    app: &App,
    access: &Access,
    has_plans: bool,
    written: Result<(), adapters::store::StoreError>,
) -> Result<(), Unavailable> {
    let alerting = access.alerts() && has_plans;
    match written {
        Ok(()) if !alerting => Ok(()),
        Err(e) if !access.alerts() => Err(unavailable("access record", &e)),
        Ok(()) => {
            let (sent, pending) = tokio::join!(
                app.queue.enqueue_access(access),
                app.accesses.record_pending(access)
            );
            match (sent, pending) {
                (Ok(_), Ok(())) => Ok(()),
                (Err(e), Ok(())) => {
                    tracing::warn!(error = %cpindex::log::chain(&e), access_id = %access.access_id, "alert hand-off failed; reconciliation re-drives the pending access");
                    Ok(())
                }
                (Ok(_), Err(e)) => {
                    tracing::warn!(error = %cpindex::log::chain(&e), access_id = %access.access_id, "access not marked pending; the queue carries it");
                    Ok(())
                }
                (Err(_), Err(e)) => Err(unavailable("alert hand-off", &e)),
            }
        }
        Err(e) => {
            tracing::warn!(error = %cpindex::log::chain(&e), access_id = %access.access_id, "access write failed; fan-out records it from the queue");
            app.queue
                .enqueue_access(access)
                .await
                .map(|_| ())
                .map_err(|_| unavailable("access record", &e))
        }
    }
}

/// The child's key under each key the data may be under, the write key's first.
pub fn child_keys(keys: &ActiveKeys, nhs: &NhsNumber) -> Vec<ChildKey> {
    keys.all().iter().map(|k| k.of(nhs)).collect()
}

async fn lookup(
    State(app): State<Arc<App>>,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let claims = caller.0;
    let nhs = nhs_number(&raw, &claims)?;
    let view = look_up(&app, &keys, &claims, nhs, AccessOutcome::Allowed).await?;
    let mut resp = Json(view).into_response();
    // Personal data: never cached by a proxy or the browser.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Scheduled care records a missed appointment. Nothing about the child is read: the access
/// (by child key, with the appointment) is audited and handed to fan-out, which tells the LAs
/// whose plan is active and stores nothing more for any other child. So the answer is the same
/// for every valid NHS number, and the route tells no one who is on the index.
async fn missed_appointment(
    State(app): State<Arc<App>>,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let claims = caller.0;
    let nhs = nhs_number(&raw, &claims)?;
    let now = app.clock.now();
    let value = adapters::edge::json_body(&headers, &body)?;
    let missed = MissedAppointment::from_json(&value, now.date_naive())?;
    let children = child_keys(&keys, &nhs);
    let mut access = Access::new(
        &claims,
        children[0].clone(),
        now,
        AccessOutcome::MissedAppointment,
    );
    access.aliases = children[1..].to_vec();
    access.missed = Some(missed);
    let (written, sent) = tokio::join!(
        app.accesses.record(&access),
        app.queue.enqueue_access(&access)
    );
    // Durable in the table or the queue, as for a lookup; with neither, 503 (send it again).
    match (&written, &sent) {
        (Err(e), Err(_)) => return Err(unavailable("missed appointment record", e).into()),
        (Ok(()), Err(e)) => {
            tracing::warn!(error = %cpindex::log::chain(e), access_id = %access.access_id, "missed appointment hand-off failed; reconciliation re-drives it");
        }
        (Err(e), Ok(_)) => {
            tracing::warn!(error = %cpindex::log::chain(e), access_id = %access.access_id, "missed appointment write failed; fan-out records it from the queue");
        }
        _ => {}
    }
    tracing::info!(access_id = %access.access_id, org = %claims.org, role = %claims.role, "missed appointment recorded");
    let mut resp = (
        axum::http::StatusCode::ACCEPTED,
        Json(MissedAppointmentReceipt {
            missed_appointment_id: access.access_id,
            recorded_at: now,
        }),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The answer to a missed appointment: the same shape and status for every child.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MissedAppointmentReceipt {
    missed_appointment_id: String,
    recorded_at: chrono::DateTime<chrono::Utc>,
}

/// An operator's audit of one NHS number: every access (visits, silent reads, refusals, history
/// reads), whether or not the child ever had a plan. The read is audited in the same trail
/// before it is served.
async fn audit_trail(
    State(app): State<Arc<App>>,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    Path(raw): Path<String>,
    Query(q): Query<AuditQuery>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let claims = caller.0;
    let nhs = nhs_number(&raw, &claims)?;
    // No purpose, no read: nothing is recorded or counted for a refused one.
    let purpose = AuditPurpose::parse(q.purpose.as_deref())?;
    let cursor = q.cursor.as_deref().map(AccessCursor::parse).transpose()?;
    let children = child_keys(&keys, &nhs);
    let mut read = Access::new(
        &claims,
        children[0].clone(),
        app.clock.now(),
        AccessOutcome::HistoryRead,
    );
    read.purpose = Some(purpose);
    // Recorded (with its purpose) before it is served, and counted against the operator.
    let (recorded, counted) = tokio::join!(
        app.accesses.record(&read),
        app.usage.count(&claims, read.at, Use::AuditRead)
    );
    recorded.map_err(|e| unavailable("audit read record", &e))?;
    match counted {
        Ok(n) if n == cpindex::usage::AUDIT_READS_ATTENTION_PER_HOUR => {
            tracing::warn!(event = cpindex::log::AUDIT_READS_HIGH, org = %claims.org, "an operator's audit reads this hour reached the attention threshold");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %cpindex::log::chain(&e), "audit read not counted"),
    }
    // Every kind of access, in pages to the end of retention.
    let kinds = [Trail::Visits, Trail::SilentReads, Trail::Audit];
    // Under every key the child's partition may be under (during a key rotation, more than
    // one), merged into one order.
    let windows: Vec<Window> = children
        .iter()
        .map(|child| Window {
            child,
            from: None,
            to: read.at,
        })
        .collect();
    let page = app
        .accesses
        .history_page(&windows, &kinds, cursor.as_ref(), AUDIT_LIMIT)
        .await
        .map_err(|e| unavailable("audit trail", &e))?;
    tracing::info!(access_id = %read.access_id, org = %claims.org, accesses = page.accesses.len(), "audit trail read");
    let views: Vec<AccessView> = page
        .accesses
        .into_iter()
        .map(|l| AccessView::from((l.access, l.plan_found)))
        .collect();
    let mut resp = Json(views).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let purpose = read.purpose.as_ref().map_or("", |p| p.as_str());
    adapters::edge::link_next_keeping(
        &mut resp,
        uri.path(),
        page.next.map(|c| c.encode()),
        &[("purpose", purpose)],
    );
    Ok(resp)
}
