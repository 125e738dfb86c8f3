//! Alerts that someone acts on, on the emulator: an alert nobody acknowledges falls overdue at its
//! LA's deadline and is sent again exactly once; the LA's inbox lists it first and the operators'
//! page shows it until it is acknowledged; repeat attendances are counted on the alert; a missed
//! appointment reaches the LA of a child on a plan, and one of a child off the index leaves no
//! NHS number behind.

use adapters::queue::SqsQueue;
use adapters::store::notifications::NotificationStore;
use cpindex::notification::NotificationKind;
use cpindex::{Clock, FixedClock, NhsNumber, OrgCode, Retention};
use integration_tests::fixtures::{random_nhs_number, CHILD, LEEDS, OPERATOR};
use integration_tests::http::{call, la, request, As};
use integration_tests::webhook::WebhookReceiver;
use local_stack::poller::poll_once;
use reconcile::Reconciler;
use serde_json::{json, Value};

mod alert_world;
use alert_world::{fixture, plan, Fixture};

const HEALTH_VISITOR: As<'static> = Some(("scheduled_care", "RGD01", "hv-12"));

impl Fixture {
    /// Leeds's profile through the operators' route: a webhook (if any) and its window.
    async fn leeds(&self, webhook: Option<&WebhookReceiver>, hours: Option<u32>) {
        let mut body =
            json!({"name": "Leeds", "team": "Front door", "emergencyDutyPhone": "0113 535 0600"});
        if let Some(r) = webhook {
            std::fs::write(self.secrets_dir.join("cpindex_webhook_E08000035"), "s3cret").unwrap();
            body["webhook"] = json!({"url": r.url, "secretRef": "cpindex/webhook/E08000035"});
        }
        if let Some(h) = hours {
            body["acknowledgeWithinHours"] = json!(h);
        }
        let a = call(
            &self.inbox,
            request(
                "PUT",
                &format!("/v1/la-profiles/{LEEDS}"),
                OPERATOR,
                Some(&body),
            ),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        self.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    }

    async fn look_by(&self, by: As<'_>) {
        let a = call(
            &self.lookup,
            request("GET", &format!("/v1/children/{CHILD}"), by, None),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
    }

    /// Delivers until the delivery queue is empty.
    async fn deliver_all(&self) {
        let delivery = self.delivery(self.delivery_stores());
        loop {
            let p = poll_once(&self.emu.sqs, &self.delivery_url, 10, 0, |e| {
                let d = &delivery;
                async move { d.handle(&e).await }
            })
            .await
            .unwrap();
            if p.received == 0 {
                return;
            }
        }
    }

    /// Reconciliation with its clock `after` the fixture's now.
    fn reconciler(&self, after: chrono::Duration) -> Reconciler<FixedClock> {
        Reconciler::new(
            self.table.clone(),
            SqsQueue::new(self.emu.sqs.clone(), &self.fanout_url),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery_url),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery_dlq),
            Retention::default(),
            FixedClock::at(self.clock.now() + after),
        )
    }

    async fn inbox_page(&self) -> Value {
        let a = call(
            &self.inbox,
            request("GET", "/v1/notifications", la(LEEDS), None),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        a.body
    }

    async fn overdue_page(&self) -> Value {
        let a = call(
            &self.reports,
            request("GET", "/v1/alerts/overdue", OPERATOR, None),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        a.body
    }

    async fn ack(&self, id: &str) -> Value {
        let a = call(
            &self.inbox,
            request(
                "POST",
                &format!("/v1/notifications/{id}/ack"),
                la(LEEDS),
                None,
            ),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        a.body
    }

    async fn notifications_of(
        &self,
        kind: NotificationKind,
    ) -> Vec<cpindex::notification::Notification> {
        NotificationStore::new(self.table.clone())
            .list(&OrgCode::parse(LEEDS).unwrap(), false, 100, None)
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|n| n.kind == kind)
            .collect()
    }
}

fn kinds(received: &[integration_tests::webhook::Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.body["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_unacknowledged_alert_falls_overdue_at_its_deadline_and_is_sent_again_once() {
    let w = fixture().await;
    let hook = WebhookReceiver::start("s3cret", vec![]).await;
    w.leeds(Some(&hook), Some(2)).await;
    w.look_by(Some(("unscheduled_care", "RR801", "dr-1"))).await;
    w.pump_fanout().await;
    w.deliver_all().await;
    assert_eq!(
        kinds(&hook.received()),
        vec!["child_seen_in_unscheduled_care"]
    );
    let alert = w
        .notifications_of(NotificationKind::ChildSeen)
        .await
        .remove(0);

    // A minute before the LA's two hours: nothing is overdue.
    let early = w.reconciler(chrono::Duration::minutes(119));
    assert_eq!(
        early
            .escalate_overdue_alerts(early.clock.now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(w.overdue_page().await["total"], 0);

    // Past it: escalated by exactly one of two steps racing, and by none after.
    let late = w.reconciler(chrono::Duration::minutes(121));
    let now = late.clock.now();
    let (a, b) = tokio::join!(
        late.escalate_overdue_alerts(now),
        late.escalate_overdue_alerts(now)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(late.escalate_overdue_alerts(now).await.unwrap(), 0);
    w.deliver_all().await;
    let received = hook.received();
    assert_eq!(
        kinds(&received),
        vec!["child_seen_in_unscheduled_care", "alert_overdue"]
    );
    let resent = &received[1].body;
    assert!(received[1].signature_ok);
    assert_eq!(resent["alertNotificationId"], json!(alert.notification_id));
    assert_eq!(resent["nhsNumber"], json!(CHILD));
    let deadline = alert.seen_at + chrono::Duration::hours(2);
    assert_eq!(resent["deadline"], json!(deadline));

    // The inbox lists it first; the operators' page shows it under Leeds; it is counted.
    let page = w.inbox_page().await;
    assert_eq!(
        page["overdue"][0]["notificationId"],
        json!(alert.notification_id)
    );
    let ops = w.overdue_page().await;
    assert_eq!(ops["total"], 1);
    assert_eq!(ops["las"][0]["la"], LEEDS);
    assert_eq!(ops["las"][0]["name"], "Leeds");
    assert!(
        !ops.to_string().contains(CHILD),
        "no child on the operators' page"
    );
    let counted = adapters::store::indicators::IndicatorStore::new(w.table.clone())
        .week(cpindex::indicators::IsoWeek::of(alert.seen_at))
        .await
        .unwrap();
    let leeds = OrgCode::parse(LEEDS).unwrap();
    assert_eq!(
        counted
            .iter()
            .find(|l| l.org == leeds)
            .map(|l| l.counts.counter(cpindex::indicators::Counter::AlertOverdue)),
        Some(1)
    );

    // Another step, and a redelivered overdue notice, send nothing more.
    assert_eq!(late.escalate_overdue_alerts(now).await.unwrap(), 0);
    w.deliver_all().await;
    assert_eq!(hook.received().len(), 2);
}

/// A step that escalates an alert and dies before queueing its notice (here, its delivery
/// queue is gone) leaves the alert waiting; a step within a minute leaves it to the escalating
/// step, the next one queues the notice, and the LA is sent it once.
#[tokio::test]
async fn a_step_that_dies_before_queueing_the_overdue_notice_is_made_good_by_a_later_one() {
    let w = fixture().await;
    let hook = WebhookReceiver::start("s3cret", vec![]).await;
    w.leeds(Some(&hook), Some(2)).await;
    w.look_by(Some(("unscheduled_care", "RR801", "dr-1"))).await;
    w.pump_fanout().await;
    w.deliver_all().await;
    let late = chrono::Duration::minutes(121);
    let dying = Reconciler::new(
        w.table.clone(),
        SqsQueue::new(w.emu.sqs.clone(), &w.fanout_url),
        SqsQueue::new(
            w.emu.sqs.clone(),
            "http://127.0.0.1:4567/000000000000/no-such-queue",
        ),
        SqsQueue::new(w.emu.sqs.clone(), &w.delivery_dlq),
        Retention::default(),
        FixedClock::at(w.clock.now() + late),
    );
    assert!(dying
        .escalate_overdue_alerts(dying.clock.now())
        .await
        .is_err());
    // A step at `after`, then every notice queued delivered: what the LA has received.
    let step_then_deliver = |after: chrono::Duration| {
        let w = &w;
        let hook = &hook;
        async move {
            let step = w.reconciler(after);
            let escalated = step
                .escalate_overdue_alerts(step.clock.now())
                .await
                .unwrap();
            w.deliver_all().await;
            (escalated, kinds(&hook.received()))
        }
    };
    // Seconds later (another step racing it): left to the escalating step.
    assert_eq!(
        step_then_deliver(late + chrono::Duration::seconds(5)).await,
        (0, vec!["child_seen_in_unscheduled_care".to_owned()])
    );
    // The next step, fifteen minutes on: the notice is queued and sent once; once only.
    let both = vec![
        "child_seen_in_unscheduled_care".to_owned(),
        "alert_overdue".to_owned(),
    ];
    for _ in 0..2 {
        assert_eq!(
            step_then_deliver(late + chrono::Duration::minutes(15)).await,
            (0, both.clone())
        );
    }
}

#[tokio::test]
async fn acknowledging_the_overdue_notice_closes_the_alert_for_the_la_and_the_operators() {
    let w = fixture().await;
    // No webhook at all (or one that is down): the inbox and the operators' page still show it.
    w.leeds(None, None).await;
    w.look_by(Some(("unscheduled_care", "RR801", "dr-1"))).await;
    w.pump_fanout().await;
    w.deliver_all().await;
    let alert = w
        .notifications_of(NotificationKind::ChildSeen)
        .await
        .remove(0);
    // The deployment's default window: four hours.
    let step = w.reconciler(chrono::Duration::hours(4) + chrono::Duration::minutes(1));
    assert_eq!(
        step.escalate_overdue_alerts(step.clock.now())
            .await
            .unwrap(),
        1
    );
    w.deliver_all().await;
    let notice = w
        .notifications_of(NotificationKind::AlertOverdue)
        .await
        .remove(0);
    assert_eq!(notice.status, cpindex::notification::DeliveryStatus::Inbox);
    assert_eq!(
        notice.overdue.as_ref().map(|o| o.notification_id.as_str()),
        Some(alert.notification_id.as_str())
    );
    assert_eq!(w.overdue_page().await["total"], 1);

    // The LA acknowledges the notice: the alert it is about is acknowledged too, and closed.
    w.ack(&notice.notification_id).await;
    let original = NotificationStore::new(w.table.clone())
        .get(&alert.notification_id)
        .await
        .unwrap()
        .unwrap();
    assert!(original.acknowledged_at.is_some());
    assert!(original.overdue_at.is_some());
    assert!(w.inbox_page().await.get("overdue").is_none());
    assert_eq!(w.overdue_page().await["total"], 0);
    assert_eq!(
        step.escalate_overdue_alerts(step.clock.now())
            .await
            .unwrap(),
        0
    );

    // An alert acknowledged in time never falls overdue.
    w.look_by(Some(("unscheduled_care", "RR802", "dr-2"))).await;
    w.pump_fanout().await;
    w.deliver_all().await;
    let second = w
        .notifications_of(NotificationKind::ChildSeen)
        .await
        .into_iter()
        .find(|n| n.acknowledged_at.is_none())
        .unwrap();
    w.ack(&second.notification_id).await;
    let later = w.reconciler(chrono::Duration::hours(9));
    assert_eq!(
        later
            .escalate_overdue_alerts(later.clock.now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(w.overdue_page().await["total"], 0);
}

#[tokio::test]
async fn a_third_attendance_in_thirty_days_is_counted_on_the_alert() {
    let w = fixture().await;
    let hook = WebhookReceiver::start("s3cret", vec![]).await;
    w.leeds(Some(&hook), None).await;
    // Three clinicians in three settings; the first looks twice (one attendance).
    let seen = [
        ("unscheduled_care", "RR801", "dr-1"),
        ("unscheduled_care", "RR801", "dr-1"),
        ("unscheduled_care", "RAE01", "dr-2"),
        ("unscheduled_care", "RWA01", "dr-3"),
    ];
    for by in seen {
        w.look_by(Some(by)).await;
        w.pump_fanout().await;
    }
    w.deliver_all().await;
    let mut counts: Vec<Value> = hook
        .received()
        .iter()
        .map(|r| r.body["attendances"].clone())
        .collect();
    // Delivered concurrently: in any order.
    counts.sort_by_key(|c| c["last30Days"].as_u64());
    assert_eq!(
        counts,
        vec![
            json!({"last30Days": 1, "last90Days": 1, "settings90Days": 1}),
            json!({"last30Days": 2, "last90Days": 2, "settings90Days": 2}),
            json!({"last30Days": 3, "last90Days": 3, "settings90Days": 3}),
        ]
    );
    let page = w.inbox_page().await;
    assert_eq!(page["items"][0]["attendances"]["last30Days"], 3);
}

/// Every form an NHS number could be written in.
fn forms(nhs: &NhsNumber) -> [String; 3] {
    let d = nhs.digits();
    [
        d.clone(),
        nhs.to_string(),
        format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
    ]
}

#[tokio::test]
async fn a_missed_appointment_reaches_the_las_webhook_and_inbox_and_one_off_the_index_leaves_no_number(
) {
    let w = fixture().await;
    let hook = WebhookReceiver::start("s3cret", vec![]).await;
    w.leeds(Some(&hook), None).await;
    let today = w.clock.now().date_naive();
    let body = json!({"setting": "health_visiting", "service": "Health visiting, Leeds North", "appointmentDate": today.to_string(), "familyNotReached": true});
    let record = |nhs: String| {
        let body = body.clone();
        let inbox_less = w.lookup.clone();
        async move {
            call(
                &inbox_less,
                request(
                    "POST",
                    &format!("/v1/children/{nhs}/missed-appointments"),
                    HEALTH_VISITOR,
                    Some(&body),
                ),
            )
            .await
        }
    };
    let on_plan = record(CHILD.into()).await;
    let strangers: Vec<NhsNumber> = (0..3).map(|_| random_nhs_number()).collect();
    let mut answers = Vec::new();
    for s in &strangers {
        answers.push(record(s.digits()).await);
    }
    // The same answer for a child on the index as for one off it.
    for a in answers.iter().chain([&on_plan]) {
        assert_eq!(a.status, 202, "{a:?}");
        let mut keys: Vec<_> = a.body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, vec!["missedAppointmentId", "recordedAt"]);
    }
    // Unscheduled care may not record one.
    let refused = call(
        &w.lookup,
        request(
            "POST",
            &format!("/v1/children/{CHILD}/missed-appointments"),
            Some(("unscheduled_care", "RR801", "dr-1")),
            Some(&body),
        ),
    )
    .await;
    assert_eq!(refused.status, 403);

    w.pump_fanout().await;
    w.deliver_all().await;
    let received = hook.received();
    assert_eq!(kinds(&received), vec!["child_missed_appointment"]);
    let told = &received[0].body;
    assert!(received[0].signature_ok);
    assert_eq!(told["nhsNumber"], json!(CHILD));
    assert_eq!(told["appointment"]["setting"], "health_visiting");
    assert_eq!(told["appointment"]["familyNotReached"], true);
    let listed = w
        .notifications_of(NotificationKind::MissedAppointment)
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].setting_code.as_str(), "RGD01");

    // Nothing stored holds a stranger's number, in any form.
    let items = w.emu.scan_all(&w.table).await;
    assert!(items.len() > 5);
    for item in &items {
        let text = format!("{item:?}");
        for s in &strangers {
            for form in forms(s) {
                assert!(!text.contains(&form), "an item holds {form}");
            }
        }
    }
    // Each stranger's record is audited by child key, handed to fan-out and closed.
    let audited = items
        .iter()
        .filter(|i| {
            i.get("outcome")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("missed_appointment")
        })
        .count();
    assert_eq!(audited, 4);
}
