//! A transfer does not open a gap (issue 30.3), on the emulator over HTTP: a plan ended as
//! transferred out still alerts its LA, and the clinician is told until when, through the
//! transfer window and while no other LA holds the child; not a day after, not once another LA
//! has recorded a plan; a plain end alerts no one; a plan ended as recorded in error is seen by
//! no clinician.

use adapters::store::notifications::NotificationStore;
use adapters::store::Table;
use alert_fanout::Fanout;
use axum::Router;
use chrono::{DateTime, Days, NaiveDate, Utc};
use cpindex::keys::{ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::notification::{Notification, NotificationKind};
use cpindex::transfer::TransferWindow;
use cpindex::{FixedClock, OrgCode, Retention};
use integration_tests::fixtures::{profile, CAMDEN, CHILD, ED, LEEDS};
use integration_tests::http::{call, la, request};
use integration_tests::Emulator;
use local_stack::poller::poll_once;
use serde_json::{json, Value};

struct World {
    emu: Emulator,
    table: Table,
    upsert: Router,
    fanout_url: String,
    delivery: adapters::queue::SqsQueue,
    /// When the plans are recorded.
    now: DateTime<Utc>,
    today: NaiveDate,
}

async fn world() -> World {
    let emu = Emulator::connect();
    let table = emu.bare_table().await;
    let (_, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let (delivery, _) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
    let now = Utc::now();
    let store = NotificationStore::new(table.clone());
    for org in [LEEDS, CAMDEN] {
        store.put_profile(&profile(org)).await.unwrap();
    }
    World {
        upsert: plan_upsert::router(plan_upsert::App::new(
            table.clone(),
            integration_tests::child_keys(),
            Retention::default(),
            FixedClock::at(now),
        )),
        fanout_url: fanout.queue,
        delivery,
        now,
        today: now.date_naive(),
        emu,
        table,
    }
}

impl World {
    /// A minute after the plans were recorded, `days` later (an access before a plan was
    /// recorded is never alerted on its account).
    fn at(&self, days: i64) -> DateTime<Utc> {
        self.now + chrono::Duration::days(days) + chrono::Duration::minutes(1)
    }

    async fn put(&self, org: &str, plan_ref: &str, body: Value) {
        let a = call(
            &self.upsert,
            request(
                "PUT",
                &format!("/v1/plans/{plan_ref}"),
                la(org),
                Some(&body),
            ),
        )
        .await;
        assert!(a.status == 200 || a.status == 201, "{a:?}");
    }

    /// An unscheduled-care lookup at `at`, fanned out there; returns the answer and the LAs
    /// alerted by it.
    async fn attend(&self, at: DateTime<Utc>) -> (Value, Vec<String>) {
        let lookup = lookup::router(lookup::App::new(
            self.table.clone(),
            adapters::queue::SqsQueue::new(self.emu.sqs.clone(), &self.fanout_url),
            integration_tests::child_keys(),
            Retention::default(),
            FixedClock::at(at),
        ));
        let a = call(
            &lookup,
            request("GET", &format!("/v1/children/{CHILD}"), ED, None),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        let before = self.alerts().await;
        let fanout = Fanout::new(
            self.table.clone(),
            self.delivery.clone(),
            Retention::default(),
            FixedClock::at(at),
        )
        .with_transfer_window(TransferWindow::default());
        let fanout = &fanout;
        loop {
            let p = poll_once(&self.emu.sqs, &self.fanout_url, 10, 0, |e| async move {
                fanout.handle(&e).await
            })
            .await
            .unwrap();
            if p.received == 0 {
                break;
            }
        }
        let access = a.body["accessId"].as_str().unwrap();
        let mut alerted: Vec<String> = self
            .alerts()
            .await
            .into_iter()
            .filter(|n| !before.contains(n) && n.access_id == access)
            .map(|n| n.la.as_str().to_owned())
            .collect();
        alerted.sort();
        (a.body, alerted)
    }

    async fn alerts(&self) -> Vec<Notification> {
        let store = NotificationStore::new(self.table.clone());
        let mut out = Vec::new();
        for org in [LEEDS, CAMDEN] {
            let org = OrgCode::parse(org).unwrap();
            out.extend(
                store
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

fn ended(end: NaiveDate, reason: Option<&str>, version: u64) -> Value {
    let mut v = json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": "2025-06-01",
        "endDate": end, "sourceVersion": version});
    if let Some(reason) = reason {
        v["endReason"] = json!(reason);
    }
    v
}

#[tokio::test]
async fn a_transfer_out_alerts_its_la_through_the_window_and_not_a_day_after() {
    let w = world().await;
    let end = w.today - Days::new(1);
    w.put(LEEDS, "L-1", ended(end, Some("transferred_out"), 1))
        .await;
    let until = end + Days::new(30);

    for days in [0, 29] {
        let (answer, alerted) = w.attend(w.at(days)).await;
        assert_eq!(
            answer["hasPlan"], false,
            "hasPlan still means an active plan"
        );
        let plan = &answer["endedPlans"][0];
        assert_eq!(plan["endReason"], "transferred_out");
        assert_eq!(plan["stillAlertedUntil"], json!(until), "{answer}");
        assert_eq!(plan["responsibleLa"]["code"], LEEDS);
        assert!(plan["responsibleLa"]["emergencyDutyPhone"].is_string());
        assert_eq!(alerted, [LEEDS], "day {days} of the window");
    }
    // The window's last day is `until`: the day after it, nobody is alerted and nothing said.
    let after = (until - w.today).num_days() + 1;
    let (answer, alerted) = w.attend(w.at(after)).await;
    assert!(
        answer["endedPlans"][0].get("stillAlertedUntil").is_none(),
        "{answer}"
    );
    assert!(alerted.is_empty(), "{alerted:?}");
}

#[tokio::test]
async fn another_las_plan_closes_the_window_and_a_plain_end_alerts_no_one() {
    let w = world().await;
    let end = w.today - Days::new(3);
    w.put(LEEDS, "L-1", ended(end, Some("transferred_out"), 1))
        .await;
    // Camden records its plan: it holds the child now, and Leeds is no longer alerted.
    w.put(
        CAMDEN,
        "C-1",
        json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": w.today - Days::new(2), "sourceVersion": 1}),
    )
    .await;
    let (answer, alerted) = w.attend(w.at(0)).await;
    assert_eq!(answer["hasPlan"], true);
    assert!(
        answer["endedPlans"][0].get("stillAlertedUntil").is_none(),
        "{answer}"
    );
    assert_eq!(alerted, [CAMDEN]);

    // Leeds says its end was a plain one after all: and Camden ends its plan too.
    w.put(LEEDS, "L-1", ended(end, Some("ended"), 2)).await;
    w.put(
        CAMDEN,
        "C-1",
        json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": w.today - Days::new(2),
               "endDate": w.today - Days::new(1), "sourceVersion": 2}),
    )
    .await;
    let (answer, alerted) = w.attend(w.at(0)).await;
    assert_eq!(answer["hasPlan"], false);
    assert_eq!(
        answer["endedPlans"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );
    assert!(alerted.is_empty(), "a plain end alerts no one: {alerted:?}");
}

#[tokio::test]
async fn a_plan_ended_as_recorded_in_error_is_seen_by_no_clinician_and_strikes_the_inbox() {
    let w = world().await;
    w.put(
        LEEDS,
        "L-1",
        json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": "2025-06-01", "sourceVersion": 1}),
    )
    .await;
    let (answer, alerted) = w.attend(w.at(0)).await;
    assert_eq!(
        (answer["hasPlan"].clone(), alerted),
        (json!(true), vec![LEEDS.to_owned()])
    );

    w.put(LEEDS, "L-1", ended(w.today, Some("recorded_in_error"), 2))
        .await;
    let (answer, alerted) = w.attend(w.at(0)).await;
    assert_eq!(answer["hasPlan"], false);
    assert_eq!(answer["plans"], json!([]), "{answer}");
    assert_eq!(answer["endedPlans"], json!([]), "{answer}");
    assert!(alerted.is_empty());
    // The first alert stays (a clinician did look), without the number the plan was on.
    let kept = w.alerts().await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].nhs_number, None);
    assert_eq!(
        kept[0].struck,
        Some(cpindex::notification::Struck::Withdrawn)
    );
}
