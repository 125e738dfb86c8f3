//! LAs that share a child know of each other (issue 30.2), on the emulator over HTTP: a plan
//! recorded on (or moved onto) a child another LA holds a plan for tells that LA at once, in its
//! inbox and signed to its webhook, naming the recording LA with its vetted contacts and nothing
//! about visits; the recording LA's acknowledgement names the other LA.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use adapters::secrets::FileSecrets;
use adapters::store::notifications::NotificationStore;
use adapters::store::Table;
use alert_delivery::port::{DeliveryStores, HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use axum::Router;
use chrono::Utc;
use cpindex::keys::ALERT_DELIVERY_QUEUE;
use cpindex::notification::{DeliveryStatus, Notification, NotificationKind};
use cpindex::profile::WebhookPolicy;
use cpindex::{FixedClock, OrgCode, Retention};
use integration_tests::fixtures::{profile, CAMDEN, CHILD, LEEDS, NOBODY, OTHER_CHILD};
use integration_tests::http::{call, la, request};
use integration_tests::webhook::{Answer, WebhookReceiver};
use integration_tests::Emulator;
use local_stack::poller::poll_once;
use serde_json::{json, Value};

type Clock = Arc<FixedClock>;

struct World {
    emu: Emulator,
    table: Table,
    upsert: Router,
    inbox: Router,
    delivery_url: String,
    secrets_dir: PathBuf,
    clock: Clock,
}

async fn world() -> World {
    let emu = Emulator::connect();
    let table = emu.bare_table().await;
    let (delivery, urls) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
    let clock: Clock = Arc::new(FixedClock::ticking(
        Utc::now(),
        chrono::Duration::milliseconds(1),
    ));
    let secrets_dir =
        std::env::temp_dir().join(format!("cpindex-secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&secrets_dir).unwrap();
    World {
        upsert: plan_upsert::router(
            plan_upsert::App::new(
                table.clone(),
                integration_tests::child_keys(),
                Retention::default(),
                clock.clone(),
            )
            .with_delivery(delivery),
        ),
        inbox: inbox::router(inbox::App::new(
            table.clone(),
            Retention::default(),
            clock.clone(),
            WebhookPolicy::LocalHttpAllowed,
        )),
        delivery_url: urls.queue,
        secrets_dir,
        clock,
        emu,
        table,
    }
}

impl World {
    fn notifications(&self) -> NotificationStore {
        NotificationStore::new(self.table.clone())
    }

    /// `org`'s vetted profile, with a webhook signed by `secret` when given.
    async fn profile(&self, org: &str, webhook: Option<(&str, &str)>) {
        let mut p = profile(org);
        if let Some((url, secret)) = webhook {
            let secret_ref = format!("cpindex/webhook/{org}");
            std::fs::write(self.secrets_dir.join(secret_ref.replace('/', "_")), secret).unwrap();
            p.webhook =
                Some(serde_json::from_value(json!({"url": url, "secretRef": secret_ref})).unwrap());
        }
        self.notifications().put_profile(&p).await.unwrap();
    }

    async fn put(&self, org: &str, plan_ref: &str, body: Value) -> Value {
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
        a.body
    }

    async fn inbox(&self, org: &str) -> Vec<Notification> {
        self.notifications()
            .list(&OrgCode::parse(org).unwrap(), false, 100, None)
            .await
            .unwrap()
            .items
    }

    /// Delivers whatever waits on the delivery queue, as the delivery function does.
    async fn deliver(&self) {
        let delivery = Delivery {
            store: DeliveryStores::new(self.table.clone()),
            secrets: FileSecrets(self.secrets_dir.clone()),
            webhook: HttpWebhook::new(Duration::from_millis(800), WebhookPolicy::LocalHttpAllowed),
            visibility: SqsVisibility {
                client: self.emu.sqs.clone(),
                queue_url: self.delivery_url.clone(),
            },
            clock: self.clock.clone(),
            policy: RetryPolicy {
                max_attempts: 3,
                base_delay_s: 0,
                max_delay_s: 0,
            },
            webhooks: WebhookPolicy::LocalHttpAllowed,
        };
        let delivery = &delivery;
        for _ in 0..2 {
            poll_once(&self.emu.sqs, &self.delivery_url, 10, 0, |e| async move {
                delivery.handle(&e).await
            })
            .await
            .unwrap();
        }
    }
}

fn plan(nhs: &str, plan_type: &str, version: u64) -> Value {
    json!({"nhsNumber": nhs, "planType": plan_type, "startDate": "2026-01-10", "sourceVersion": version})
}

fn ended(nhs: &str, days_ago: i64, version: u64) -> Value {
    let end = (Utc::now() - chrono::Duration::days(days_ago)).date_naive();
    json!({"nhsNumber": nhs, "planType": "CPP", "startDate": "2025-01-10", "endDate": end, "sourceVersion": version})
}

#[tokio::test]
async fn a_second_la_on_a_child_tells_the_first_at_once_with_vetted_contacts_and_no_visits() {
    let w = world().await;
    let leeds_hook = WebhookReceiver::start("leeds-secret", vec![Answer::Status(200)]).await;
    w.profile(LEEDS, Some((&leeds_hook.url, "leeds-secret")))
        .await;
    w.profile(CAMDEN, None).await;
    let first = w.put(LEEDS, "L-1", plan(CHILD, "CPP", 1)).await;
    assert!(
        first.get("otherLas").is_none(),
        "nobody else holds the child: {first}"
    );
    assert!(w.inbox(LEEDS).await.is_empty());

    // Camden records a plan on Leeds's child, and is told of Leeds in its acknowledgement.
    let second = w.put(CAMDEN, "C-1", plan(CHILD, "LAC", 1)).await;
    let leeds = profile(LEEDS);
    assert_eq!(
        second["otherLas"].as_array().map(Vec::len),
        Some(1),
        "{second}"
    );
    let named = &second["otherLas"][0];
    assert_eq!(named["la"]["code"], LEEDS);
    assert_eq!(named["la"]["name"], leeds.name);
    assert_eq!(
        named["la"]["emergencyDutyPhone"],
        leeds.emergency_duty_phone.as_ref().unwrap().as_str()
    );
    assert_eq!(named["planType"], "CPP");

    // Leeds's inbox holds the notice before any delivery runs.
    let told = w.inbox(LEEDS).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let n = &told[0];
    assert_eq!(n.kind, NotificationKind::OtherLaPlan);
    assert_eq!(
        n.nhs_number.as_ref().map(|n| n.digits()),
        Some(CHILD.to_owned())
    );
    let other = n.other_la.as_ref().unwrap();
    let camden = profile(CAMDEN);
    assert_eq!(other.la.code.as_str(), CAMDEN);
    assert_eq!(other.la.name, camden.name);
    assert_eq!(
        other.la.emergency_duty_phone.as_deref(),
        camden.emergency_duty_phone.as_ref().map(|p| p.as_str())
    );
    assert_eq!(other.plan_type.as_str(), "LAC");
    assert!(
        w.inbox(CAMDEN).await.is_empty(),
        "the recording LA is not notified of itself"
    );

    // And its webhook, signed, with nothing about visits.
    w.deliver().await;
    let got = leeds_hook.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok);
    let body = &got[0].body;
    assert_eq!(body["type"], "child_on_another_la_plan");
    assert_eq!(body["otherLa"]["code"], CAMDEN);
    assert_eq!(body["otherPlan"]["planType"], "LAC");
    assert_eq!(body["nhsNumber"], CHILD);
    for visit_field in ["accessId", "setting", "seenBy", "seenAt"] {
        assert!(body.get(visit_field).is_none(), "{visit_field} in {body}");
    }
    assert_eq!(w.inbox(LEEDS).await[0].status, DeliveryStatus::Delivered);

    // Camden's later update of the same plan tells nobody again.
    w.put(CAMDEN, "C-1", plan(CHILD, "LAC", 2)).await;
    assert_eq!(w.inbox(LEEDS).await.len(), 1);
}

#[tokio::test]
async fn a_plan_moved_onto_the_child_tells_its_la_and_an_end_older_than_90_days_does_not() {
    let w = world().await;
    for org in [LEEDS, CAMDEN] {
        w.profile(org, None).await;
    }
    // Leeds ended a plan on CHILD 30 days ago and one on NOBODY 120 days ago.
    w.put(LEEDS, "L-1", ended(CHILD, 30, 1)).await;
    w.put(LEEDS, "L-2", ended(NOBODY, 120, 1)).await;
    // Camden records a plan on OTHER_CHILD (nobody else's), then corrects it onto CHILD.
    let on_other = w.put(CAMDEN, "C-1", plan(OTHER_CHILD, "CPP", 1)).await;
    assert!(on_other.get("otherLas").is_none());
    let moved = w.put(CAMDEN, "C-1", plan(CHILD, "CPP", 2)).await;
    assert_eq!(moved["outcome"], "moved");
    assert_eq!(moved["otherLas"][0]["la"]["code"], LEEDS, "{moved}");
    let told = w.inbox(LEEDS).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].kind, NotificationKind::OtherLaPlan);

    // Over 90 days since Leeds's plan ended: Leeds is not told, the acknowledgement names nobody.
    let late = w.put(CAMDEN, "C-2", plan(NOBODY, "CPP", 1)).await;
    assert!(late.get("otherLas").is_none(), "{late}");
    assert_eq!(w.inbox(LEEDS).await.len(), 1);
}

#[tokio::test]
async fn a_batch_names_the_other_la_on_each_record_and_tells_it_once() {
    let w = world().await;
    for org in [LEEDS, CAMDEN] {
        w.profile(org, None).await;
    }
    w.put(LEEDS, "L-1", plan(CHILD, "CPP", 1)).await;
    w.put(LEEDS, "L-2", plan(CHILD, "LAC", 1)).await;
    let records = json!([
        {"planRef": "C-1", "nhsNumber": CHILD, "planType": "CPP", "startDate": "2026-01-10", "sourceVersion": 1},
        {"planRef": "C-2", "nhsNumber": OTHER_CHILD, "planType": "CPP", "startDate": "2026-01-10", "sourceVersion": 1},
    ]);
    for _ in 0..2 {
        // The second upload is a replay: unchanged, nobody told again.
        let a = call(
            &w.upsert,
            request(
                "POST",
                "/v1/plan-batches",
                la(CAMDEN),
                Some(&json!({"mode": "delta", "records": records})),
            ),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["fileOutcome"], "all_loaded");
    }
    let told = w.inbox(LEEDS).await;
    assert_eq!(
        told.len(),
        1,
        "one notice to Leeds, however many of its plans: {told:?}"
    );
    let mut types: Vec<_> = told[0].plan_types.iter().map(|t| t.as_str()).collect();
    types.sort();
    assert_eq!(types, ["CPP", "LAC"], "Leeds's own plans on the child");
    // The inbox over HTTP shows the kind and the other LA.
    let listed = call(
        &w.inbox,
        request("GET", "/v1/notifications", la(LEEDS), None),
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"][0]["kind"], "other_la_plan");
    assert_eq!(listed.body["items"][0]["otherLa"]["la"]["code"], CAMDEN);
}
