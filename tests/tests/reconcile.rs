//! Reconciliation against the emulator: retention, resume after a forced stop, lost-alert
//! re-drive, extract comparison, data quality, dead letters. Running twice changes nothing more.

use std::time::{Duration as StdDuration, Instant};

use adapters::queue::SqsQueue;
use adapters::secrets::FileSecrets;
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::PlanStore;
use adapters::store::Table;
use alert_delivery::port::{HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use alert_fanout::Fanout;
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use cpindex::keys::{QueueDef, ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::{FixedClock, OrgCode, Retention, SystemClock};
use integration_tests::fixtures::{CAMDEN, CHILD, ED, LEEDS, OPERATOR};
use integration_tests::http::{call, la, request};
use integration_tests::webhook::{Answer, WebhookReceiver};
use integration_tests::{unreachable_store, Emulator};
use local_stack::poller::poll_once;
use reconcile::{Budget, Reconciler, RunOutcome, Settings};
use serde_json::{json, Value};

const TEST_DELIVERY_QUEUE: QueueDef = QueueDef {
    max_receive_count: 2,
    ..ALERT_DELIVERY_QUEUE
};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn plan(plan_ref: &str, nhs: &str, version: u64) -> Value {
    json!({"planRef": plan_ref, "nhsNumber": nhs, "planType": "CPP", "startDate": "2026-01-10", "sourceVersion": version})
}

/// A valid test-range NHS number for `i`.
fn nhs(i: u32) -> String {
    (0..)
        .find_map(|k| {
            let d: Vec<u8> = format!("{:09}", 999_100_000 + i * 10 + k)
                .bytes()
                .map(|b| b - b'0')
                .collect();
            cpindex::NhsNumber::from_first_nine(d.try_into().unwrap())
        })
        .unwrap()
        .digits()
}

struct Fixture {
    emu: Emulator,
    table: Table,
    fanout_url: String,
    delivery_url: String,
    delivery_dlq: String,
    upsert: Router,
    inbox: Router,
}

async fn fixture() -> Fixture {
    let emu = Emulator::connect();
    // No profiles to start with: each LA that loads plans gets one (reports count exactly the
    // LAs a test uses).
    let table = emu.bare_table().await;
    let (_, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let (_, delivery) = emu.fresh_queue(&TEST_DELIVERY_QUEUE).await;
    let retention = Retention::default();
    Fixture {
        upsert: plan_upsert::router(plan_upsert::App::new(
            table.clone(),
            integration_tests::child_keys(),
            retention,
            FixedClock::at(now()),
        )),
        inbox: inbox::router(inbox::App::new(
            table.clone(),
            retention,
            FixedClock::at(now()),
            cpindex::profile::WebhookPolicy::LocalHttpAllowed,
        )),
        fanout_url: fanout.queue,
        delivery_url: delivery.queue,
        delivery_dlq: delivery.dlq,
        emu,
        table,
    }
}

impl Fixture {
    fn reconciler(&self, at: chrono::DateTime<Utc>, settings: Settings) -> Reconciler<FixedClock> {
        // The bulk timeouts the reconcile function runs with: a scan page of a large table may
        // take the emulator seconds while the rest of the suite runs beside it.
        let bulk = aws_sdk_dynamodb::Client::new(&adapters::aws::for_emulator(
            &integration_tests::emulator_url(),
            cpindex::config::CallTimeouts::bulk(),
        ));
        Reconciler::new(
            Table::new(bulk, self.table.name()),
            SqsQueue::new(self.emu.sqs.clone(), &self.fanout_url),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery_url),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery_dlq),
            Retention::default(),
            FixedClock::at(at),
        )
        .with_settings(settings)
    }

    /// The lookup function with its fan-out queue unreachable: its alerts are lost.
    fn lookup_with_queue_down(&self) -> Router {
        let down = unreachable_store();
        let store = self.table.clone();
        lookup::router(lookup::App::new(
            store.clone(),
            SqsQueue::new(down.sqs.clone(), "http://127.0.0.1:9/000000000000/q"),
            integration_tests::child_keys(),
            Retention::default(),
            FixedClock::at(now()),
        ))
    }

    async fn run(&self, at: chrono::DateTime<Utc>) -> RunOutcome {
        let budget = Budget {
            deadline: Instant::now() + StdDuration::from_secs(60),
            max_pages: None,
        };
        self.reconciler(at, Settings::default())
            .run(budget)
            .await
            .unwrap()
    }

    /// Sets up `org`'s profile unless it has one (an LA records plans only with a profile).
    async fn profiled(&self, org: &str) {
        let profiles = NotificationStore::new(self.table.clone());
        let code = OrgCode::parse(org).unwrap();
        if profiles.profile(&code).await.unwrap().is_none() {
            profiles
                .put_profile(&integration_tests::fixtures::profile(org))
                .await
                .unwrap();
        }
    }

    async fn load(&self, org: &str, mode: &str, records: Vec<Value>) {
        self.profiled(org).await;
        let body = json!({"mode": mode, "records": records});
        let a = call(
            &self.upsert,
            request("POST", "/v1/plan-batches", la(org), Some(&body)),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
    }

    async fn report(&self, org: &str) -> Value {
        let a = call(
            &self.inbox,
            request("GET", "/v1/reconciliation-reports/latest", la(org), None),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        a.body
    }
}

#[tokio::test]
async fn plans_past_retention_are_deleted_even_without_ttl_and_a_second_run_deletes_nothing() {
    let f = fixture().await;
    let mut old = plan("OLD", CHILD, 1);
    old["startDate"] = json!("2023-01-01");
    old["endDate"] = json!("2024-06-01");
    let mut recent = plan("RECENT", CHILD, 1);
    recent["endDate"] = json!("2026-06-01");
    f.load(LEEDS, "delta", vec![old, recent, plan("OPEN", CHILD, 1)])
        .await;
    assert_eq!(
        f.emu
            .scan_all(&f.table)
            .await
            .iter()
            .filter(|i| i
                .get("entity")
                .and_then(|e| e.as_s().ok())
                .is_some_and(|e| e.starts_with("plan")))
            .count(),
        6
    );

    let first = f.run(now()).await;
    assert!(first.complete);
    let plans: Vec<_> = f
        .emu
        .scan_all(&f.table)
        .await
        .into_iter()
        .filter(|i| {
            i.get("entity")
                .and_then(|e| e.as_s().ok())
                .is_some_and(|e| e.starts_with("plan"))
        })
        .collect();
    assert_eq!(
        plans.len(),
        4,
        "the expired record and its projection are gone"
    );
    assert!(plans.iter().all(|i| i
        .get("planRef")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        != Some("OLD")));

    let ops = f.reconciler(now(), Settings::default());
    let report = adapters::store::reports::ReportStore::new(ops.table.clone())
        .latest_operator()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report["deletedPastRetention"], 2);
    f.run(now()).await;
    let again = adapters::store::reports::ReportStore::new(ops.table.clone())
        .latest_operator()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again["deletedPastRetention"], 0,
        "running twice changes nothing more"
    );
    assert_eq!(
        f.report(LEEDS).await["findings"]["indexCount"],
        1,
        "only the open plan is active"
    );
}

#[tokio::test]
async fn two_steps_started_together_never_interleave_and_a_crashed_step_s_lease_lapses() {
    let f = fixture().await;
    let records: Vec<Value> = (0..20)
        .map(|i| plan(&format!("P-{i:02}"), &nhs(i), 1))
        .collect();
    f.load(LEEDS, "full", records).await;
    let settings = Settings {
        segments: 2,
        page_size: 5,
        ..Settings::default()
    };
    let budget = || Budget {
        deadline: Instant::now() + StdDuration::from_secs(60),
        max_pages: Some(2),
    };
    // The schedule and an operator, at the same moment, several times over.
    for _ in 0..3 {
        let (a, b) = (f.reconciler(now(), settings), f.reconciler(now(), settings));
        let (x, y) = tokio::join!(a.run(budget()), b.run(budget()));
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(x.busy != y.busy, "exactly one ran: {x:?} {y:?}");
        let ran = if x.busy { &y } else { &x };
        let skipped = if x.busy { &x } else { &y };
        assert!(ran.pages > 0);
        assert_eq!(
            (
                skipped.pages,
                skipped.alerts_redriven,
                skipped.reports_written
            ),
            (0, 0, 0)
        );
    }
    // Released after each step: the next one runs.
    let next = f.reconciler(now(), settings).run(budget()).await.unwrap();
    assert!(!next.busy);

    // A step that died holding the lease: others are refused until it lapses, then take over.
    let runs = adapters::store::runs::RunStore::new(f.table.clone());
    assert!(runs
        .take_lease("crashed-step", now(), now() + Duration::minutes(10))
        .await
        .unwrap());
    let before = f.emu.scan_all(&f.table).await.len();
    let refused = f
        .reconciler(now() + Duration::minutes(5), settings)
        .run(budget())
        .await
        .unwrap();
    assert!(refused.busy);
    assert_eq!(
        f.emu.scan_all(&f.table).await.len(),
        before,
        "a refused step writes nothing"
    );
    let taken = f
        .reconciler(now() + Duration::minutes(11), settings)
        .run(budget())
        .await
        .unwrap();
    assert!(!taken.busy, "the lapsed lease is taken over");
    // A step releases only its own lease.
    assert!(runs
        .take_lease(
            "mine",
            now() + Duration::minutes(11),
            now() + Duration::minutes(30)
        )
        .await
        .unwrap());
    runs.release_lease("someone-else").await.unwrap();
    assert!(!runs
        .take_lease(
            "third",
            now() + Duration::minutes(12),
            now() + Duration::minutes(40)
        )
        .await
        .unwrap());
    runs.release_lease("mine").await.unwrap();
    assert!(runs
        .take_lease(
            "third",
            now() + Duration::minutes(12),
            now() + Duration::minutes(40)
        )
        .await
        .unwrap());
}

#[tokio::test]
async fn a_run_stopped_mid_scan_resumes_where_it_stopped() {
    let f = fixture().await;
    let records: Vec<Value> = (0..30)
        .map(|i| plan(&format!("P-{i:02}"), &nhs(i), 1))
        .collect();
    f.load(LEEDS, "full", records).await;
    let settings = Settings {
        segments: 2,
        page_size: 5,
        ..Settings::default()
    };
    let r = f.reconciler(now(), settings);
    let stopped = r
        .run(Budget {
            deadline: Instant::now() + StdDuration::from_secs(60),
            max_pages: Some(2),
        })
        .await
        .unwrap();
    assert!(!stopped.complete, "forced stop after two pages");
    assert_eq!(stopped.pages, 2);
    // A step that crashed between writing a page's findings and its checkpoint leaves a page
    // the checkpoint does not count: the next page, or one far ahead. Neither is counted.
    let runs = adapters::store::runs::RunStore::new(f.table.clone());
    for seg in 0..settings.segments {
        let cp = runs.checkpoint(&stopped.run_id, seg).await.unwrap();
        for ahead in [1, 50] {
            let mut ghost = reconcile::report::SegmentFindings::default();
            ghost.per_la.entry(LEEDS.into()).or_default().index_count = 1000;
            let item = adapters::store::runs::page_item(
                &stopped.run_id,
                seg,
                cp.pages + ahead,
                &ghost,
                now() + Duration::days(7),
            )
            .unwrap();
            f.table.put(item, None).await.unwrap();
        }
    }
    let call_again = f.reconciler(now(), settings);
    let resumed = call_again
        .run(Budget {
            deadline: Instant::now() + StdDuration::from_secs(60),
            max_pages: None,
        })
        .await
        .unwrap();
    assert!(resumed.complete);
    assert_eq!(resumed.run_id, stopped.run_id, "the same run continued");
    // GSI1 holds the 30 records (not their projections) and the extract's items; pages of 5
    // over 2 segments.
    assert!(
        resumed.pages + stopped.pages >= 30 / 5,
        "{} + {}",
        resumed.pages,
        stopped.pages
    );
    let report = f.report(LEEDS).await;
    assert_eq!(
        report["findings"]["indexCount"], 30,
        "no plan counted twice or missed: {report}"
    );
    assert_eq!(report["findings"]["notInExtract"]["total"], 0);
    let next = f.run(now()).await;
    assert_ne!(
        next.run_id, stopped.run_id,
        "a finished run is not resumed; a new one starts"
    );
}

#[tokio::test]
async fn an_alert_lost_to_a_queue_outage_is_redriven_and_delivered_exactly_once() {
    let f = fixture().await;
    let secrets =
        std::env::temp_dir().join(format!("cpindex-recon-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("cpindex_webhook_E08000035"), "s").unwrap();
    let receiver = WebhookReceiver::start("s", vec![Answer::Status(200)]).await;
    let profile = json!({"name": "Leeds", "team": "T", "emergencyDutyPhone": "0113 535 0600",
        "webhook": {"url": receiver.url, "secretRef": "cpindex/webhook/E08000035"}});
    assert_eq!(
        call(
            &f.inbox,
            request(
                "PUT",
                &format!("/v1/la-profiles/{LEEDS}"),
                OPERATOR,
                Some(&profile)
            )
        )
        .await
        .status,
        200
    );
    f.load(LEEDS, "delta", vec![plan("L-1", CHILD, 1)]).await;

    // The queue is down while the clinician looks the child up: the lookup still answers.
    let lookup = f.lookup_with_queue_down();
    assert_eq!(
        call(
            &lookup,
            request("GET", &format!("/v1/children/{CHILD}"), ED, None)
        )
        .await
        .status,
        200
    );

    // Too early: not yet considered lost.
    assert_eq!(f.run(now() + Duration::minutes(1)).await.alerts_redriven, 0);
    let later = now() + Duration::minutes(6);
    assert_eq!(f.run(later).await.alerts_redriven, 1);

    let fanout = Fanout::new(
        f.table.clone(),
        SqsQueue::new(f.emu.sqs.clone(), &f.delivery_url),
        Retention::default(),
        SystemClock,
    );
    let delivery = Delivery {
        store: alert_delivery::port::DeliveryStores::new(f.table.clone()),
        secrets: FileSecrets(secrets),
        webhook: HttpWebhook::new(
            StdDuration::from_secs(2),
            cpindex::profile::WebhookPolicy::LocalHttpAllowed,
        ),
        visibility: SqsVisibility {
            client: f.emu.sqs.clone(),
            queue_url: f.delivery_url.clone(),
        },
        clock: SystemClock,
        policy: RetryPolicy {
            max_attempts: 2,
            base_delay_s: 0,
            max_delay_s: 0,
        },
        webhooks: cpindex::profile::WebhookPolicy::LocalHttpAllowed,
    };
    let (fanout, delivery) = (&fanout, &delivery);
    for _ in 0..2 {
        poll_once(&f.emu.sqs, &f.fanout_url, 10, 0, |e| async move {
            fanout.handle(&e).await
        })
        .await
        .unwrap();
        poll_once(&f.emu.sqs, &f.delivery_url, 10, 0, |e| async move {
            delivery.handle(&e).await
        })
        .await
        .unwrap();
    }
    assert_eq!(receiver.received().len(), 1, "delivered exactly once");
    assert_eq!(
        f.run(later + Duration::minutes(10)).await.alerts_redriven,
        0,
        "nothing left pending"
    );
}

#[tokio::test]
async fn each_la_gets_its_own_report_comparing_its_extract_with_the_index() {
    let f = fixture().await;
    f.load(
        LEEDS,
        "full",
        vec![plan("A", &nhs(1), 1), plan("B", &nhs(2), 2)],
    )
    .await;
    let mut unborn = plan("U", &nhs(4), 1);
    unborn["planType"] = json!("UCPP");
    unborn["startDate"] = json!("2026-03-01");
    unborn["expectedDueDate"] = json!("2026-09-01");
    let mut ancient = plan("OLDOPEN", &nhs(5), 1);
    ancient["startDate"] = json!("2019-02-01");
    f.load(
        LEEDS,
        "delta",
        vec![
            plan("C", &nhs(3), 1),
            plan("B", &nhs(2), 3),
            unborn,
            ancient,
        ],
    )
    .await;
    f.load(CAMDEN, "delta", vec![plan("Z", &nhs(9), 1)]).await;
    // The API refuses a profile without an emergency-duty number (and changes nothing)...
    let no_edt = json!({"name": "Camden", "team": "T", "emergencyDutyPhone": null});
    let refused = call(
        &f.inbox,
        request(
            "PUT",
            &format!("/v1/la-profiles/{CAMDEN}"),
            OPERATOR,
            Some(&no_edt),
        ),
    )
    .await;
    assert_eq!(
        (refused.status.as_u16(), refused.problem_code()),
        (400, "missing_emergency_phone")
    );
    let camden_org = OrgCode::parse(CAMDEN).unwrap();
    let profiles = NotificationStore::new(f.table.clone());
    let held = profiles.profile(&camden_org).await.unwrap().unwrap();
    assert_eq!(
        held.emergency_duty_phone,
        integration_tests::fixtures::profile(CAMDEN).emergency_duty_phone
    );
    // ...but one stored before that rule is still flagged by reconciliation.
    profiles
        .put_profile(&cpindex::profile::LaProfile {
            org: camden_org,
            name: "Camden".into(),
            team: "T".into(),
            office_hours_phone: None,
            emergency_duty_phone: None,
            webhook: None,
            acknowledge_within_hours: None,
            updated_at: now(),
            updated_by: "before-the-rule".into(),
        })
        .await
        .unwrap();

    assert!(f.run(now()).await.complete);
    let leeds = f.report(LEEDS).await;
    let findings = &leeds["findings"];
    assert_eq!(findings["indexCount"], 5);
    assert_eq!(leeds["extract"]["count"], 2);
    let mut missing: Vec<_> = findings["notInExtract"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        vec!["C", "OLDOPEN", "U"],
        "listed for the LA, never deleted"
    );
    assert_eq!(
        findings["versionMismatches"]["items"],
        json!([{"planRef": "B", "indexVersion": 3, "extractVersion": 2}])
    );
    assert_eq!(findings["unbornPastDue"]["items"], json!(["U"]));
    assert_eq!(findings["openTooLong"]["items"], json!(["OLDOPEN"]));
    assert!(
        call(&f.upsert, request("GET", "/v1/plans/C", la(LEEDS), None))
            .await
            .status
            == 200,
        "nothing was deleted"
    );

    let inbox = call(
        &f.inbox,
        request("GET", "/v1/notifications", la(LEEDS), None),
    )
    .await;
    assert_eq!(
        inbox.body["latestReconciliationReport"]["notInExtract"], 3,
        "announced in the inbox: {inbox:?}"
    );
    assert_eq!(
        inbox.body["latestReconciliationReport"]["runId"],
        leeds["runId"]
    );

    let camden = f.report(CAMDEN).await;
    assert_eq!(camden["la"], CAMDEN);
    assert!(camden["extract"].is_null());
    assert_eq!(camden["profileMissingEmergencyPhone"], true);
    assert_eq!(
        camden["findings"]["indexCount"], 1,
        "Camden's report holds only Camden's plans"
    );
}

#[tokio::test]
async fn failed_deliveries_are_reported_per_la_and_an_operator_can_redrive_them() {
    let f = fixture().await;
    let notifications = NotificationStore::new(f.table.clone());
    // A notification that failed for good, and its message in the dead-letter queue.
    let access = cpindex::access::Access {
        access_id: "acc-1".into(),
        child: integration_tests::child_key(&cpindex::NhsNumber::parse(CHILD).unwrap()),
        at: now() - Duration::hours(2),
        user: cpindex::claims::UserId::parse("dr-1").unwrap(),
        role: cpindex::Role::UnscheduledCare,
        org: OrgCode::parse("RR801").unwrap(),
        org_name: None,
        setting_type: None,
        outcome: cpindex::access::AccessOutcome::Allowed,
        aliases: Vec::new(),
        purpose: None,
        missed: None,
        request_id: None,
        correlation_id: None,
    };
    let n = cpindex::notification::Notification::new(
        &access,
        cpindex::NhsNumber::parse(CHILD).unwrap(),
        OrgCode::parse(LEEDS).unwrap(),
        vec![cpindex::PlanType::Cpp],
        now(),
    );
    notifications.create(&n).await.unwrap();
    notifications
        .finish(
            &n.notification_id,
            cpindex::notification::DeliveryStatus::Failed,
            now(),
            2,
            Some("timeout"),
        )
        .await
        .unwrap();
    let body = serde_json::to_string(&cpindex::notification::DeliveryMessage {
        notification_id: n.notification_id.clone(),
    })
    .unwrap();
    f.emu
        .sqs
        .send_message()
        .queue_url(&f.delivery_dlq)
        .message_body(body)
        .send()
        .await
        .unwrap();

    f.run(now()).await;
    let r = f.reconciler(now(), Settings::default());
    let report = adapters::store::reports::ReportStore::new(r.table.clone())
        .latest_operator()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report["deadLettersByLa"][LEEDS]["failed"], 1);
    assert!(
        report["deadLettersByLa"][LEEDS]["lastError"].is_string(),
        "an operator can read why delivery failed: {report}"
    );
    assert_eq!(report["deadLetterQueueDepth"], 1);
    assert_eq!(f.report(LEEDS).await["findings"]["failedNotifications"], 1);

    let ops = reconcile::ops::router(f.reconciler(now(), Settings::default()));
    let refused = call(
        &ops,
        request("POST", "/v1/dead-letters/redrive", la(LEEDS), None),
    )
    .await;
    assert_eq!(refused.status, 403);
    // Something that is not a delivery message has reached the DLQ too: it must not be lost.
    f.emu
        .sqs
        .send_message()
        .queue_url(&f.delivery_dlq)
        .message_body("{not a delivery")
        .send()
        .await
        .unwrap();
    let moved = call(
        &ops,
        request("POST", "/v1/dead-letters/redrive", OPERATOR, None),
    )
    .await;
    assert_eq!(moved.body["redriven"], 1, "{moved:?}");
    assert_eq!(moved.body["keptUnreadable"], 1, "{moved:?}");
    let in_flight = f
        .emu
        .sqs
        .get_queue_attributes()
        .queue_url(&f.delivery_dlq)
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    assert_eq!(
        in_flight
            .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .map(String::as_str),
        Some("1"),
        "the unreadable message is still in the DLQ, not deleted"
    );
    assert_eq!(
        notifications
            .get(&n.notification_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        cpindex::notification::DeliveryStatus::Pending
    );
    assert!(f.emu.receive(&f.delivery_dlq).await.is_empty());
    assert_eq!(
        f.emu.receive(&f.delivery_url).await.len(),
        1,
        "back on the delivery queue"
    );
    let dl = call(&ops, request("GET", "/v1/dead-letters", OPERATOR, None)).await;
    assert_eq!(dl.status, 200);
    let run = call(
        &ops,
        request("POST", "/v1/reconciliation-runs", OPERATOR, None),
    )
    .await;
    assert_eq!(run.body["complete"], true);
}

/// A record refused at upload is a child who looks up as "no plan": reconciliation lists it in
/// the LA's report, with its reason, and announces it in the inbox, every run until the LA fixes
/// it; then it is gone.
#[tokio::test]
async fn a_rejected_record_of_a_full_extract_is_reported_until_it_is_fixed() {
    let f = fixture().await;
    let mut no_edt = plan("CP-NO-EDT", &nhs(1), 1);
    no_edt["responsibleLa"] =
        json!({"name": "L", "team": "T", "emergencyDutyPhone": "07700 900123"});
    let mut bad_nhs = plan("CP-BAD-NHS", "9876544321", 1);
    bad_nhs["planType"] = json!("CPP");
    let extract = json!({"mode": "full", "extractId": "2026-11-22", "records": [
        plan("CP-OK", &nhs(2), 1), no_edt, bad_nhs, {"nhsNumber": nhs(3)}
    ]});
    f.profiled(LEEDS).await;
    let ack = call(
        &f.upsert,
        request("POST", "/v1/plan-batches", la(LEEDS), Some(&extract)),
    )
    .await;
    assert_eq!(ack.body["counts"]["rejected"], 3, "{}", ack.body);

    for run in 0..2 {
        assert!(f.run(now()).await.complete);
        let report = f.report(LEEDS).await;
        let missing = &report["notInIndex"];
        assert_eq!(missing["total"], 3, "run {run}: {report}");
        let codes: Vec<(Value, Value)> = missing["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["planRef"].clone(), i["code"].clone()))
            .collect();
        assert!(
            codes.contains(&(json!("CP-NO-EDT"), json!("contacts_from_profile"))),
            "{codes:?}"
        );
        assert!(
            codes.contains(&(json!("CP-BAD-NHS"), json!("invalid_nhs_number"))),
            "{codes:?}"
        );
        // A record without a readable reference is still listed, by batch and position.
        assert!(
            missing["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["index"] == 3 && i.get("planRef").is_none()),
            "{missing}"
        );
        let inbox = call(
            &f.inbox,
            request("GET", "/v1/notifications", la(LEEDS), None),
        )
        .await;
        assert_eq!(
            inbox.body["latestReconciliationReport"]["notInIndex"], 3,
            "{}",
            inbox.body
        );
    }

    // The LA fixes one record with a delta: the next run no longer lists it.
    f.load(LEEDS, "delta", vec![plan("CP-NO-EDT", &nhs(1), 2)])
        .await;
    assert!(f.run(now()).await.complete);
    let report = f.report(LEEDS).await;
    assert_eq!(report["notInIndex"]["total"], 2, "{report}");
    assert!(!report["notInIndex"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["planRef"] == "CP-NO-EDT"));
}

/// Sending the same full extract again (whole, or one batch of it) is what the CLI advises after
/// a failure; the report must count each record once.
#[tokio::test]
async fn a_full_extract_sent_again_counts_each_record_once() {
    let f = fixture().await;
    let records: Vec<Value> = (0..4)
        .map(|i| plan(&format!("CP-{i}"), &nhs(10 + i), 1))
        .collect();
    let whole = json!({"mode": "full", "extractId": "E-1", "records": records});
    let half = json!({"mode": "full", "extractId": "E-1", "records": records[..2]});
    f.profiled(LEEDS).await;
    for body in [&whole, &whole, &half] {
        let a = call(
            &f.upsert,
            request("POST", "/v1/plan-batches", la(LEEDS), Some(body)),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert!(f.run(now()).await.complete);
    let report = f.report(LEEDS).await;
    assert_eq!(report["extract"]["count"], 4, "{report}");
    assert_eq!(report["findings"]["notInExtract"]["total"], 0, "{report}");
    assert_eq!(report["notInIndex"]["total"], 0, "{report}");
}

/// An LA code for the national-shape test (E + 8 digits, like England's).
fn org(i: usize) -> OrgCode {
    OrgCode::parse(&format!("E{:08}", 6_000_000 + i)).unwrap()
}

#[tokio::test]
async fn at_national_shape_no_item_passes_the_size_limit_and_every_finding_is_counted() {
    use adapters::store::extracts::{self, ExtractPart};
    use adapters::store::size::{item_size, MAX_ITEM_BYTES};
    use cpindex::{PlanRecord, PlanState};

    // 150 LAs; one with more findings than a report lists. Every plan is an unborn-child plan
    // open six years and a year past due, with the longest reference there is, and absent from
    // its LA's (empty) full extract: three findings each, 11,000 in all. One scan segment, so
    // one segment meets them all (the old single checkpoint item would have held ~750 KB).
    const LAS: usize = 150;
    const EACH: usize = 25;
    const BIG: usize = reconcile::report::LIST_CAP + 100;
    let f = fixture().await;
    let store = PlanStore::new(f.table.clone(), Retention::default());
    let today = now().date_naive();
    let mut items = Vec::new();
    let mut n = 0u32;
    for la in 0..LAS {
        let count = if la == 0 { BIG } else { EACH };
        for p in 0..count {
            n += 1;
            let number = nhs(n);
            let value = json!({"planRef": format!("{la:03}-{p:0>60}"), "nhsNumber": number,
                "planType": "UCPP", "startDate": "2020-06-01", "expectedDueDate": "2025-10-01",
                "sourceVersion": 1});
            let plan = cpindex::plan::Plan::from_json(&value, "", None, today).unwrap();
            let record = PlanRecord {
                org: org(la),
                plan_ref: plan.plan_ref.clone(),
                nhs_number: plan.nhs_number,
                child: integration_tests::child_key(&plan.nhs_number),
                source_version: 1,
                state: PlanState::Live,
                plan,
                moved_from: None,
                first_recorded_at: Some(now()),
                updated_at: now(),
                updated_by: "loader".into(),
                earlier_keys: Vec::new(),
                shared_since: None,
            };
            items.push(store.record_item(&record).unwrap());
        }
    }
    let plans = items.len() as u64;
    f.table.batch_put(items).await.unwrap();
    for la in 0..LAS {
        let part = ExtractPart {
            org: org(la),
            extract_id: format!("x-{la}"),
            batch_id: uuid::Uuid::new_v4().to_string(),
            received_at: now() - Duration::hours(2),
            entries: Vec::new(),
            not_loaded: Vec::new(),
        };
        extracts::ExtractStore::new(f.table.clone())
            .record(&part)
            .await
            .unwrap();
    }

    let settings = Settings {
        segments: 1,
        ..Settings::default()
    };
    let outcome = f
        .reconciler(now(), settings)
        .run(Budget {
            deadline: Instant::now() + StdDuration::from_secs(600),
            max_pages: None,
        })
        .await
        .unwrap();
    assert!(outcome.complete, "{outcome:?}");
    assert_eq!(outcome.reports_written, LAS);
    assert!(
        outcome.pages as u64 > plans / reconcile::MAX_PAGE_ITEMS as u64,
        "bounded pages: {outcome:?}"
    );

    // Every item in the table, read back raw: none near the limit. (A client with the bulk
    // timeouts: the emulator's scans slow down with the table, and the suite runs in parallel.)
    let bulk = aws_sdk_dynamodb::Client::new(&adapters::aws::for_emulator(
        &integration_tests::emulator_url(),
        cpindex::config::CallTimeouts::bulk(),
    ));
    let mut largest = 0;
    let mut start = None;
    loop {
        let out = bulk
            .scan()
            .table_name(f.table.name())
            .limit(500)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in out.items.unwrap_or_default() {
            largest = largest.max(item_size(&item));
        }
        match out.last_evaluated_key.filter(|k| !k.is_empty()) {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    assert!(largest < MAX_ITEM_BYTES, "largest item {largest} bytes");

    // Nothing lost to the bound: exact totals, lists capped.
    let big = f.report(org(0).as_str()).await;
    for finding in ["unbornPastDue", "openTooLong", "notInExtract"] {
        assert_eq!(big["findings"][finding]["total"], BIG, "{finding}");
        assert_eq!(
            big["findings"][finding]["items"].as_array().unwrap().len(),
            reconcile::report::LIST_CAP,
            "{finding}"
        );
    }
    assert_eq!(big["findings"]["indexCount"], BIG);
    let small = f.report(org(LAS - 1).as_str()).await;
    assert_eq!(small["findings"]["unbornPastDue"]["total"], EACH);
    assert_eq!(
        small["findings"]["notInExtract"]["items"]
            .as_array()
            .unwrap()
            .len(),
        EACH
    );
    let ops = adapters::store::reports::ReportStore::new(f.table.clone())
        .latest_operator()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ops["plans"], plans, "{ops}");
}

#[tokio::test]
async fn the_schedule_scans_once_a_day_but_re_drives_lost_alerts_at_every_step() {
    let f = fixture().await;
    f.load(LEEDS, "full", vec![plan("D-1", &nhs(1), 1)]).await;
    let daily = Settings {
        pass_every: Some(reconcile::DAILY_PASS),
        ..Settings::default()
    };
    let f = &f;
    let step = |at| async move {
        let budget = Budget {
            deadline: Instant::now() + StdDuration::from_secs(60),
            max_pages: None,
        };
        f.reconciler(at, daily).run(budget).await.unwrap()
    };
    let first = step(now()).await;
    assert!(first.complete && first.pages > 0 && first.reports_written > 0);

    // A plan arrives, and a lookup's alert is lost to a queue outage.
    f.load(LEEDS, "delta", vec![plan("D-2", CHILD, 1)]).await;
    let lookup = f.lookup_with_queue_down();
    let looked = call(
        &lookup,
        request("GET", &format!("/v1/children/{CHILD}"), ED, None),
    )
    .await;
    assert_eq!(looked.status, 200);

    // The next steps that day scan nothing and write no report, but the lost alert goes back.
    for minutes in [15, 30] {
        let s = step(now() + Duration::minutes(minutes)).await;
        assert_eq!(
            (s.run_id.as_str(), s.pages, s.reports_written),
            (first.run_id.as_str(), 0, 0),
            "step at +{minutes} min"
        );
        // Still pending (no fan-out has confirmed it), so it goes back at every step.
        assert_eq!(s.alerts_redriven, 1, "+{minutes} min");
        assert_eq!(f.emu.receive(&f.fanout_url).await.len(), 1);
        assert_eq!(f.report(LEEDS).await["findings"]["indexCount"], 1);
    }

    // The next day's pass sees the new plan.
    let next = step(now() + reconcile::DAILY_PASS + Duration::minutes(1)).await;
    assert!(next.complete && next.pages > 0 && next.run_id != first.run_id);
    assert_eq!(f.report(LEEDS).await["findings"]["indexCount"], 2);
}

/// Issue 30.2: the operators' report counts children held by two or more LAs (each once,
/// however many plans an LA holds on it), and their LAs; an ended plan does not hold a child.
#[tokio::test]
async fn the_operators_report_counts_children_held_by_two_or_more_las_and_their_las() {
    let f = fixture().await;
    let (shared, camden_only, leeds_ended) = (nhs(1), nhs(2), nhs(3));
    let mut ended = plan("L-ENDED", &leeds_ended, 1);
    ended["endDate"] = json!("2026-10-01");
    f.load(
        LEEDS,
        "delta",
        vec![plan("L-1", &shared, 1), plan("L-2", &shared, 1), ended],
    )
    .await;
    f.load(
        CAMDEN,
        "delta",
        vec![
            plan("C-1", &shared, 1),
            plan("C-2", &camden_only, 1),
            plan("C-3", &leeds_ended, 1),
        ],
    )
    .await;
    assert!(f.run(now()).await.complete);
    let ops = adapters::store::reports::ReportStore::new(f.table.clone())
        .latest_operator()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ops["childrenHeldByTwoOrMoreLas"], 1, "{ops}");
    assert_eq!(
        ops["sharedChildrenByLa"],
        json!({LEEDS: 1, CAMDEN: 1}),
        "{ops}"
    );
    for org in [LEEDS, CAMDEN] {
        assert_eq!(f.report(org).await["findings"]["sharedChildren"], 1);
    }
}

/// Issue 36.6: the LA's report names a CSV extract's refused records by the line and column its
/// upload report used, and says when it predates the LA's latest extract.
#[tokio::test]
async fn the_report_names_csv_lines_and_columns_and_says_when_it_predates_the_latest_extract() {
    use integration_tests::http::raw_request;
    let f = fixture().await;
    f.profiled(LEEDS).await;
    let csv = format!(
        "plan_ref,nhs_number,plan_type,start_date,source_version\n\
         L-1,{},CPP,2026-01-10,1\n\
         \n\
         L-2,9876544321,CPP,2026-01-10,1\n",
        nhs(1)
    );
    let upload = |router: Router| {
        let csv = csv.clone();
        async move {
            call(
                &router,
                raw_request(
                    "POST",
                    "/v1/plan-extracts?mode=full",
                    la(LEEDS),
                    "text/csv",
                    csv.into_bytes(),
                ),
            )
            .await
        }
    };
    let a = upload(f.upsert.clone()).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        a.body["lines"],
        json!([2, 4]),
        "the blank line is skipped: {a:?}"
    );
    assert!(f.run(now()).await.complete);
    let report = f.report(LEEDS).await;
    let items = report["notInIndex"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{report}");
    assert_eq!(items[0]["line"], 4, "{report}");
    assert_eq!(items[0]["column"], "nhs_number", "{report}");
    assert_eq!(items[0]["code"], "invalid_nhs_number");
    assert!(report.get("latestExtractAfterReport").is_none(), "{report}");

    // An hour later the LA sends its extract again: until the next run, the report says it is
    // older than that upload.
    let later = now() + Duration::hours(1);
    let upsert_later = plan_upsert::router(plan_upsert::App::new(
        f.table.clone(),
        integration_tests::child_keys(),
        Retention::default(),
        FixedClock::at(later),
    ));
    assert_eq!(upload(upsert_later).await.status, 200);
    let report = f.report(LEEDS).await;
    assert_eq!(
        report["latestExtractAfterReport"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()),
        Some(later.into()),
        "{report}"
    );
}
