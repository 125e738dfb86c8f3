//! Scheduled reconciliation keeps the index honest, idempotently and resumably:
//! 1. retention: deletes items past their `expiresAt` even where TTL has not fired;
//! 2. lost alerts: re-drives accesses still pending fan-out after five minutes;
//! 3. extract reconciliation: each LA's latest full extract against the plans the index holds;
//! 4. data quality: unborn-child plans long past due, plans open for years, missing EDT phones;
//! 5. dead letters: failed notifications per LA and the dead-letter queue's depth, for operators;
//! 6. overdue alerts: alerts not acknowledged within their LA's window are escalated, once
//!    (`cpindex::overdue`), at every step.
//!
//! The table is read as a parallel scan in bounded pages. After every page the segment's position
//! and findings are checkpointed, so a run stopped by the Lambda time limit resumes where it was.

pub mod ops;
pub mod report;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use adapters::queue::SqsQueue;
use adapters::store::access::AccessStore;
use adapters::store::extracts::ExtractStore;
use adapters::store::indicators::IndicatorStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::overdue::{Escalated, OverdueStore};
use adapters::store::plans::PlanStore;
use adapters::store::reports::ReportStore;
use adapters::store::runs::{RunState, RunStore};
use adapters::store::scan::{self, Scanned, ScannedItem};
use adapters::store::{StoreError, Table};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cpindex::indicators::Counter;
use cpindex::indicators::IsoWeek;
use cpindex::notification::{DeliveryMessage, DeliveryStatus, Notification};
use cpindex::overdue::{AckWindow, OverdueAlert};
use cpindex::plan::{PlanStatus, PlanType};
use cpindex::{Clock, OrgCode, Retention};
use cpindex::{PlanRecord, PlanState};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::report::{
    DeadLetters, ExtractSummary, LaReport, Listed, NotInIndex, OperatorReport, SegmentFindings,
    VersionMismatch,
};

/// Most items one scan page reads. A page's findings are one item, and each scanned item adds
/// at most one LA entry and three listed plans to it, so this bounds that item well inside
/// DynamoDB's 400 KB (checked at the worst case in `report`'s tests).
pub const MAX_PAGE_ITEMS: usize = 250;

/// Tunables (defaults suit production; tests shrink pages to force many checkpoints).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub segments: u32,
    pub page_size: usize,
    /// Accesses pending fan-out longer than this are re-driven.
    pub pending_after: Duration,
    /// Plans open longer than this many years are flagged.
    pub open_years: u32,
    /// Unborn-child plans this long past the expected due date are flagged (eight weeks).
    pub due_grace: Duration,
    /// A new pass starts only this long after the last one started (`None`: as soon as it is
    /// complete). The schedule steps every few minutes so that lost alerts are re-driven
    /// promptly; a whole pass at every step would cost nearly a hundred times more.
    pub pass_every: Option<Duration>,
    /// How long an alert may wait unacknowledged where its LA's profile does not say.
    pub ack_window: AckWindow,
}

/// The scheduled function's pass interval: one full pass a day (a little under, so that the
/// steps' granularity does not push the start later each day).
pub const DAILY_PASS: Duration = Duration::hours(23);

/// How long after an alert was escalated a step that finds it still waiting takes the escalating
/// step for dead and queues the overdue notice itself (a step queues its notice within
/// milliseconds of escalating; steps run every 15 minutes).
pub const OVERDUE_REQUEUE_AFTER: chrono::Duration = chrono::Duration::minutes(1);

impl Default for Settings {
    fn default() -> Self {
        Self {
            segments: 4,
            page_size: MAX_PAGE_ITEMS,
            pending_after: Duration::minutes(5),
            open_years: 5,
            due_grace: Duration::weeks(8),
            pass_every: None,
            ack_window: AckWindow::default(),
        }
    }
}

/// How much one invocation may do.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Stop starting pages after this instant (the Lambda deadline less a margin).
    pub deadline: Instant,
    /// Stop after this many pages in total (tests force a stop with it).
    pub max_pages: Option<usize>,
}

/// Why a run failed (it resumes from its checkpoints next time).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("the store failed")]
    Store(#[from] StoreError),
    #[error("the queue failed")]
    Queue(#[from] adapters::queue::QueueError),
}

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub run_id: String,
    /// True when every segment is done and the reports are written.
    pub complete: bool,
    pub pages: usize,
    pub alerts_redriven: u64,
    /// Alerts this step found overdue and sent again.
    #[serde(default)]
    pub alerts_escalated: u64,
    pub reports_written: usize,
    /// Another step holds the lease (the schedule's, or an operator's): this one did nothing.
    #[serde(default)]
    pub busy: bool,
}

/// How long past its own deadline a step's lease lasts: its last page's calls and checkpoint
/// (`CallTimeouts::bulk`) finish within it. A crashed step's lease lapses after this.
pub const LEASE_MARGIN: std::time::Duration = std::time::Duration::from_secs(120);

/// The latest full extract of every LA: plan reference -> version, the records the index did
/// not take, and a summary.
#[derive(Debug, Default)]
struct Extracts {
    versions: HashMap<(String, String), u64>,
    not_loaded: BTreeMap<String, Vec<NotInIndex>>,
    summaries: BTreeMap<String, ExtractSummary>,
}

/// What a dead-letter re-drive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Redrive {
    /// Messages sent back to delivery, their notifications reopened.
    pub redriven: usize,
    /// Messages that are not delivery messages: left in the dead-letter queue, not deleted.
    pub kept_unreadable: usize,
}

/// What a step works on.
enum Pass {
    /// An unfinished pass, or a new one.
    Work(RunState),
    /// Nothing: the last pass (this one) is complete and the next is not yet due.
    NotDue(RunState),
}

/// Everything reconciliation needs.
pub struct Reconciler<C> {
    pub table: Table,
    pub fanout: SqsQueue,
    /// The delivery queue and its DLQ (depth for the operator report; re-drive).
    pub delivery: SqsQueue,
    pub delivery_dlq: SqsQueue,
    pub clock: C,
    pub retention: Retention,
    pub settings: Settings,
}

impl<C: Clock> Reconciler<C> {
    /// The one wiring of reconciliation (both binaries, the local stack, the tests and the
    /// benchmarks): the table (with bulk timeouts), the alert queues, the retention rule and
    /// a clock, with the default settings.
    pub fn new(
        table: Table,
        fanout: SqsQueue,
        delivery: SqsQueue,
        delivery_dlq: SqsQueue,
        retention: Retention,
        clock: C,
    ) -> Self {
        Self {
            table,
            fanout,
            delivery,
            delivery_dlq,
            clock,
            retention,
            settings: Settings::default(),
        }
    }

    /// The default acknowledgement window in force (main reads `ALERT_ACK_HOURS`).
    pub fn with_ack_window(mut self, window: AckWindow) -> Self {
        self.settings.ack_window = window;
        self
    }

    /// The same reconciler with other settings (smaller pages and segments in tests).
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }
}

impl Reconciler<cpindex::SystemClock> {
    /// The reconciler Lambda runs (both binaries): clients built once, names from the environment.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, cpindex::config::ConfigError> {
        use adapters::aws::{queue_from_env, table_from_env};
        use cpindex::config::{self, env};
        Ok(Self::new(
            table_from_env(sdk)?,
            queue_from_env(sdk, env::ALERT_FANOUT_QUEUE_URL)?,
            queue_from_env(sdk, env::ALERT_DELIVERY_QUEUE_URL)?,
            queue_from_env(sdk, env::ALERT_DELIVERY_DLQ_URL)?,
            config::retention()?,
            cpindex::SystemClock,
        )
        .with_ack_window(config::ack_window()?))
    }
}

impl<C: Clock> Reconciler<C> {
    /// One invocation: re-drive lost alerts, then continue (or start) the scan within `budget`,
    /// and write the reports when the scan is complete. Only one step runs at a time: a step
    /// that finds the lease held answers `busy` and changes nothing.
    pub async fn run(&self, budget: Budget) -> Result<RunOutcome, ReconcileError> {
        let runs = self.runs();
        let holder = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let lasts = budget.deadline.saturating_duration_since(Instant::now()) + LEASE_MARGIN;
        let until = now + chrono::Duration::from_std(lasts).unwrap_or(chrono::Duration::hours(1));
        if !runs.take_lease(&holder, now, until).await? {
            tracing::info!("reconciliation step skipped: another step holds the lease");
            return Ok(RunOutcome {
                run_id: runs.current().await?.map(|s| s.run_id).unwrap_or_default(),
                complete: false,
                pages: 0,
                alerts_redriven: 0,
                alerts_escalated: 0,
                reports_written: 0,
                busy: true,
            });
        }
        let outcome = self.run_leased(budget).await;
        if let Err(e) = runs.release_lease(&holder).await {
            // It lapses by itself after its margin.
            tracing::warn!(error = %cpindex::log::chain(&e), "reconciliation lease not released");
        }
        outcome
    }

    async fn run_leased(&self, budget: Budget) -> Result<RunOutcome, ReconcileError> {
        let now = self.clock.now();
        let alerts_redriven = self.redrive_lost_alerts(now).await?;
        let alerts_escalated = self.escalate_overdue_alerts(now).await?;
        let state = match self.current_or_new_run(now).await? {
            Pass::Work(state) => state,
            Pass::NotDue(last) => {
                tracing::info!(run_id = %last.run_id, alerts_redriven, "reconciliation step: the last pass is complete and the next is not due");
                return Ok(RunOutcome {
                    run_id: last.run_id,
                    complete: true,
                    pages: 0,
                    alerts_redriven,
                    alerts_escalated,
                    reports_written: 0,
                    busy: false,
                });
            }
        };
        let extracts = self.load_extracts().await?;
        let mut pages = 0;
        let pages_per_segment = budget
            .max_pages
            .map(|m| m.div_ceil(state.segments as usize));
        let results = stream::iter(0..state.segments)
            .map(|seg| self.scan_segment(&state, seg, &extracts, now, budget, pages_per_segment))
            .buffer_unordered(state.segments as usize)
            .collect::<Vec<_>>()
            .await;
        let mut all_done = true;
        for r in results {
            let (done, p) = r?;
            pages += p;
            all_done &= done;
        }
        let mut outcome = RunOutcome {
            run_id: state.run_id.clone(),
            complete: false,
            pages,
            alerts_redriven,
            alerts_escalated,
            reports_written: 0,
            busy: false,
        };
        if all_done {
            outcome.reports_written = self.finish(&state, &extracts, alerts_redriven).await?;
            outcome.complete = true;
        }
        tracing::info!(run_id = %outcome.run_id, pages, complete = outcome.complete, alerts_redriven, "reconciliation step");
        Ok(outcome)
    }

    /// Accesses pending fan-out for too long go back on the fan-out queue (fan-out is idempotent).
    pub async fn redrive_lost_alerts(&self, now: DateTime<Utc>) -> Result<u64, ReconcileError> {
        let accesses = AccessStore::new(self.table.clone());
        let stuck = accesses
            .pending_before(now - self.settings.pending_after, 1000)
            .await?;
        for chunk in stuck.chunks(adapters::queue::MAX_SEND_BATCH) {
            let bodies = chunk
                .iter()
                .map(|a| serde_json::to_string(a).expect("an access serialises"))
                .collect();
            self.fanout.send_batch(bodies).await?;
        }
        if !stuck.is_empty() {
            tracing::warn!(
                count = stuck.len(),
                "re-drove accesses whose fan-out never confirmed"
            );
        }
        Ok(stuck.len() as u64)
    }

    /// Alerts past their LA's acknowledgement window and still unacknowledged become overdue:
    /// marked, sent once more as `alert_overdue` (the transaction that marks the alert writes
    /// the notification, so exactly one step does), listed open for the LA and the operators,
    /// counted. Then every LA with open overdue alerts is logged with their count (the alarm's
    /// metric). Returns how many this step escalated.
    pub async fn escalate_overdue_alerts(&self, now: DateTime<Utc>) -> Result<u64, ReconcileError> {
        let overdue = OverdueStore::new(self.table.clone());
        let notifications = NotificationStore::new(self.table.clone());
        let windows: HashMap<OrgCode, AckWindow> = notifications
            .profiles()
            .await?
            .into_iter()
            .filter_map(|p| p.acknowledge_within_hours.map(|w| (p.org, w)))
            .collect();
        let mut escalated = 0;
        let mut deliveries = Vec::new();
        for waiting in overdue.waiting_until(now).await? {
            let window = windows
                .get(&waiting.la)
                .copied()
                .unwrap_or(self.settings.ack_window);
            let deadline = window.deadline(waiting.seen_at);
            if deadline > now {
                // Looked at again at its LA's deadline, not at every step until then.
                overdue.postpone(&waiting, deadline).await?;
                continue;
            }
            let Some(alert) = notifications.get(&waiting.notification_id).await? else {
                overdue.done_waiting(&waiting).await?;
                continue;
            };
            if alert
                .overdue_at
                .is_some_and(|at| now - at < OVERDUE_REQUEUE_AFTER)
            {
                // Escalated this moment by a step still running (two steps racing): that step
                // queues its notice and ends the wait; if it dies first, the next step finds
                // the alert still waiting and queues the notice then. Queued by both, the
                // notice could be posted twice at once.
                continue;
            }
            if alert.acknowledged_at.is_none() {
                let note = Notification::overdue(&alert, deadline, now);
                // Already overdue: an earlier step escalated it and died before its notice was
                // queued, so it is queued again (delivery skips one already final).
                let mut send = alert.overdue_at.is_some();
                if alert.overdue_at.is_none() {
                    let listed = OverdueAlert {
                        la: alert.la.clone(),
                        notification_id: alert.notification_id.clone(),
                        overdue_notification_id: note.notification_id.clone(),
                        seen_at: alert.seen_at,
                        deadline,
                        overdue_at: now,
                        setting_code: alert.setting_code.clone(),
                        setting_name: alert.setting_name.clone(),
                    };
                    if overdue.escalate(&alert, &note, &listed).await? == Escalated::Now {
                        send = true;
                        escalated += 1;
                        self.indicators()
                            .add_or_log(
                                &alert.la,
                                IsoWeek::of(alert.seen_at),
                                &[(Counter::AlertOverdue, 1)],
                            )
                            .await;
                    }
                }
                if send {
                    deliveries.push(
                        serde_json::to_string(&DeliveryMessage {
                            notification_id: note.notification_id,
                        })
                        .expect("a delivery message serialises"),
                    );
                }
            }
            // Queued before the alert stops waiting, so a step that dies here is repeated.
            for chunk in deliveries.chunks(adapters::queue::MAX_SEND_BATCH) {
                self.delivery.send_batch(chunk.to_vec()).await?;
            }
            deliveries.clear();
            overdue.done_waiting(&waiting).await?;
        }
        let mut open: BTreeMap<OrgCode, usize> = BTreeMap::new();
        for a in overdue.open().await? {
            *open.entry(a.la).or_default() += 1;
        }
        for (la, count) in &open {
            tracing::warn!(
                event = cpindex::log::LA_ALERTS_OVERDUE,
                la = %la,
                overdue = count,
                "alerts not acknowledged in time"
            );
        }
        if escalated > 0 {
            tracing::warn!(escalated, "overdue alerts sent again");
        }
        Ok(escalated)
    }

    fn runs(&self) -> RunStore {
        RunStore::new(self.table.clone())
    }

    /// The reconciliation reports (the LAs' and the operators').
    pub fn reports(&self) -> ReportStore {
        ReportStore::new(self.table.clone())
    }

    fn extracts(&self) -> ExtractStore {
        ExtractStore::new(self.table.clone())
    }

    fn indicators(&self) -> IndicatorStore {
        IndicatorStore::new(self.table.clone())
    }

    async fn current_or_new_run(&self, now: DateTime<Utc>) -> Result<Pass, ReconcileError> {
        if let Some(state) = self.runs().current().await? {
            if !state.complete {
                return Ok(Pass::Work(state));
            }
            if self
                .settings
                .pass_every
                .is_some_and(|every| now - state.started_at < every)
            {
                return Ok(Pass::NotDue(state));
            }
        }
        let state = RunState {
            run_id: uuid::Uuid::new_v4().to_string(),
            started_at: now,
            segments: self.settings.segments,
            complete: false,
        };
        self.runs().put_state(&state).await?;
        Ok(Pass::Work(state))
    }

    async fn load_extracts(&self) -> Result<Extracts, ReconcileError> {
        let mut out = Extracts::default();
        let extracts = self.extracts();
        for org in extracts.orgs_with_extracts().await? {
            let Some(parts) = extracts.latest(&org).await? else {
                continue;
            };
            // Records are counted by their reference, so a batch (or the whole extract) sent
            // again counts once; records without a readable reference count once per part.
            let mut refs = std::collections::BTreeSet::new();
            let mut unnamed = 0u64;
            let mut summary = None;
            let la = org.as_str().to_owned();
            for part in parts {
                for e in &part.entries {
                    out.versions.insert(
                        (la.clone(), e.plan_ref.as_str().to_owned()),
                        e.source_version,
                    );
                    refs.insert(e.plan_ref.as_str().to_owned());
                }
                for n in &part.not_loaded {
                    match &n.plan_ref {
                        Some(r) => {
                            refs.insert(r.clone());
                        }
                        None => unnamed += 1,
                    }
                    out.not_loaded
                        .entry(la.clone())
                        .or_default()
                        .push(NotInIndex {
                            plan_ref: n.plan_ref.clone(),
                            code: n.code.clone(),
                            field: n.field.clone(),
                            batch_id: part.batch_id.clone(),
                            index: n.index,
                            line: n.line,
                            column: n.line.and_then(|_| {
                                n.field
                                    .as_deref()
                                    .and_then(cpindex::csv_extract::column_for_field)
                                    .map(str::to_owned)
                            }),
                        });
                }
                summary.get_or_insert((part.extract_id.clone(), part.received_at));
            }
            if let Some((extract_id, received_at)) = summary {
                out.summaries.insert(
                    la,
                    ExtractSummary {
                        extract_id,
                        received_at,
                        count: refs.len() as u64 + unnamed,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Scans one segment from its checkpoint until it ends or the budget runs out.
    /// Returns whether the segment is done and how many pages this call read.
    async fn scan_segment(
        &self,
        state: &RunState,
        seg: u32,
        extracts: &Extracts,
        now: DateTime<Utc>,
        budget: Budget,
        max_pages: Option<usize>,
    ) -> Result<(bool, usize), ReconcileError> {
        let mut cp = self.runs().checkpoint(&state.run_id, seg).await?;
        let mut pages = 0;
        let page_size = self.settings.page_size.clamp(1, MAX_PAGE_ITEMS);
        while !cp.done {
            if Instant::now() >= budget.deadline || max_pages.is_some_and(|m| pages >= m) {
                return Ok((false, pages));
            }
            let (items, next) = scan::page(
                &self.table,
                seg,
                state.segments,
                page_size,
                cp.position.take(),
            )
            .await?;
            // Each page's findings are kept apart (merged at the end): no item grows with the
            // number of pages or LAs.
            let mut found = SegmentFindings::default();
            for item in items {
                self.examine(item, extracts, now, &mut found).await?;
            }
            pages += 1;
            cp.pages += 1;
            cp.done = next.is_none();
            cp.position = next;
            let keep_until = now + Duration::days(cpindex::keys::keep::CHECKPOINT_DAYS);
            self.runs()
                .save_page(&state.run_id, seg, &cp, &found, keep_until)
                .await?;
        }
        Ok((true, pages))
    }

    /// Looks at one item: deletes it if past retention, otherwise adds what it shows to the findings.
    async fn examine(
        &self,
        item: ScannedItem,
        extracts: &Extracts,
        now: DateTime<Utc>,
        f: &mut SegmentFindings,
    ) -> Result<(), ReconcileError> {
        f.scanned += 1;
        if matches!(item.kind, Scanned::Bookkeeping) {
            return Ok(());
        }
        if item.expires_at.is_some_and(|at| at <= now.timestamp()) {
            if scan::delete_expired(&self.table, &item).await? {
                f.deleted += 1;
            }
            // A live plan's projection (in the child's partition, outside the scanned index)
            // carries the record's expiry and goes with it.
            if let Scanned::PlanRecord(record) = &item.kind {
                if record.state == PlanState::Live {
                    let projection = scan::ScannedItem {
                        pk: cpindex::keys::key::child_pk(&record.child),
                        sk: cpindex::keys::key::child_plan_sk(&record.org, &record.plan_ref),
                        expires_at: item.expires_at,
                        kind: Scanned::Other(Some(cpindex::keys::Entity::PlanProjection)),
                    };
                    if scan::delete_expired(&self.table, &projection).await? {
                        f.deleted += 1;
                    }
                }
            }
            return Ok(());
        }
        match item.kind {
            Scanned::PlanRecord(record) => {
                // The retention setting may have changed since the record was written: its expiry
                // (and its projection's) follows the setting in force, so the change reaches items
                // already stored (the next run deletes those now past it).
                let plans = PlanStore::new(self.table.clone(), self.retention);
                if plans.expiry_of(&record) != item.expires_at && plans.restamp(&record).await? {
                    f.restamped += 1;
                }
                if record.state == PlanState::Live {
                    f.plans += 1;
                    self.examine_plan(&record, extracts, now.date_naive(), f);
                    self.examine_sharing(&record, now.date_naive(), f).await?;
                }
            }
            Scanned::Notification(n) => {
                if n.status == DeliveryStatus::Failed {
                    let la = f.per_la.entry(n.la.as_str().to_owned()).or_default();
                    la.failed_notifications += 1;
                    if la.oldest_failed.is_none_or(|o| n.seen_at < o) {
                        la.oldest_failed = Some(n.seen_at);
                        la.oldest_failed_error = n.last_error.clone();
                    }
                }
            }
            Scanned::Unmatched(u) => {
                let live = u.state == cpindex::unmatched::UnmatchedState::Unmatched
                    && u.plan.status(now.date_naive(), self.retention)
                        != cpindex::PlanStatus::Expired;
                if live {
                    let la = f.per_la.entry(u.org.as_str().to_owned()).or_default();
                    la.unmatched.push(u.plan.plan.plan_ref.as_str().to_owned());
                }
            }
            Scanned::Bookkeeping | Scanned::Other(_) => {}
        }
        Ok(())
    }

    /// Children held by two or more LAs, read only where a record says it was put on a child
    /// another LA held (`shared_since`; no read for any other plan). Each child is counted
    /// once, from the plan put on it last (whose write found the others): then once for the
    /// index and once for each LA holding an active plan on it.
    async fn examine_sharing(
        &self,
        r: &PlanRecord,
        today: NaiveDate,
        f: &mut SegmentFindings,
    ) -> Result<(), ReconcileError> {
        if r.shared_since.is_none() || r.plan.status(today, self.retention) != PlanStatus::Active {
            return Ok(());
        }
        let plans = PlanStore::new(self.table.clone(), self.retention);
        let active: Vec<_> = plans
            .projections_for(&r.child)
            .await?
            .into_iter()
            .filter(|p| {
                p.live_plan()
                    .is_some_and(|plan| plan.status(today, self.retention) == PlanStatus::Active)
            })
            .collect();
        let last = active.iter().max_by(|a, b| {
            (a.held_since, &a.org, &a.plan_ref).cmp(&(b.held_since, &b.org, &b.plan_ref))
        });
        if last.is_none_or(|p| p.org != r.org || p.plan_ref != r.plan_ref) {
            return Ok(());
        }
        let mut las: Vec<&OrgCode> = active.iter().map(|p| &p.org).collect();
        las.sort();
        las.dedup();
        if las.len() < 2 {
            return Ok(());
        }
        f.shared_children += 1;
        for la in las {
            f.per_la
                .entry(la.as_str().to_owned())
                .or_default()
                .shared_children += 1;
        }
        Ok(())
    }

    fn examine_plan(
        &self,
        r: &PlanRecord,
        extracts: &Extracts,
        today: NaiveDate,
        f: &mut SegmentFindings,
    ) {
        let org = r.org.as_str().to_owned();
        let la = f.per_la.entry(org.clone()).or_default();
        if r.plan.status(today, self.retention) != PlanStatus::Active {
            return;
        }
        la.index_count += 1;
        *la.active_by_type.entry(r.plan.plan_type).or_default() += 1;
        let plan_ref = r.plan_ref.as_str().to_owned();
        if extracts.summaries.contains_key(&org) {
            match extracts.versions.get(&(org, plan_ref.clone())) {
                None => la.not_in_extract.push(plan_ref.clone()),
                Some(v) if *v != r.source_version => la.version_mismatches.push(VersionMismatch {
                    plan_ref: plan_ref.clone(),
                    index_version: r.source_version,
                    extract_version: *v,
                }),
                Some(_) => {}
            }
        }
        if r.plan.plan_type == PlanType::Ucpp {
            if let Some(due) = r.plan.expected_due_date {
                if today > due + self.settings.due_grace {
                    la.unborn_past_due.push(plan_ref.clone());
                }
            }
        }
        let years_open = today.years_since(r.plan.start_date).unwrap_or(0);
        if r.plan.end_date.is_none() && years_open >= self.settings.open_years {
            la.open_too_long.push(plan_ref);
        }
    }

    /// Merges every segment's findings and writes the reports; marks the run complete.
    async fn finish(
        &self,
        state: &RunState,
        extracts: &Extracts,
        alerts_redriven: u64,
    ) -> Result<usize, ReconcileError> {
        let now = self.clock.now();
        let mut all = SegmentFindings::default();
        for seg in 0..state.segments {
            let cp = self.runs().checkpoint(&state.run_id, seg).await?;
            let pages: Vec<SegmentFindings> =
                self.runs().pages(&state.run_id, seg, cp.pages).await?;
            for page in pages {
                all.merge(page);
            }
        }
        let profiles = NotificationStore::new(self.table.clone())
            .profiles()
            .await?;
        let missing_edt: BTreeMap<String, bool> = profiles
            .iter()
            .map(|p| (p.org.as_str().to_owned(), p.emergency_duty_phone.is_none()))
            .collect();
        let mut las: Vec<String> = all.per_la.keys().cloned().collect();
        las.extend(extracts.summaries.keys().cloned());
        las.extend(missing_edt.keys().cloned());
        las.sort();
        las.dedup();
        let mut written = 0;
        for la in &las {
            let Ok(org) = OrgCode::parse(la) else {
                continue;
            };
            let not_in_index = self
                .still_not_in_index(&org, extracts.not_loaded.get(la))
                .await?;
            let report = LaReport {
                run_id: state.run_id.clone(),
                la: la.clone(),
                generated_at: now,
                as_of: now.date_naive(),
                extract: extracts.summaries.get(la).cloned(),
                findings: all.per_la.get(la).cloned().unwrap_or_default(),
                not_in_index,
                profile_missing_emergency_phone: missing_edt.get(la).copied().unwrap_or(false),
            };
            let value = serde_json::to_value(&report).expect("a report serialises");
            // With the report, the LA's indicators for this week (independent writes): replaced
            // by each pass, so a pass run twice in a week leaves the later measurement.
            let state = report.indicator_state(now);
            let (reports, indicators) = (self.reports(), self.indicators());
            let (reported, measured) = tokio::join!(
                reports.put_la(&org, now, &value),
                indicators.put_state(&org, IsoWeek::of(now), &state, now),
            );
            reported?;
            measured?;
            written += 1;
        }
        let (dead_letters_by_la, dead_letters_by_la_total) = report::most_dead_letters(
            all.per_la
                .iter()
                .filter(|(_, f)| f.failed_notifications > 0)
                .map(|(la, f)| {
                    (
                        la.clone(),
                        DeadLetters {
                            failed: f.failed_notifications,
                            oldest_seen_at: f.oldest_failed,
                            last_error: f.oldest_failed_error.clone(),
                        },
                    )
                })
                .collect(),
        );
        let operator = OperatorReport {
            run_id: state.run_id.clone(),
            generated_at: now,
            scanned: all.scanned,
            plans: all.plans,
            deleted_past_retention: all.deleted,
            alerts_redriven,
            dead_letter_queue_depth: self.dlq_depth().await,
            dead_letters_by_la,
            dead_letters_by_la_total,
            children_held_by_two_or_more_las: all.shared_children,
            shared_children_by_la: report::most_shared(
                all.per_la
                    .iter()
                    .filter(|(_, f)| f.shared_children > 0)
                    .map(|(la, f)| (la.clone(), f.shared_children))
                    .collect(),
            ),
        };
        let value = serde_json::to_value(&operator).expect("a report serialises");
        self.reports().put_operator(now, &value).await?;
        self.runs()
            .put_state(&RunState {
                complete: true,
                ..state.clone()
            })
            .await?;
        Ok(written)
    }

    /// The extract's records the index did not take at upload and still does not hold live (a
    /// record fixed since, by a later upload, is no longer listed). One read per such record:
    /// there are few, and each is a child who is not found until it is fixed.
    async fn still_not_in_index(
        &self,
        org: &OrgCode,
        not_loaded: Option<&Vec<NotInIndex>>,
    ) -> Result<Listed<NotInIndex>, ReconcileError> {
        let plans = PlanStore::new(self.table.clone(), self.retention);
        let mut out = Listed::default();
        let mut seen = std::collections::BTreeSet::new();
        for n in not_loaded.into_iter().flatten() {
            if let Some(r) = &n.plan_ref {
                if !seen.insert(r.clone()) {
                    continue;
                }
                if let Ok(plan_ref) = cpindex::PlanRef::parse(r, "") {
                    if let Some(record) = plans.get(org, &plan_ref).await? {
                        if record.state == PlanState::Live {
                            continue;
                        }
                    }
                }
            }
            out.push(n.clone());
        }
        Ok(out)
    }

    /// Messages waiting in the delivery DLQ (`None` when the queue cannot be read).
    pub async fn dlq_depth(&self) -> Option<u64> {
        self.delivery_dlq.depth().await.ok()
    }

    /// Operator command: moves dead-lettered deliveries back to the delivery queue and returns
    /// their notifications to pending, so delivery tries again. A message that is not a delivery
    /// message is never deleted: it stays in the dead-letter queue (for its 14 days) and is
    /// counted as kept, for an operator to inspect.
    pub async fn redrive_dead_letters(
        &self,
        max: usize,
        deadline: Instant,
    ) -> Result<Redrive, ReconcileError> {
        let notifications = NotificationStore::new(self.table.clone());
        let mut out = Redrive::default();
        let mut kept = std::collections::HashSet::new();
        while out.redriven < max && Instant::now() < deadline {
            let msgs = self.delivery_dlq.receive(10).await?;
            let mut new = false;
            for m in msgs {
                match serde_json::from_str::<DeliveryMessage>(&m.body) {
                    Ok(d) => {
                        notifications.reopen(&d.notification_id).await?;
                        self.delivery.send(m.body).await?;
                        self.delivery_dlq.delete(&m.receipt).await?;
                        out.redriven += 1;
                        new = true;
                    }
                    Err(e) => {
                        if kept.insert(m.id.clone()) {
                            tracing::error!(message_id = %m.id, error = %cpindex::log::chain(&e), "dead letter is not a delivery message: kept in the queue");
                            out.kept_unreadable += 1;
                            new = true;
                        }
                    }
                }
            }
            // Nothing received, or only messages already kept: the queue has nothing more.
            if !new {
                break;
            }
        }
        Ok(out)
    }
}
