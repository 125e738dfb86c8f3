//! The alert flow against the emulator and real local webhook receivers: a lookup ends in exactly
//! one notification per responsible LA, delivered signed, whatever is redelivered, crashes or fails.

use adapters::queue::SqsQueue;
use adapters::store::access::{AccessStore, Trail, Window};
use adapters::store::StoreError;
use alert_delivery::port::{DeliveryStore, DeliveryStores};
use async_trait::async_trait;
use axum::Router;
use chrono::{DateTime, Utc};
use cpindex::notification::{DeliveryStatus, Notification, NotificationKind};
use cpindex::profile::LaProfile;

use cpindex::{Clock, OrgCode, Retention};
use integration_tests::fixtures::{CAMDEN, CHILD, ED, LEEDS, MOTHER, NOBODY, OPERATOR};
use integration_tests::http::{call, la, request, As};
use integration_tests::webhook::{Answer, WebhookReceiver};
use local_stack::poller::poll_once;
use serde_json::{json, Value};

mod alert_world;
use alert_world::*;

#[tokio::test]
async fn one_lookup_of_a_child_with_two_las_is_one_signed_post_to_each() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start("leeds-secret", vec![Answer::Status(200)]).await;
    let camden = WebhookReceiver::start("camden-secret", vec![Answer::Status(204)]).await;
    f.profile(LEEDS, Some((&leeds.url, "leeds-secret"))).await;
    f.profile(CAMDEN, Some((&camden.url, "camden-secret")))
        .await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "LAC")]).await;
    f.load(CAMDEN, vec![plan("C-1", CHILD, "CPP")]).await;

    let access_id = f.look(CHILD).await;
    assert_eq!(f.pump_fanout().await, 1);
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 2).await;

    for (receiver, org) in [(&leeds, LEEDS), (&camden, CAMDEN)] {
        let got = receiver.received();
        assert_eq!(got.len(), 1, "{org}: exactly one POST");
        assert!(
            got[0].signature_ok,
            "{org}: the receiver verifies the signature"
        );
        assert_eq!(got[0].body["accessId"], access_id);
        assert_eq!(got[0].body["la"], org);
        assert_eq!(got[0].body["nhsNumber"], CHILD);
    }
    let ns = f.all_notifications().await;
    assert_eq!(ns.len(), 2);
    assert!(ns.iter().all(|n| n.status == DeliveryStatus::Delivered));
    let pending = AccessStore::new(f.table.clone())
        .pending_before(f.clock.now() + chrono::Duration::minutes(1), 10)
        .await
        .unwrap();
    assert!(pending.is_empty(), "fan-out confirmed the access");
}

#[tokio::test]
async fn las_whose_keys_share_one_secret_are_each_signed_with_their_own() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start("leeds-key", vec![Answer::Status(200)]).await;
    let camden = WebhookReceiver::start("camden-key", vec![Answer::Status(200)]).await;
    // One secret for every LA (a JSON object of LA code to keys), as a national deployment keeps
    // them; Camden is mid-rotation (two keys).
    std::fs::write(
        f.secrets_dir.join("cpindex_webhook_all"),
        json!({LEEDS: "leeds-key", CAMDEN: "camden-next\ncamden-key"}).to_string(),
    )
    .unwrap();
    for (org, receiver) in [(LEEDS, &leeds), (CAMDEN, &camden)] {
        let secret_ref = format!("cpindex/webhook/all#{org}");
        f.profile_naming(org, Some((&receiver.url, &secret_ref)))
            .await;
    }
    f.load(LEEDS, vec![plan("L-1", CHILD, "LAC")]).await;
    f.load(CAMDEN, vec![plan("C-1", CHILD, "CPP")]).await;
    f.look(CHILD).await;
    assert_eq!(f.pump_fanout().await, 1);
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 2).await;
    for (receiver, org) in [(&leeds, LEEDS), (&camden, CAMDEN)] {
        let got = receiver.received();
        assert_eq!(got.len(), 1, "{org}: exactly one POST");
        assert!(got[0].signature_ok, "{org}: signed with its own key");
        assert_eq!(got[0].body["la"], org);
    }
}

#[tokio::test]
async fn the_same_access_delivered_twice_still_makes_one_notification_per_la() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start("s", vec![Answer::Status(200)]).await;
    f.profile(LEEDS, Some((&leeds.url, "s"))).await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    f.look(CHILD).await;
    // Take the message without deleting it, and hand the same event to fan-out twice.
    assert_eq!(f.fan_out_waiting_twice().await, 1);
    assert_eq!(f.all_notifications().await.len(), 1);

    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 3).await;
    let got = leeds.received();
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|r| r.idempotency_key == got[0].idempotency_key),
        "duplicates carry one key"
    );
    let ns = f.all_notifications().await;
    assert_eq!((ns.len(), ns[0].status), (1, DeliveryStatus::Delivered));
}

/// The real store, except that recording the outcome fails the first time: a consumer that
/// crashed after the webhook answered but before the message was deleted.
struct CrashOnceAfterPost {
    inner: DeliveryStores,
    crashed: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl DeliveryStore for CrashOnceAfterPost {
    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        self.inner.notification(id).await
    }
    async fn profile(&self, la: &OrgCode) -> Result<Option<LaProfile>, StoreError> {
        self.inner.profile(la).await
    }
    async fn finish(
        &self,
        id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        if !self.crashed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Unavailable("simulated crash".into()));
        }
        self.inner.finish(id, status, at, attempts, error).await
    }
    async fn attempt_failed(&self, id: &str, attempts: u32, error: &str) -> Result<(), StoreError> {
        self.inner.attempt_failed(id, attempts, error).await
    }
    async fn count(
        &self,
        la: &OrgCode,
        week: cpindex::indicators::IsoWeek,
        counters: &[(cpindex::indicators::Counter, u64)],
    ) {
        self.inner.count(la, week, counters).await
    }
}

#[tokio::test]
async fn a_crash_after_the_webhook_repeats_the_post_with_the_same_key_and_delivers_once() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start("s", vec![Answer::Status(200)]).await;
    f.profile(LEEDS, Some((&leeds.url, "s"))).await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    f.look(CHILD).await;
    f.pump_fanout().await;
    let delivery = f.delivery(CrashOnceAfterPost {
        inner: f.delivery_stores(),
        crashed: Default::default(),
    });
    f.pump_delivery(&delivery, 3).await;
    let got = leeds.received();
    assert_eq!(got.len(), 2, "posted, crashed, redelivered, posted again");
    assert_eq!(got[0].idempotency_key, got[1].idempotency_key);
    let ns = f.all_notifications().await;
    assert_eq!((ns.len(), ns[0].status), (1, DeliveryStatus::Delivered));
    assert!(
        f.emu.receive(&f.delivery_url).await.is_empty(),
        "the message is gone"
    );
}

#[tokio::test]
async fn a_webhook_failing_twice_then_answering_is_delivered_on_the_third_attempt() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start(
        "s",
        vec![
            Answer::Status(500),
            Answer::Status(502),
            Answer::Status(200),
        ],
    )
    .await;
    f.profile(LEEDS, Some((&leeds.url, "s"))).await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    f.look(CHILD).await;
    f.pump_fanout().await;
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 5).await;
    let got = leeds.received();
    assert_eq!(got.len(), 3);
    assert!(got
        .iter()
        .all(|r| r.idempotency_key == got[0].idempotency_key && r.signature_ok));
    let n = &f.all_notifications().await[0];
    assert_eq!((n.status, n.attempts), (DeliveryStatus::Delivered, 3));
    assert!(f.emu.receive(&f.delivery_dlq).await.is_empty());
}

#[tokio::test]
async fn a_webhook_that_never_answers_dead_letters_and_the_notification_shows_failed_in_the_inbox()
{
    let f = fixture().await;
    let leeds = WebhookReceiver::start("s", vec![Answer::Hang]).await;
    f.profile(LEEDS, Some((&leeds.url, "s"))).await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    f.look(CHILD).await;
    f.pump_fanout().await;
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 5).await;
    assert_eq!(leeds.received().len(), 3, "three attempts, each timed out");
    let inbox = call(
        &f.inbox,
        request("GET", "/v1/notifications", la(LEEDS), None),
    )
    .await;
    // The alert (the operator's setting up of the profile is a note of its own).
    let items: Vec<&Value> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "child_seen")
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["lastError"], "timeout");
    let dead = f.emu.receive(&f.delivery_dlq).await;
    assert_eq!(dead.len(), 1, "dead-lettered for operators");
}

#[tokio::test]
async fn an_la_without_a_webhook_works_from_its_inbox_and_sees_only_its_own() {
    let f = fixture().await;
    f.profile(LEEDS, None).await;
    f.profile(CAMDEN, None).await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "LAC")]).await;
    f.load(CAMDEN, vec![plan("C-1", CHILD, "CPP")]).await;
    f.look(CHILD).await;
    f.pump_fanout().await;
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 2).await;

    let leeds = call(
        &f.inbox,
        request(
            "GET",
            "/v1/notifications?status=unacknowledged",
            la(LEEDS),
            None,
        ),
    )
    .await;
    let items: Vec<Value> = leeds.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "child_seen")
        .cloned()
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["la"].clone(), items[0]["status"].clone()),
        (json!(LEEDS), json!("inbox"))
    );
    let id = items[0]["notificationId"].as_str().unwrap();

    // Camden can neither see nor acknowledge Leeds' notification.
    let camden = call(
        &f.inbox,
        request("GET", "/v1/notifications", la(CAMDEN), None),
    )
    .await;
    assert!(camden.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["la"] == CAMDEN));
    let steal = call(
        &f.inbox,
        request(
            "POST",
            &format!("/v1/notifications/{id}/ack"),
            la(CAMDEN),
            None,
        ),
    )
    .await;
    assert_eq!(steal.status, 404);
    assert!(f
        .notifications()
        .get(id)
        .await
        .unwrap()
        .unwrap()
        .acknowledged_at
        .is_none());

    let acked = call(
        &f.inbox,
        request(
            "POST",
            &format!("/v1/notifications/{id}/ack"),
            la(LEEDS),
            None,
        ),
    )
    .await;
    assert_eq!(acked.status, 200);
    assert_eq!(acked.body["acknowledgedBy"], "sw-1");
    let left = call(
        &f.inbox,
        request(
            "GET",
            "/v1/notifications?status=unacknowledged",
            la(LEEDS),
            None,
        ),
    )
    .await;
    let left: Vec<&Value> = left.body["items"].as_array().unwrap().iter().collect();
    assert!(
        left.iter()
            .all(|n| n["kind"] == "other_la_plan" || n["kind"] == "profile_changed"),
        "only the notices of Camden's plan and of the profile's setting up are left: {left:?}"
    );

    let history = call(
        &f.inbox,
        request("GET", "/v1/plans/L-1/accesses", la(LEEDS), None),
    )
    .await;
    let h = history.body.as_array().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0]["settingCode"].clone(), h[0]["planFound"].clone()),
        (json!("RR801"), json!(true))
    );
    let other = call(
        &f.inbox,
        request("GET", "/v1/plans/C-1/accesses", la(LEEDS), None),
    )
    .await;
    assert_eq!(other.status, 404, "Camden's plan is not Leeds' to browse");
}

#[tokio::test]
async fn a_poison_message_fails_alone_and_a_child_without_a_plan_is_closed_quietly() {
    let f = fixture().await;
    // A child without a plan: the lookup itself closes it (the lean path queues nothing).
    f.look(NOBODY).await;
    assert!(f.emu.receive(&f.fanout_url).await.is_empty());
    // An access fan-out does receive for such a child (here, as when the lookup's own write
    // failed and the queue carried it) is closed quietly too.
    let queued = cpindex::access::Access::new(
        &cpindex::Claims::from_lookup(|k| match k {
            "org" => Some("RR801"),
            "role" => Some("unscheduled_care"),
            "sub" => Some("dr-2"),
            _ => None,
        })
        .unwrap(),
        integration_tests::child_key(&cpindex::NhsNumber::parse(NOBODY).unwrap()),
        f.clock.now(),
        cpindex::access::AccessOutcome::Allowed,
    );
    f.emu
        .sqs
        .send_message()
        .queue_url(&f.fanout_url)
        .message_body(serde_json::to_string(&queued).unwrap())
        .send()
        .await
        .unwrap();
    f.emu
        .sqs
        .send_message()
        .queue_url(&f.fanout_url)
        .message_body("{not an access")
        .send()
        .await
        .unwrap();
    let fanout = &f.fanout;
    let p = poll_once(&f.emu.sqs, &f.fanout_url, 10, 0, |e| async move {
        fanout.handle(&e).await
    })
    .await
    .unwrap();
    assert_eq!((p.received, p.failed), (2, 1));
    assert!(f.all_notifications().await.is_empty());
    let history = AccessStore::new(f.table.clone())
        .history_page(
            &[Window {
                child: &integration_tests::child_key(&cpindex::NhsNumber::parse(NOBODY).unwrap()),
                from: None,
                to: f.clock.now(),
            }],
            &[Trail::Visits, Trail::SilentReads, Trail::Audit],
            None,
            10,
        )
        .await
        .unwrap()
        .accesses;
    assert_eq!(history.len(), 2);
    assert!(
        history.iter().all(|h| h.plan_found == Some(false)),
        "closed: no plan found, by the lookup and by fan-out: {history:?}"
    );
    let pending = AccessStore::new(f.table.clone())
        .pending_before(f.clock.now() + chrono::Duration::minutes(1), 10)
        .await
        .unwrap();
    assert!(pending.is_empty());
}

#[tokio::test]
async fn profiles_are_for_operators_and_refuse_unsafe_webhooks() {
    let f = fixture().await;
    let body = json!({"name": "Leeds", "team": "T", "emergencyDutyPhone": "0113 535 0600",
                      "webhook": {"url": "https://alerts.example.org/x", "secretRef": "r"}});
    let by_la = call(
        &f.inbox,
        request(
            "PUT",
            &format!("/v1/la-profiles/{LEEDS}"),
            la(LEEDS),
            Some(&body),
        ),
    )
    .await;
    assert_eq!(by_la.status, 403);
    let strict = inbox::router(inbox::App::new(
        f.table.clone(),
        Retention::default(),
        f.clock.clone(),
        cpindex::profile::WebhookPolicy::PublicHttpsOnly,
    ));
    for url in [
        "http://alerts.example.org/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest/meta-data",
    ] {
        let body = json!({"name": "Leeds", "team": "T", "emergencyDutyPhone": "0113 535 0600",
                          "webhook": {"url": url, "secretRef": "r"}});
        let a = call(
            &strict,
            request(
                "PUT",
                &format!("/v1/la-profiles/{LEEDS}"),
                OPERATOR,
                Some(&body),
            ),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (400, "invalid_webhook"),
            "{url}"
        );
    }
    assert!(
        f.notifications()
            .profile(&OrgCode::parse(LEEDS).unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing written"
    );
    let ok = call(
        &strict,
        request(
            "PUT",
            &format!("/v1/la-profiles/{LEEDS}"),
            OPERATOR,
            Some(&body),
        ),
    )
    .await;
    assert_eq!(ok.status, 200);
    let own = call(
        &f.inbox,
        request("GET", &format!("/v1/la-profiles/{LEEDS}"), la(LEEDS), None),
    )
    .await;
    assert_eq!(own.status, 200);
    let other = call(
        &f.inbox,
        request("GET", &format!("/v1/la-profiles/{LEEDS}"), la(CAMDEN), None),
    )
    .await;
    assert_eq!(other.status, 404);
}

/// One alert per attendance, not per click: the same clinician opening the same child three
/// times in a few minutes gives each responsible LA one notification (and one webhook call),
/// with the later views recorded on it; a redelivered view adds nothing; another clinician's view
/// is an attendance of its own.
#[tokio::test]
async fn repeated_views_by_one_clinician_within_a_day_alert_each_la_once() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start("s", vec![Answer::Status(200)]).await;
    f.profile(LEEDS, Some((&leeds.url, "s"))).await;
    f.profile(CAMDEN, None).await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "LAC")]).await;
    f.load(CAMDEN, vec![plan("C-1", CHILD, "CPP")]).await;

    let first = f.look(CHILD).await;
    assert_eq!(f.pump_fanout().await, 1);
    let mut later = Vec::new();
    for _ in 0..2 {
        later.push(f.look(CHILD).await);
    }
    // Hand the later views to fan-out twice each (at-least-once delivery).
    assert_eq!(f.fan_out_waiting_twice().await, 2);

    let ns = f.all_notifications().await;
    assert_eq!(ns.len(), 2, "one per LA: {ns:?}");
    for n in &ns {
        assert_eq!(n.access_id, first, "the attendance's first view");
        let mut got = n.later_views.clone();
        got.sort();
        let mut want = later.clone();
        want.sort();
        assert_eq!(got, want, "each later view once, however often delivered");
        assert!(n.last_seen_at.is_some());
    }
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 3).await;
    assert_eq!(leeds.received().len(), 1, "Leeds' webhook is called once");

    // Another clinician at the same department: an attendance of its own, alerted.
    let other = call(
        &f.lookup,
        request(
            "GET",
            &format!("/v1/children/{CHILD}"),
            Some(("unscheduled_care", "RR801", "dr-2")),
            None,
        ),
    )
    .await;
    assert_eq!(other.status, 200);
    f.pump_fanout().await;
    assert_eq!(f.all_notifications().await.len(), 4, "two more, one per LA");
}

/// Recording a plan must not open a child's past: LA B, recording a plan for a child others
/// looked up before, sees none of those earlier accesses, only those made while its plan is held;
/// and its read of the history is itself audited in the child's trail.
#[tokio::test]
async fn an_la_sees_only_accesses_made_while_its_own_plan_was_held() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    let before = f.look(CHILD).await;
    // A refused attempt by an LA user, before Camden's plan too.
    let denied = call(
        &f.lookup,
        request("GET", &format!("/v1/children/{CHILD}"), la(LEEDS), None),
    )
    .await;
    assert_eq!(denied.status, 403);
    f.clock.advance(chrono::Duration::milliseconds(20));
    f.load(CAMDEN, vec![plan("C-9", CHILD, "LAC")]).await;
    f.clock.advance(chrono::Duration::milliseconds(20));
    let after = call(
        &f.lookup,
        request(
            "GET",
            &format!("/v1/children/{CHILD}"),
            Some(("unscheduled_care", "RR801", "dr-7")),
            None,
        ),
    )
    .await;
    let after = after.body["accessId"].as_str().unwrap().to_owned();

    let history = call(
        &f.inbox,
        request("GET", "/v1/plans/C-9/accesses", la(CAMDEN), None),
    )
    .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let ids: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["accessId"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![after.as_str()],
        "only the access after Camden recorded its plan"
    );
    assert!(!ids.contains(&before.as_str()));
    // Leeds, whose plan was held throughout, sees both clinicians' reads but not the refusal.
    let leeds = call(
        &f.inbox,
        request("GET", "/v1/plans/L-1/accesses", la(LEEDS), None),
    )
    .await;
    let leeds_ids: Vec<&str> = leeds
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["accessId"].as_str())
        .collect();
    assert!(
        leeds_ids.contains(&before.as_str()) && leeds_ids.contains(&after.as_str()),
        "{leeds_ids:?}"
    );
    assert!(leeds
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["outcome"] == "allowed"));

    // Both history reads are in the child's audit trail, read back from the table.
    let trail = AccessStore::new(f.table.clone())
        .history_page(
            &[Window {
                child: &integration_tests::child_key(&cpindex::NhsNumber::parse(CHILD).unwrap()),
                from: None,
                to: f.clock.now(),
            }],
            &[Trail::Visits, Trail::SilentReads, Trail::Audit],
            None,
            100,
        )
        .await
        .unwrap()
        .accesses;
    let reads: Vec<&str> = trail
        .iter()
        .filter(|l| l.access.outcome == cpindex::access::AccessOutcome::HistoryRead)
        .map(|l| l.access.org.as_str())
        .collect();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads.contains(&CAMDEN) && reads.contains(&LEEDS));
}

/// Valid NHS numbers of the never-issued test range, none of which any test gives a plan.
fn children_without_a_plan(n: usize) -> Vec<cpindex::NhsNumber> {
    (0u64..)
        .filter_map(|k| {
            let first = 999_100_000 + k * 7_919;
            let digits: [u8; 9] =
                std::array::from_fn(|d| ((first / 10u64.pow(8 - d as u32)) % 10) as u8);
            cpindex::NhsNumber::from_first_nine(digits)
        })
        .take(n)
        .collect()
}

/// Every form an NHS number could be written in: digits, spaced, dashed.
fn forms(nhs: &cpindex::NhsNumber) -> [String; 3] {
    let d = nhs.digits();
    [
        d.clone(),
        nhs.to_string(),
        format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
    ]
}

fn holds_any(text: &str, children: &[cpindex::NhsNumber]) -> Option<String> {
    children
        .iter()
        .flat_map(forms)
        .find(|form| text.contains(form.as_str()))
}

#[tokio::test]
async fn no_stored_item_or_queued_alert_holds_the_nhs_number_of_a_child_without_a_plan() {
    let f = fixture().await;
    let children = children_without_a_plan(4);
    let gp = Some(("scheduled_care", "Y02794", "gp-1"));
    for nhs in &children {
        let path = format!("/v1/children/{}", nhs.digits());
        // A visit, a silent read and a refused attempt: three kinds of access record.
        f.look(&nhs.digits()).await;
        assert_eq!(
            call(&f.lookup, request("GET", &path, gp, None))
                .await
                .status,
            200
        );
        assert_eq!(
            call(&f.lookup, request("GET", &path, la(LEEDS), None))
                .await
                .status,
            403
        );
    }

    // Nothing at all is queued for a child without a plan (the lean path).
    assert!(f.emu.receive(&f.fanout_url).await.is_empty());

    // The whole table, read back after the lookups: 12 access records, the child
    // key's fingerprint (a MAC of a fixed canary) and each caller's count for the hour (three
    // callers), none with the number in any form.
    let items = f.emu.scan_all(&f.table).await;
    assert_eq!(items.len(), 3 * children.len() + 1 + 3, "{items:?}");
    for item in &items {
        let text = format!("{item:?}");
        assert_eq!(holds_any(&text, &children), None, "stored: {text}");
    }
    assert!(f.all_notifications().await.is_empty());

    // The audit stays answerable for an operator, by NHS number, and that read is audited too.
    let nhs = &children[0];
    let path = format!(
        "/v1/children/{}/accesses?purpose=SAR-2026-3%3A+subject+access",
        nhs.digits()
    );
    let trail = call(&f.lookup, request("GET", &path, OPERATOR, None)).await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let outcomes: Vec<(&str, &str)> = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["role"].as_str().unwrap(), a["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes[0], ("operator", "history_read"), "{outcomes:?}");
    let mut rest = outcomes[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        vec![
            ("local_authority", "denied_role"),
            ("scheduled_care", "allowed"),
            ("unscheduled_care", "allowed"),
        ]
    );
    let visit = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "unscheduled_care")
        .unwrap();
    assert_eq!(visit["planFound"], false);
    // Nobody but an operator may read it.
    for caller in [ED, la(LEEDS)] {
        let refused = call(&f.lookup, request("GET", &path, caller, None)).await;
        assert_eq!(refused.status, 403);
    }
    let again = call(&f.lookup, request("GET", &path, OPERATOR, None)).await;
    let reads = again
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"] == "history_read" && a["role"] == "operator")
        .count();
    assert_eq!(reads, 2, "each audit read is itself on the trail");
}

#[tokio::test]
async fn accesses_from_before_a_plan_are_neither_shown_nor_alerted_once_it_is_recorded() {
    let f = fixture().await;
    let [seen_and_closed, seen_while_pending] = children_without_a_plan(2).try_into().unwrap();
    // Both lookups find no plan: neither is handed to fan-out.
    f.look(&seen_and_closed.digits()).await;
    f.look(&seen_while_pending.digits()).await;
    assert_eq!(f.pump_fanout().await, 0);
    f.clock.advance(chrono::Duration::milliseconds(20));
    // Then an LA records plans for both, and fan-out looks at each child again.
    f.load_rechecking(
        LEEDS,
        vec![
            plan("L-A", &seen_and_closed.digits(), "CPP"),
            plan("L-B", &seen_while_pending.digits(), "CPP"),
        ],
    )
    .await;
    // The recheck finds only visits from before the plan: the LA is not told of them.
    assert_eq!(f.pump_fanout().await, 2);
    assert!(f.all_notifications().await.is_empty());
    // Neither the LA nor a clinician sees the visits from before the plan...
    for plan_ref in ["L-A", "L-B"] {
        let history = call(
            &f.inbox,
            request(
                "GET",
                &format!("/v1/plans/{plan_ref}/accesses"),
                la(LEEDS),
                None,
            ),
        )
        .await;
        assert_eq!(history.body, json!([]), "{}", history.body);
    }
    for nhs in [&seen_and_closed, &seen_while_pending] {
        let dr = Some(("unscheduled_care", "RR801", "dr-9"));
        let path = format!("/v1/children/{}", nhs.digits());
        let shown = call(&f.lookup, request("GET", &path, dr, None)).await;
        assert_eq!(shown.body["hasPlan"], true);
        assert_eq!(shown.body["visits"], json!([]), "{}", shown.body);
    }
    // ...while visits made with the plan in place show, and alert.
    f.pump_fanout().await;
    assert_eq!(f.all_notifications().await.len(), 2);
    let later = call(
        &f.lookup,
        request(
            "GET",
            &format!("/v1/children/{}", seen_and_closed.digits()),
            ED,
            None,
        ),
    )
    .await;
    assert_eq!(
        later.body["visits"].as_array().unwrap().len(),
        1,
        "{}",
        later.body
    );
}

/// The race the lean path must close (`cpindex::recheck`): a lookup whose read ran just before
/// a plan's first write landed, while its clock already stood after the time the plan is held
/// from, finds no plan and hands nothing to fan-out. The plan's recheck alerts the LA all the
/// same, once, about that lookup; a recheck handled again makes nothing new.
#[tokio::test]
async fn a_lookup_that_races_a_plans_first_write_is_still_alerted() {
    let f = fixture().await;
    let [child] = children_without_a_plan(1).try_into().unwrap();
    let held_from = f.clock.now();
    // The lookup runs 50 ms after the time the plan will be held from, and misses it.
    f.clock.set(held_from + chrono::Duration::milliseconds(50));
    let access_id = f.look(&child.digits()).await;
    assert_eq!(f.pump_fanout().await, 0, "no plan found: nothing queued");
    // The plan's write lands after the read, stamped a moment before the lookup.
    f.clock.set(held_from);
    f.load_rechecking(LEEDS, vec![plan("L-R", &child.digits(), "CPP")])
        .await;
    assert_eq!(f.pump_fanout().await, 1, "the plan's recheck");
    let alerts = f.all_notifications().await;
    assert_eq!(
        alerts
            .iter()
            .map(|n| (n.la.as_str(), n.access_id.as_str()))
            .collect::<Vec<_>>(),
        vec![(LEEDS, access_id.as_str())]
    );
    // The visit is now confirmed with a plan: a recheck handled again finds nothing to do.
    let recheck = cpindex::recheck::Recheck {
        child: integration_tests::child_key(&child),
        aliases: Vec::new(),
        since: held_from,
    };
    let again = f.fanout.recheck(&recheck, f.clock.now()).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(f.all_notifications().await.len(), 1);
}

/// plan-upsert as main wires it holds each recheck back for `RECHECK_AFTER`, longer than any
/// lookup runs; an update of a plan already held queues none.
#[tokio::test]
async fn a_plans_recheck_waits_until_every_racing_lookup_has_written() {
    let f = fixture().await;
    let upsert = plan_upsert::router(
        plan_upsert::App::new(
            f.table.clone(),
            integration_tests::child_keys(),
            Retention::default(),
            f.clock.clone(),
        )
        .with_fanout(SqsQueue::new(f.emu.sqs.clone(), &f.fanout_url)),
    );
    assert!(cpindex::recheck::RECHECK_AFTER > std::time::Duration::from_secs(10));
    let [child] = children_without_a_plan(1).try_into().unwrap();
    f.notifications()
        .put_profile(&integration_tests::fixtures::profile(LEEDS))
        .await
        .unwrap();
    for version in [1, 2] {
        let mut record = plan("L-D", &child.digits(), "CPP");
        record["sourceVersion"] = json!(version);
        record.as_object_mut().unwrap().remove("planRef");
        let a = call(
            &upsert,
            request("PUT", "/v1/plans/L-D", la(LEEDS), Some(&record)),
        )
        .await;
        assert!(a.status.is_success(), "{a:?}");
    }
    let attrs = f
        .emu
        .sqs
        .get_queue_attributes()
        .queue_url(&f.fanout_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    let count = |name: aws_sdk_sqs::types::QueueAttributeName| {
        attrs
            .get(&name)
            .map(String::as_str)
            .unwrap_or("0")
            .to_owned()
    };
    assert_eq!(
        (
            count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed),
            count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        ),
        ("1".to_owned(), "0".to_owned()),
        "one recheck, for the creation, held back"
    );
}

// ---------------------------------------------------------------------------------------------
// Indicators: the alert flow counts each event once, into the LA's week, and the API publishes
// the counts with small numbers suppressed.
// ---------------------------------------------------------------------------------------------

/// The `n`-th valid NHS number from 943 000 000 (check digit by the modulus 11 rule).
fn nhs_number(n: u64) -> String {
    (0..)
        .map(|i| 943_000_000 + n * 20 + i)
        .find_map(|base| {
            let digits: Vec<u64> = base
                .to_string()
                .bytes()
                .map(|b| u64::from(b - b'0'))
                .collect();
            let sum: u64 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
            let check = (11 - sum % 11) % 11;
            (check != 10).then(|| format!("{base}{check}"))
        })
        .unwrap()
}

async fn indicators(f: &Fixture, query: &str, caller: As<'_>) -> Value {
    let a = call(
        &f.reports,
        request("GET", &format!("/v1/indicators{query}"), caller, None),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    a.body
}

/// The figure of `key` for the latest week: (own, national median).
fn figure(report: &Value, key: &str) -> (Value, Value) {
    let s = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"));
    let last = |v: &Value| v.as_array().unwrap().last().cloned().unwrap();
    (last(&s["values"]), last(&s["nationalMedian"]))
}

#[tokio::test]
async fn the_alert_flow_counts_each_event_once_and_small_numbers_are_never_shown() {
    let f = fixture().await;
    let leeds = WebhookReceiver::start("s", vec![Answer::Status(200)]).await;
    f.profile(LEEDS, Some((&leeds.url, "s"))).await;
    // Camden has no webhook: its alerts wait in the inbox.
    f.profile(CAMDEN, None).await;
    let leeds_children: Vec<String> = (0..6).map(nhs_number).collect();
    let camden_children: Vec<String> = (10..12).map(nhs_number).collect();
    f.load(
        LEEDS,
        leeds_children
            .iter()
            .enumerate()
            .map(|(i, n)| plan(&format!("L-{i}"), n, "CPP"))
            .collect(),
    )
    .await;
    f.load(
        CAMDEN,
        camden_children
            .iter()
            .enumerate()
            .map(|(i, n)| plan(&format!("C-{i}"), n, "LAC"))
            .collect(),
    )
    .await;
    for n in leeds_children.iter().chain(&camden_children) {
        f.look(n).await;
    }
    // At-least-once delivery: every access handed to fan-out twice.
    assert_eq!(f.fan_out_waiting_twice().await, 8);
    let delivery = f.delivery(f.delivery_stores());
    f.pump_delivery(&delivery, 2).await;
    // Camden reads one alert, twice.
    let camden = la(CAMDEN);
    let list = call(&f.inbox, request("GET", "/v1/notifications", camden, None)).await;
    let id = list.body["items"][0]["notificationId"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let a = call(
            &f.inbox,
            request("POST", &format!("/v1/notifications/{id}/ack"), camden, None),
        )
        .await;
        assert_eq!(a.status, 200);
    }

    // The store holds each event once (read back, not inferred).
    let week = cpindex::indicators::IsoWeek::of(f.clock.now());
    let stored = adapters::store::indicators::IndicatorStore::new(f.table.clone())
        .week(week)
        .await
        .unwrap();
    let counts = |org: &str| {
        stored
            .iter()
            .find(|w| w.org.as_str() == org)
            .map(|w| w.counts.clone())
            .unwrap_or_default()
    };
    use cpindex::indicators::Counter;
    let (l, c) = (counts(LEEDS), counts(CAMDEN));
    assert_eq!(l.counter(Counter::AlertSent(None)), 6, "{l:?}");
    assert_eq!(l.counter(Counter::DeliveredByWebhook), 6);
    assert_eq!(l.bands(false).iter().sum::<u64>(), 6, "six delivery times");
    assert_eq!(c.counter(Counter::AlertSent(None)), 2);
    assert_eq!(c.counter(Counter::LeftInInbox), 2);
    assert_eq!(c.counter(Counter::Read), 1, "read twice, counted once");
    assert_eq!(c.bands(true).iter().sum::<u64>(), 1);
    assert_eq!(
        l.counter(Counter::Record(cpindex::answers::RecordOutcome::Created)),
        6,
        "the upload's outcomes"
    );

    // Leeds sees its figures exactly; over two LAs the median is withheld (of two, it is their
    // mean, and would give Camden's figures away).
    let r = indicators(&f, "?weeks=4", la(LEEDS)).await;
    assert_eq!(r["scope"], LEEDS);
    assert_eq!(r["weeks"].as_array().unwrap().len(), 4);
    assert_eq!(r["weeks"][3], week.to_string());
    assert_eq!(r["lasCompared"], 2);
    let exact = |n: u64| json!({"shown": "exact", "value": n});
    let fewer = json!({"shown": "fewer_than_5"});
    let withheld = json!({"shown": "withheld"});
    assert_eq!(figure(&r, "alerts_sent"), (exact(6), withheld.clone()));
    assert_eq!(figure(&r, "alerts_webhook").0, exact(6));
    assert_eq!(figure(&r, "setting_not_stated").0, exact(6));
    assert_eq!(figure(&r, "records_changed").0, exact(6));
    assert_eq!(figure(&r, "read_median_s").0, withheld);
    assert!(
        figure(&r, "delivered_median_s").0["value"]
            .as_u64()
            .unwrap()
            <= 60
    );
    // No pass has run this week: plan figures are "no data", not zero.
    assert_eq!(figure(&r, "plans_total").0, Value::Null);

    // Camden's two alerts and one read: every partition has a small part, so only the first
    // (delivery outcomes) is shown, suppressed, and the rest are withheld.
    let r = indicators(&f, "", camden).await;
    assert_eq!(figure(&r, "alerts_sent").0, withheld);
    assert_eq!(figure(&r, "alerts_inbox").0, fewer);
    assert_eq!(figure(&r, "alerts_webhook").0, exact(0));
    assert_eq!(figure(&r, "setting_not_stated").0, withheld);
    assert_eq!(figure(&r, "alerts_read").0, withheld);
    assert_eq!(figure(&r, "read_median_s").0, withheld);
    // Nothing from 1 to 4 anywhere in Camden's answer.
    let text = r.to_string();
    for n in 1..5 {
        assert!(
            !text.contains(&format!("\"value\":{n}}}")),
            "{n} shown in {text}"
        );
    }

    // Operators: the national totals (8 sent, all "not stated": the settings give the total away,
    // so it is shown, and the outcomes, with Camden's 2, are withheld whole); or any one LA.
    let national = indicators(&f, "", OPERATOR).await;
    assert_eq!(national["scope"], "national");
    assert_eq!(figure(&national, "alerts_sent").0, exact(8));
    assert_eq!(figure(&national, "alerts_webhook").0, withheld);
    let as_leeds = indicators(&f, &format!("?org={LEEDS}"), OPERATOR).await;
    assert_eq!(figure(&as_leeds, "alerts_sent").0, exact(6));

    // An LA may not read another LA's figures.
    let a = call(
        &f.reports,
        request("GET", &format!("/v1/indicators?org={LEEDS}"), camden, None),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.problem_code(), "invalid_query");
    assert_eq!(a.body["field"], "org");

    // The CSV is the JSON, cell for cell.
    let mut req = request("GET", "/v1/indicators?weeks=2", camden, None);
    req.headers_mut()
        .insert("accept", "text/csv".parse().unwrap());
    let a = call(&f.reports, req).await;
    assert_eq!(a.status, 200);
    assert!(a.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = a.body.as_str().unwrap().to_owned();
    let json = indicators(&f, "?weeks=2", camden).await;
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), json["indicators"].as_array().unwrap().len() * 2);
    let text_of = |v: &Value| match v["shown"].as_str() {
        None => "no data".to_owned(),
        Some("exact") => v["value"].to_string(),
        Some("fewer_than_5") => "fewer than 5".into(),
        Some(_) => "not shown".into(),
    };
    for s in json["indicators"].as_array().unwrap() {
        for (i, week) in json["weeks"].as_array().unwrap().iter().enumerate() {
            let row = rows
                .iter()
                .find(|r| r[1] == week.as_str().unwrap() && r[3] == s["key"].as_str().unwrap())
                .unwrap();
            assert_eq!(row[row.len() - 2], text_of(&s["values"][i]), "{row:?}");
            assert_eq!(
                row[row.len() - 1],
                text_of(&s["nationalMedian"][i]),
                "{row:?}"
            );
        }
    }
}

/// Sends `n` requests (sequentially: the emulator serves one at a time) and returns the answers.
async fn many(
    router: &Router,
    n: usize,
    make: impl Fn() -> http::Request<axum::body::Body>,
) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        statuses.push(call(router, make()).await.status.as_u16());
    }
    statuses
}

#[tokio::test]
async fn a_flood_of_repeat_views_never_hides_an_attendance_elsewhere() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    let path = format!("/v1/children/{CHILD}");
    // Given an attendance at another emergency department…
    let elsewhere = Some(("unscheduled_care", "RXX01", "dr-elsewhere"));
    assert_eq!(
        call(&f.lookup, request("GET", &path, elsewhere, None))
            .await
            .status,
        200
    );
    f.pump_fanout().await;
    // …and then one user (or a runaway integration) looking the child up over and over, more
    // times than the visit list reads raw visits.
    let flood = lookup::VISITS_READ + 30;
    let statuses = many(&f.lookup, flood, || request("GET", &path, ED, None)).await;
    assert!(statuses.iter().all(|s| *s == 200));
    assert_eq!(f.pump_fanout().await, flood);
    // Then a third clinician still sees both attendances, each once.
    let third = Some(("unscheduled_care", "RYY02", "dr-3"));
    let a = call(&f.lookup, request("GET", &path, third, None)).await;
    let settings: Vec<&str> = a.body["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["settingCode"].as_str())
        .collect();
    assert_eq!(
        settings.iter().filter(|s| **s == "RXX01").count(),
        1,
        "{settings:?}"
    );
    assert_eq!(
        settings.iter().filter(|s| **s == "RR801").count(),
        1,
        "{settings:?}"
    );
    // The audit trail still holds every view (the flood is not lost, only not repeated).
    let op = Some(("operator", "X26", "op-1"));
    let mut ids = std::collections::HashSet::new();
    let mut next = Some(format!(
        "{path}/accesses?purpose=INC-2026-7%3A+flood+review"
    ));
    while let Some(uri) = next.take() {
        let page = call(&f.lookup, request("GET", &uri, op, None)).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        for a in page.body.as_array().unwrap() {
            assert!(
                ids.insert(a["accessId"].as_str().unwrap().to_owned()),
                "listed twice: {a}"
            );
        }
        next = page
            .headers
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split_once('>'))
            .map(|(u, _)| u.to_owned());
    }
    // The clinicians' views, and each audit page read but the last (recorded after its window).
    assert!(ids.len() > flood + 2, "{}", ids.len());
}

#[tokio::test]
async fn refusals_and_history_reads_never_push_a_clinicians_read_out_of_the_las_history() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    let visit = f.look(CHILD).await;
    f.pump_fanout().await;
    let path = format!("/v1/children/{CHILD}");
    // More refused lookups (an LA token on the clinicians' route) and more reads of the history
    // itself than a page holds.
    let refused = many(&f.lookup, inbox::HISTORY_LIMIT + 20, || {
        request("GET", &path, la(LEEDS), None)
    })
    .await;
    assert!(refused.iter().all(|s| *s == 403));
    let reads = many(&f.inbox, inbox::HISTORY_LIMIT + 5, || {
        request("GET", "/v1/plans/L-1/accesses", la(LEEDS), None)
    })
    .await;
    assert!(reads.iter().all(|s| *s == 200));
    let history = call(
        &f.inbox,
        request("GET", "/v1/plans/L-1/accesses", la(LEEDS), None),
    )
    .await;
    let ids: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["accessId"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![visit.as_str()],
        "the clinician's read, and nothing else"
    );
    assert!(
        history.headers.get("link").is_none(),
        "one page holds it all"
    );
    // A cursor that this API did not give out is refused, naming the parameter.
    for bad in ["zz", "41", "%00"] {
        let a = call(
            &f.inbox,
            request(
                "GET",
                &format!("/v1/plans/L-1/accesses?cursor={bad}"),
                la(LEEDS),
                None,
            ),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (400, "invalid_query"),
            "{bad}"
        );
    }
}

/// The ids in an LA's history of one of its plans, as `inbox` answers it.
async fn history_ids(inbox: &Router, org: &str, plan_ref: &str) -> Vec<String> {
    let a = call(
        inbox,
        request(
            "GET",
            &format!("/v1/plans/{plan_ref}/accesses"),
            la(org),
            None,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["accessId"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_withdrawn_plan_recorded_again_opens_a_fresh_window() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    let before = f.look(CHILD).await;
    let withdrawn = call(
        &f.upsert,
        request("DELETE", "/v1/plans/L-1?sourceVersion=2", la(LEEDS), None),
    )
    .await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.body);
    let mut again = plan("L-1", CHILD, "CPP");
    again["sourceVersion"] = json!(3);
    f.load(LEEDS, vec![again]).await;
    let after = f.look(CHILD).await;
    f.pump_fanout().await;
    // The read made while the plan stood withdrawn (or before it) is not the LA's business.
    assert_eq!(history_ids(&f.inbox, LEEDS, "L-1").await, vec![after]);
    assert_ne!(before, String::new());
}

#[tokio::test]
async fn an_las_history_ends_with_its_plan() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    let during = f.look(CHILD).await;
    // The plan ends today.
    let today = f.clock.now().date_naive();
    let mut ended = plan("L-1", CHILD, "CPP");
    ended["sourceVersion"] = json!(2);
    ended["endDate"] = json!(today.to_string());
    f.load(LEEDS, vec![ended]).await;
    // Two days later a clinician looks the child up (the plan still shows as ended)…
    let later = f.clock.now() + chrono::Duration::days(2);
    let lookup_later = lookup::router(lookup::App::new(
        f.table.clone(),
        SqsQueue::new(f.emu.sqs.clone(), f.fanout_url.clone()),
        integration_tests::child_keys(),
        Retention::default(),
        cpindex::FixedClock::at(later),
    ));
    let after = call(
        &lookup_later,
        request("GET", &format!("/v1/children/{CHILD}"), ED, None),
    )
    .await;
    assert_eq!(after.status, 200);
    // …and the LA, asking the next day, sees the read made while its plan was active only.
    let inbox_later = inbox::router(inbox::App::new(
        f.table.clone(),
        Retention::default(),
        cpindex::FixedClock::at(later + chrono::Duration::days(1)),
        cpindex::profile::WebhookPolicy::LocalHttpAllowed,
    ));
    assert_eq!(history_ids(&inbox_later, LEEDS, "L-1").await, vec![during]);
}

#[tokio::test]
async fn a_corrected_or_withdrawn_plan_leaves_no_number_in_the_inbox_but_keeps_the_access() {
    let f = fixture().await;
    f.load(
        LEEDS,
        vec![plan("L-1", CHILD, "CPP"), plan("L-2", NOBODY, "LAC")],
    )
    .await;
    let first = f.look(CHILD).await;
    let second = f.look(NOBODY).await;
    f.pump_fanout().await;
    // The LA corrects L-1 to another number, and withdraws L-2 as recorded in error.
    let mut corrected = plan("L-1", MOTHER, "CPP");
    corrected["sourceVersion"] = json!(2);
    corrected.as_object_mut().unwrap().remove("planRef");
    let a = call(
        &f.upsert,
        request("PUT", "/v1/plans/L-1", la(LEEDS), Some(&corrected)),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), &a.body["outcome"]),
        (200, &json!("moved"))
    );
    let w = call(
        &f.upsert,
        request("DELETE", "/v1/plans/L-2?sourceVersion=2", la(LEEDS), None),
    )
    .await;
    assert_eq!(w.status, 200, "{:?}", w.body);
    // The inbox, as the LA reads it: both looks are there, when and where, and neither number.
    let inbox = call(
        &f.inbox,
        request("GET", "/v1/notifications", la(LEEDS), None),
    )
    .await;
    assert_eq!(inbox.status, 200);
    let text = inbox.body.to_string();
    for number in [CHILD, NOBODY] {
        assert!(
            !text.contains(number),
            "{number} still in the inbox: {text}"
        );
    }
    let items = inbox.body["items"].as_array().unwrap();
    let by_access = |id: &str| {
        items
            .iter()
            .find(|n| n["accessId"] == id)
            .unwrap_or_else(|| panic!("{id} not listed: {text}"))
    };
    assert_eq!(by_access(&first)["struck"], "corrected");
    assert_eq!(by_access(&second)["struck"], "withdrawn");
    for id in [&first, &second] {
        assert_eq!(by_access(id)["settingCode"], "RR801");
        assert!(by_access(id)["nhsNumber"].is_null());
    }
    // Read back from the table too: no item of the LA's notifications holds either number.
    for n in f.all_notifications().await {
        assert_eq!(n.nhs_number, None, "{}", n.notification_id);
    }
    // The plan's history still shows the look made while it sat on the wrong number, marked
    // so (an incident the LA reports), and names no number.
    let history = call(
        &f.inbox,
        request("GET", "/v1/plans/L-1/accesses", la(LEEDS), None),
    )
    .await;
    assert_eq!(history.status, 200);
    assert!(!history.body.to_string().contains(CHILD));
    let listed = history.body.as_array().unwrap();
    let misplaced: Vec<&serde_json::Value> = listed
        .iter()
        .filter(|a| a["onEarlierNhsNumber"] == true)
        .collect();
    assert_eq!(misplaced.len(), 1, "{listed:?}");
    assert_eq!(misplaced[0]["accessId"], first.as_str());
    assert_eq!(misplaced[0]["settingCode"], "RR801");
    // A look at the right number after the correction is listed plainly.
    let now_right = f.look(MOTHER).await;
    let history = call(
        &f.inbox,
        request("GET", "/v1/plans/L-1/accesses", la(LEEDS), None),
    )
    .await;
    let right = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accessId"] == now_right.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{now_right} not listed: {}", history.body));
    assert!(right["onEarlierNhsNumber"].is_null());
}

/// The clinician sees whether the LA knows: a later lookup shows when the LA was last alerted
/// about the child and, once it acknowledged, when (never who); a redelivered alert keeps the
/// acknowledgement; the lookup reads it with the plans (no request more).
#[tokio::test]
async fn a_later_lookup_shows_when_the_la_was_alerted_and_when_it_acknowledged() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP")]).await;
    let first = f.look(CHILD).await;
    f.pump_fanout().await;
    let seen = |a: &Value| a["plans"][0]["laAlerted"].clone();
    let other_ed = Some(("unscheduled_care", "RR802", "dr-2"));
    let ask = || {
        call(
            &f.lookup,
            request("GET", &format!("/v1/children/{CHILD}"), other_ed, None),
        )
    };
    let second = ask().await;
    assert_eq!(second.status, 200);
    let alerted = seen(&second.body);
    // The first access's time, as its audit record holds it.
    let first_at = AccessStore::new(f.table.clone())
        .recent_visits(
            &integration_tests::child_key(&cpindex::NhsNumber::parse(CHILD).unwrap()),
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.access_id == first)
        .unwrap()
        .at;
    let at = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&alerted["lastAlertedAt"]), first_at);
    assert!(alerted.get("acknowledgedAt").is_none(), "{alerted}");

    // Leeds acknowledges the first alert; the next lookup says when, and never who.
    let note = f
        .all_notifications()
        .await
        .into_iter()
        .find(|n| n.kind == NotificationKind::ChildSeen)
        .unwrap();
    let acked = call(
        &f.inbox,
        request(
            "POST",
            &format!("/v1/notifications/{}/ack", note.notification_id),
            la(LEEDS),
            None,
        ),
    )
    .await;
    assert_eq!(acked.status, 200);
    // The second lookup's own alert (another clinician, another attendance) is fanned out
    // meanwhile: it is the latest alert now, not yet acknowledged.
    f.pump_fanout().await;
    let third = ask().await;
    let state = seen(&third.body);
    assert!(
        at(&state["lastAlertedAt"]) > at(&alerted["lastAlertedAt"]),
        "{state}"
    );
    assert!(state.get("acknowledgedAt").is_none(), "{state}");

    // Acknowledge the latest; a redelivery of it changes nothing.
    let latest = f
        .all_notifications()
        .await
        .into_iter()
        .filter(|n| n.kind == NotificationKind::ChildSeen && n.acknowledged_at.is_none())
        .max_by_key(|n| n.seen_at)
        .unwrap();
    let acked = call(
        &f.inbox,
        request(
            "POST",
            &format!("/v1/notifications/{}/ack", latest.notification_id),
            la(LEEDS),
            None,
        ),
    )
    .await;
    assert_eq!(acked.status, 200);
    let acked_at = at(&acked.body["acknowledgedAt"]);
    let fourth = ask().await;
    let state = seen(&fourth.body);
    assert_eq!(at(&state["acknowledgedAt"]), acked_at, "{state}");
    assert!(
        !fourth.body.to_string().contains("sw-1"),
        "never who acknowledged"
    );
    assert_eq!(state.as_object().unwrap().len(), 2, "{state}");
}
