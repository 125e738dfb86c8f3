//! Lambda entry point of the operator HTTP routes: wiring only.

use cpindex::config::{self, env, CallTimeouts};
use cpindex::queue::SqsQueue;
use cpindex::store::Table;
use cpindex::SystemClock;
use reconcile::{Reconciler, Settings};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let sdk = cpindex::aws::from_env(CallTimeouts::bulk()).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let reconciler = Reconciler {
        table: Table::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config::required(env::TABLE_NAME)?,
        ),
        fanout: SqsQueue::new(sqs.clone(), config::required(env::ALERT_FANOUT_QUEUE_URL)?),
        delivery: SqsQueue::new(
            sqs.clone(),
            config::required(env::ALERT_DELIVERY_QUEUE_URL)?,
        ),
        delivery_dlq: SqsQueue::new(sqs, config::required(env::ALERT_DELIVERY_DLQ_URL)?),
        clock: SystemClock,
        retention: config::retention()?,
        settings: Settings::default(),
    };
    lambda_http::run(reconcile::ops::router(reconciler)).await
}
