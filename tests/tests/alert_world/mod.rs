//! The alert flow's test world, shared by the alert tests: the functions over one fresh table
//! and fresh queues, one clock, and the pumps that play SQS's part.
// Each test file uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use adapters::queue::SqsQueue;
use adapters::secrets::FileSecrets;
use adapters::sqs_batch::BatchResponse;
use adapters::store::notifications::NotificationStore;
use adapters::store::Table;
use alert_delivery::port::{DeliveryStore, DeliveryStores, HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use alert_fanout::Fanout;
use axum::Router;
use chrono::Utc;
use cpindex::keys::{QueueDef, ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::notification::{Notification, NotificationKind};
use cpindex::{FixedClock, OrgCode, Retention};
use integration_tests::fixtures::{CAMDEN, ED, LEEDS, OPERATOR};
use integration_tests::http::{call, la, request};
use integration_tests::Emulator;
use local_stack::poller::poll_once;
use serde_json::{json, Value};

/// The delivery queue for tests: three attempts, so failures dead-letter quickly.
pub(crate) const TEST_DELIVERY_QUEUE: QueueDef = QueueDef {
    max_receive_count: 3,
    ..ALERT_DELIVERY_QUEUE
};

/// The one clock every function of a fixture reads: fixed at the fixture's start (near the wall
/// clock, which webhook receivers check signatures against) and ticking a millisecond at every
/// reading, so events fall in order without sleeping.
pub(crate) type TestClock = Arc<FixedClock>;

pub(crate) type TestDelivery<S> = Delivery<S, FileSecrets, HttpWebhook, SqsVisibility, TestClock>;

pub(crate) struct Fixture {
    pub(crate) emu: Emulator,
    pub(crate) table: Table,
    pub(crate) fanout_url: String,
    pub(crate) delivery_url: String,
    pub(crate) delivery_dlq: String,
    pub(crate) secrets_dir: PathBuf,
    pub(crate) upsert: Router,
    /// plan-upsert as main wires it: each child a write puts a plan on is queued for fan-out
    /// to look at again (`cpindex::recheck`), here with no delay.
    pub(crate) rechecking_upsert: Router,
    pub(crate) lookup: Router,
    pub(crate) inbox: Router,
    pub(crate) reports: Router,
    pub(crate) fanout: Fanout<SqsQueue, TestClock>,
    pub(crate) clock: TestClock,
}

pub(crate) fn plan(plan_ref: &str, nhs: &str, plan_type: &str) -> Value {
    json!({"planRef": plan_ref, "nhsNumber": nhs, "planType": plan_type, "startDate": "2026-01-10", "sourceVersion": 1})
}

pub(crate) async fn fixture() -> Fixture {
    let emu = Emulator::connect();
    // No profiles to start with: each test sets up the LAs it uses (the indicators compare
    // exactly those).
    let table = emu.bare_table().await;
    let (fanout_queue, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let (delivery_queue, delivery) = emu.fresh_queue(&TEST_DELIVERY_QUEUE).await;
    let retention = Retention::default();
    let secrets_dir =
        std::env::temp_dir().join(format!("cpindex-secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&secrets_dir).unwrap();
    let clock: TestClock = Arc::new(FixedClock::ticking(
        Utc::now(),
        chrono::Duration::milliseconds(1),
    ));
    Fixture {
        upsert: plan_upsert::router(plan_upsert::App::new(
            table.clone(),
            integration_tests::child_keys(),
            retention,
            clock.clone(),
        )),
        rechecking_upsert: plan_upsert::router(
            plan_upsert::App::new(
                table.clone(),
                integration_tests::child_keys(),
                retention,
                clock.clone(),
            )
            .with_fanout(fanout_queue.clone())
            .with_recheck_after(Duration::ZERO),
        ),
        lookup: lookup::router(lookup::App::new(
            table.clone(),
            fanout_queue,
            integration_tests::child_keys(),
            retention,
            clock.clone(),
        )),
        inbox: inbox::router(inbox::App::new(
            table.clone(),
            retention,
            clock.clone(),
            cpindex::profile::WebhookPolicy::LocalHttpAllowed,
        )),
        reports: reports::router(reports::App::new(table.clone(), clock.clone())),
        fanout: Fanout::new(table.clone(), delivery_queue, retention, clock.clone()),
        clock,
        fanout_url: fanout.queue,
        delivery_url: delivery.queue,
        delivery_dlq: delivery.dlq,
        secrets_dir,
        emu,
        table,
    }
}

impl Fixture {
    pub(crate) fn delivery<S: DeliveryStore>(&self, store: S) -> TestDelivery<S> {
        Delivery {
            store,
            secrets: FileSecrets(self.secrets_dir.clone()),
            webhook: HttpWebhook::new(
                Duration::from_millis(800),
                cpindex::profile::WebhookPolicy::LocalHttpAllowed,
            ),
            visibility: SqsVisibility {
                client: self.emu.sqs.clone(),
                queue_url: self.delivery_url.clone(),
            },
            clock: self.clock.clone(),
            policy: RetryPolicy {
                max_attempts: TEST_DELIVERY_QUEUE.max_receive_count,
                base_delay_s: 0,
                max_delay_s: 0,
            },
            webhooks: cpindex::profile::WebhookPolicy::LocalHttpAllowed,
        }
    }

    pub(crate) fn delivery_stores(&self) -> DeliveryStores {
        DeliveryStores::new(self.table.clone())
    }

    pub(crate) fn notifications(&self) -> NotificationStore {
        NotificationStore::new(self.table.clone())
    }

    pub(crate) async fn profile(&self, org: &str, webhook: Option<(&str, &str)>) {
        let webhook = webhook.map(|(url, secret)| {
            let secret_ref = format!("cpindex/webhook/{org}");
            std::fs::write(self.secrets_dir.join(secret_ref.replace('/', "_")), secret).unwrap();
            (url, secret_ref)
        });
        self.profile_naming(org, webhook.as_ref().map(|(u, r)| (*u, r.as_str())))
            .await;
    }

    /// Writes `org`'s profile, its webhook (if any) signed with the secret `secret_ref` names.
    pub(crate) async fn profile_naming(&self, org: &str, webhook: Option<(&str, &str)>) {
        let mut body = json!({"name": format!("LA {org}"), "team": "Front door", "emergencyDutyPhone": "0113 535 0600"});
        if let Some((url, secret_ref)) = webhook {
            body["webhook"] = json!({"url": url, "secretRef": secret_ref});
        }
        let a = call(
            &self.inbox,
            request(
                "PUT",
                &format!("/v1/la-profiles/{org}"),
                OPERATOR,
                Some(&body),
            ),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
    }

    pub(crate) async fn load(&self, org: &str, records: Vec<Value>) {
        self.load_through(&self.upsert, org, records).await
    }

    /// [`Self::load`] through plan-upsert as main wires it (the rechecks queued for fan-out).
    pub(crate) async fn load_rechecking(&self, org: &str, records: Vec<Value>) {
        self.load_through(&self.rechecking_upsert, org, records)
            .await
    }

    async fn load_through(&self, upsert: &Router, org: &str, records: Vec<Value>) {
        // An LA records plans only with a profile: set one up unless the test has.
        let code = OrgCode::parse(org).unwrap();
        if self.notifications().profile(&code).await.unwrap().is_none() {
            self.notifications()
                .put_profile(&integration_tests::fixtures::profile(org))
                .await
                .unwrap();
        }
        let a = call(
            upsert,
            request(
                "POST",
                "/v1/plan-batches",
                la(org),
                Some(&json!({"mode": "delta", "records": records})),
            ),
        )
        .await;
        assert_eq!(a.body["fileOutcome"], "all_loaded");
    }

    pub(crate) async fn look(&self, nhs: &str) -> String {
        let a = call(
            &self.lookup,
            request("GET", &format!("/v1/children/{nhs}"), ED, None),
        )
        .await;
        assert_eq!(a.status, 200);
        a.body["accessId"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn pump_fanout(&self) -> usize {
        let mut n = 0;
        loop {
            let p = poll_once(&self.emu.sqs, &self.fanout_url, 10, 0, |e| async move {
                self.fanout.handle(&e).await
            })
            .await
            .unwrap();
            if p.received == 0 {
                return n;
            }
            n += p.received;
        }
    }

    pub(crate) async fn pump_delivery<S: DeliveryStore>(
        &self,
        delivery: &TestDelivery<S>,
        rounds: usize,
    ) {
        for _ in 0..rounds {
            poll_once(&self.emu.sqs, &self.delivery_url, 10, 0, |e| async move {
                delivery.handle(&e).await
            })
            .await
            .unwrap();
        }
    }

    /// Takes the accesses waiting for fan-out without deleting them and hands the same event to
    /// fan-out twice (at-least-once delivery); returns how many accesses there were.
    pub(crate) async fn fan_out_waiting_twice(&self) -> usize {
        let msgs = self.emu.receive(&self.fanout_url).await;
        let batch = batch_of(&msgs);
        let event = adapters::sqs_batch::event_of(&batch, "arn");
        assert_eq!(self.fanout.handle(&event).await, BatchResponse::default());
        assert_eq!(self.fanout.handle(&event).await, BatchResponse::default());
        batch.len()
    }

    /// Every alert (the LAs here share children, so each inbox also holds the notice that the
    /// other LA recorded a plan: tests/tests/shared_child.rs).
    pub(crate) async fn all_notifications(&self) -> Vec<Notification> {
        let mut out = Vec::new();
        for org in [LEEDS, CAMDEN] {
            let org = OrgCode::parse(org).unwrap();
            out.extend(
                self.notifications()
                    .list(&org, false, 100, None)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .filter(|n| n.kind == NotificationKind::ChildSeen),
            );
        }
        out
    }
}

/// Received messages as the batch SQS hands a consumer (first receive).
pub(crate) fn batch_of(
    msgs: &[aws_sdk_sqs::types::Message],
) -> Vec<adapters::sqs_batch::QueueMessage> {
    msgs.iter()
        .map(|m| adapters::sqs_batch::QueueMessage {
            message_id: m.message_id.clone().unwrap(),
            receipt_handle: m.receipt_handle.clone().unwrap(),
            body: m.body.clone().unwrap(),
            receive_count: 1,
        })
        .collect()
}
