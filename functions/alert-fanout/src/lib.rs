//! Alert fan-out: turns one unscheduled-care access (or one missed appointment recorded by
//! scheduled care) into one notification per responsible LA (a looked-after child placed out of
//! area has two), idempotently, and queues each for delivery. Accesses of children without an
//! active plan are closed without a notification.

pub mod port;

use std::collections::BTreeMap;

use adapters::sqs_batch::{each, BatchResponse, QueueMessage};
use chrono::{DateTime, Utc};
use cpindex::access::{attendance_of, Access, AccessOutcome};
use cpindex::attendances::Attendances;
use cpindex::child_search::DemographicMatch;
use cpindex::indicators::{Counter, IsoWeek};
use cpindex::notification::{DeliveryMessage, Notification, NotificationKind};
use cpindex::plan::PlanStatus;
use cpindex::recheck::{FanoutMessage, Recheck};
use cpindex::transfer::{still_alerted_until, TransferWindow};
use cpindex::{Clock, NhsNumber, OrgCode, PlanType, Retention};

use crate::port::{DeliveryQueue, Stores};

/// Messages of one batch handled at once.
pub const CONCURRENCY: usize = 8;

/// Recent visits read to find the attendance an access belongs to (as many as a lookup reads).
pub const VISITS_READ: usize = 100;

/// Why one message failed (it is retried, then dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    #[error("the message is not an access or a recheck")]
    Poison(#[source] serde_json::Error),
    #[error("the store failed")]
    Store(#[from] adapters::store::StoreError),
    #[error("the delivery queue failed")]
    Queue(#[from] adapters::queue::QueueError),
}

/// What one LA is told: the child's number from its plan, its plan types, and since when it
/// has held a plan on the child.
struct Told {
    nhs: NhsNumber,
    plan_types: Vec<PlanType>,
    held_since: Option<DateTime<Utc>>,
}

/// What fan-out did with one access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanoutOutcome {
    /// The LAs notified (each exactly once, however often the access is redelivered).
    pub notified: Vec<OrgCode>,
    /// Notifications that already existed (a redelivery).
    pub already_existed: usize,
}

/// Everything fan-out needs.
pub struct Fanout<Q, C> {
    /// The stores: fan-out's table permissions, used whole, so they need no narrower port.
    pub store: Stores,
    pub queue: Q,
    pub clock: C,
    pub retention: Retention,
    /// How long a transfer out still alerts its LA.
    pub transfer_window: TransferWindow,
}

impl<Q, C> Fanout<Q, C> {
    /// The transfer window in force (main reads `TRANSFER_WINDOW_DAYS`; the default is 30 days).
    pub fn with_transfer_window(mut self, window: TransferWindow) -> Self {
        self.transfer_window = window;
        self
    }
}

impl<C: Clock> Fanout<adapters::queue::SqsQueue, C> {
    /// The one wiring of fan-out: main, the local stack, the tests and the benchmarks build it
    /// here.
    pub fn new(
        table: adapters::store::Table,
        queue: adapters::queue::SqsQueue,
        retention: Retention,
        clock: C,
    ) -> Self {
        Self {
            store: Stores::new(table, retention),
            queue,
            clock,
            retention,
            transfer_window: TransferWindow::default(),
        }
    }
}

impl<Q: DeliveryQueue, C: Clock> Fanout<Q, C> {
    /// Handles one access. Every step is idempotent, so a redelivery repeats it harmlessly.
    pub async fn fan_out(
        &self,
        access: &Access,
        now: DateTime<Utc>,
    ) -> Result<FanoutOutcome, FanoutError> {
        // The audit write (in case the lookup's was lost), the plan read and the visit read are
        // independent.
        // During a key rotation the access names the child under every key still read.
        let children: Vec<_> = access.child_keys().cloned().collect();
        let (recorded, plans, visits) = tokio::join!(
            self.store.accesses.record(access),
            self.store.plans.projections_under(&children),
            self.store
                .accesses
                .recent_visits_under(&children, VISITS_READ)
        );
        recorded?;
        let today = access.at.date_naive();
        // An LA is told of an access only if its plan was active and already held then: a plan
        // recorded after the visit does not open the visit to that LA. The NHS number the
        // notification carries comes from the plan (the access names the child only by key).
        // So is the LA of a plan ended as transferred out, inside the transfer window, while no
        // other LA holds the child (`cpindex::transfer`).
        let mut by_la: BTreeMap<OrgCode, Told> = BTreeMap::new();
        let plans = plans?;
        for p in &plans {
            let Some(plan) = p.live_plan() else { continue };
            let held = p.held_since.is_none_or(|since| since <= access.at);
            let alerted = plan.status(today, self.retention) == PlanStatus::Active
                || still_alerted_until(p, &plans, today, self.retention, self.transfer_window)
                    .is_some();
            if held && alerted {
                let told = by_la.entry(p.org.clone()).or_insert_with(|| Told {
                    nhs: plan.nhs_number,
                    plan_types: Vec::new(),
                    held_since: p.held_since,
                });
                told.plan_types.push(plan.plan_type);
                // The earliest of the LA's plans: attendances count from when it first held one.
                told.held_since = match (told.held_since, p.held_since) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                };
            }
        }
        // Only visits made while a plan was held: a lookup that found no plan stamps nothing
        // (`cpindex::recheck`), and its visit is never an attendance an LA is told of.
        let held_from = if by_la.values().any(|t| t.held_since.is_none()) {
            None
        } else {
            by_la.values().filter_map(|t| t.held_since).min()
        };
        let mut visits = visits?;
        visits.retain(|v| held_from.is_none_or(|from| v.at >= from));
        // A missed appointment is its own notification; an attendance is one notification per
        // LA: a later view by the same clinician within a day of the first is recorded on the
        // first view's notification, not alerted again.
        let missed = access.outcome == AccessOutcome::MissedAppointment;
        let attendance = if missed {
            access.access_id.clone()
        } else {
            attendance_of(&visits, access)
        };
        let later_view = attendance != access.access_id;
        let mut already_existed = 0;
        let mut deliveries = Vec::with_capacity(by_la.len());
        for (la, told) in &by_la {
            let mut n = Notification::for_attendance(
                &attendance,
                access,
                told.nhs,
                la.clone(),
                told.plan_types.clone(),
                now,
            );
            if missed {
                n.kind = NotificationKind::MissedAppointment;
                n.missed = access.missed.clone();
            } else {
                n.attendances = Some(Attendances::of(&visits, access, told.held_since));
            }
            let created = self
                .store
                .notifications
                .create_about(&n, Some(&children[0]))
                .await?;
            if created == adapters::store::notifications::Created::New {
                // Counted once, by the write that created the notification (a redelivery
                // finds it there and counts nothing).
                let counted = if missed {
                    Counter::MissedAppointment
                } else {
                    Counter::AlertSent(access.setting_type)
                };
                self.store
                    .indicators
                    .add_or_log(la, IsoWeek::of(access.at), &[(counted, 1)])
                    .await;
            }
            if created == adapters::store::notifications::Created::AlreadyThere {
                already_existed += 1;
                if later_view {
                    self.store
                        .notifications
                        .record_later_view(&n.notification_id, &access.access_id, access.at)
                        .await?;
                    continue;
                }
            }
            // Whether the LA knows, for the clinicians who look the child up next; and the
            // alert's acknowledgement deadline (`cpindex::overdue`).
            let (known, waits) = tokio::join!(
                self.store
                    .alerts
                    .alerted(&children[0], la, &n.notification_id, access.at),
                self.store.overdue.wait(&n)
            );
            known?;
            waits?;
            // Sent again on a redelivery too: the first attempt may have died before sending.
            // Delivery skips notifications already final.
            deliveries.push(DeliveryMessage {
                notification_id: n.notification_id,
            });
        }
        self.queue.send(&deliveries).await?;
        // The attendance's first view, where the visit list meets it before any repeat view.
        if !missed && !later_view && !by_la.is_empty() {
            self.store.accesses.record_attendance(access).await?;
        }
        self.store
            .accesses
            .confirm(access, !by_la.is_empty())
            .await?;
        Ok(FanoutOutcome {
            notified: by_la.into_keys().collect(),
            already_existed,
        })
    }

    /// A child has just had a plan put on it: fans out each of its visits made since the plan
    /// counts as held that fan-out has not confirmed with a plan, so a lookup whose read ran
    /// just before the plan's write landed still alerts (`cpindex::recheck`). Returns the LAs
    /// notified.
    pub async fn recheck(
        &self,
        recheck: &Recheck,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrgCode>, FanoutError> {
        let children: Vec<_> = recheck.child_keys().cloned().collect();
        let visits = self
            .store
            .accesses
            .unconfirmed_visits_since(&children, recheck.since, VISITS_READ)
            .await?;
        let mut notified = Vec::new();
        // Oldest first: the first view of an attendance is fanned out before its repeats.
        for visit in visits.iter().rev() {
            notified.extend(self.fan_out(visit, now).await?.notified);
        }
        Ok(notified)
    }

    /// An unscheduled-care demographic search matched plans: one alert per plan matched, to its
    /// LA, idempotently (the id depends on the search and the plan), each on the list waiting
    /// for its acknowledgement deadline, each queued for delivery. Returns the LAs notified.
    pub async fn demographic_match(
        &self,
        search: &DemographicMatch,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrgCode>, FanoutError> {
        let mut deliveries = Vec::with_capacity(search.matches.len());
        for m in &search.matches {
            let n = Notification::demographic_match(search, m, now);
            let created = self.store.notifications.create(&n).await?;
            if created == adapters::store::notifications::Created::New {
                self.store
                    .indicators
                    .add_or_log(
                        &m.org,
                        IsoWeek::of(search.searcher.at),
                        &[(Counter::AlertSent(search.searcher.setting_type), 1)],
                    )
                    .await;
            }
            self.store.overdue.wait(&n).await?;
            deliveries.push(DeliveryMessage {
                notification_id: n.notification_id,
            });
        }
        self.queue.send(&deliveries).await?;
        Ok(search.matches.iter().map(|m| m.org.clone()).collect())
    }

    async fn one(&self, m: &QueueMessage) -> Result<(), FanoutError> {
        match serde_json::from_str(&m.body).map_err(FanoutError::Poison)? {
            FanoutMessage::Access(access) => {
                let outcome = self.fan_out(&access, self.clock.now()).await?;
                tracing::info!(
                    access_id = %access.access_id, notified = outcome.notified.len(),
                    redelivery = outcome.already_existed > 0, "access fanned out"
                );
            }
            FanoutMessage::DemographicMatch(m) => {
                let notified = self
                    .demographic_match(&m.demographic_match, self.clock.now())
                    .await?;
                tracing::info!(
                    search_id = %m.demographic_match.searcher.search_id,
                    notified = notified.len(),
                    "demographic match fanned out"
                );
            }
            FanoutMessage::Recheck(recheck) => {
                let notified = self.recheck(&recheck, self.clock.now()).await?;
                tracing::info!(
                    notified = notified.len(),
                    "child rechecked after a plan was put on it"
                );
            }
        }
        Ok(())
    }

    /// Handles a raw SQS event; only the failed messages are reported for retry.
    pub async fn handle(&self, event: &serde_json::Value) -> BatchResponse {
        each(event, CONCURRENCY, |m| async move {
            match self.one(&m).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    tracing::warn!(message_id = %m.message_id, error = %cpindex::log::chain(&e), receive_count = m.receive_count, "fan-out failed; will retry");
                    Err(m)
                }
            }
        })
        .await
    }
}
