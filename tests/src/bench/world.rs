//! What the alert benchmarks share: a fresh table, the two alert queues, and an LA whose
//! webhook is a local receiver that verifies each signature.

use adapters::bootstrap::QueueUrls;
use adapters::queue::SqsQueue;
use adapters::store::notifications::NotificationStore;
use adapters::store::Table;
use alert_fanout::Fanout;
use chrono::Utc;
use cpindex::keys::{ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE, TABLE};
use cpindex::{OrgCode, Retention, SystemClock};

use crate::webhook::{Answer, WebhookReceiver};

/// The LA every benchmark's plans belong to.
pub const ORG: &str = "E08000035";

pub struct World {
    pub table_name: String,
    pub table: Table,
    pub fanout: QueueUrls,
    pub delivery: QueueUrls,
    /// Where the local secret source finds the LA's webhook key.
    pub secrets_dir: std::path::PathBuf,
    pub receiver: WebhookReceiver,
}

impl World {
    /// The plan-upsert router over this world's table.
    pub fn upsert(&self) -> axum::Router {
        let retention = Retention::default();
        plan_upsert::router(plan_upsert::App::new(
            self.table.clone(),
            crate::child_keys(),
            retention,
            SystemClock,
        ))
    }

    /// Alert fan-out over this world's table, queueing deliveries on its delivery queue.
    pub fn fanout(&self, sqs: &aws_sdk_sqs::Client) -> Fanout<SqsQueue, SystemClock> {
        let retention = Retention::default();
        Fanout::new(
            self.table.clone(),
            SqsQueue::new(sqs.clone(), &self.delivery.queue),
            retention,
            SystemClock,
        )
    }
}

/// Creates it all with the given clients (`prefix` names the table, for the emulator's log).
pub async fn create(
    dynamo: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
) -> World {
    let table_name = format!("bench-{prefix}-{}", uuid::Uuid::new_v4().simple());
    adapters::bootstrap::create_table(dynamo, &table_name, &TABLE)
        .await
        .expect("table");
    let stack = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let fanout = adapters::bootstrap::create_queue(sqs, &stack, &ALERT_FANOUT_QUEUE)
        .await
        .expect("queue");
    let delivery = adapters::bootstrap::create_queue(sqs, &stack, &ALERT_DELIVERY_QUEUE)
        .await
        .expect("queue");
    let table = Table::new(dynamo.clone(), &table_name);
    let secrets_dir = std::env::temp_dir().join(format!(
        "cpindex-{prefix}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&secrets_dir).unwrap();
    std::fs::write(
        secrets_dir.join("cpindex_webhook_E08000035"),
        "bench-secret",
    )
    .unwrap();
    let receiver = WebhookReceiver::start("bench-secret", vec![Answer::Status(200)]).await;
    NotificationStore::new(table.clone())
        .put_profile(&cpindex::profile::LaProfile {
            org: OrgCode::parse(ORG).unwrap(),
            name: "Leeds".into(),
            team: "Front door".into(),
            office_hours_phone: None,
            emergency_duty_phone: None,
            webhook: Some(cpindex::profile::Webhook {
                url: cpindex::profile::WebhookUrl::parse(&receiver.url, "/url", true).unwrap(),
                secret_ref: "cpindex/webhook/E08000035".into(),
            }),
            acknowledge_within_hours: None,
            updated_at: Utc::now(),
            updated_by: "bench".into(),
        })
        .await
        .unwrap();
    World {
        table_name,
        table,
        fanout,
        delivery,
        secrets_dir,
        receiver,
    }
}
