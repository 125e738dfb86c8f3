//! Lambda entry point (EventBridge schedule): wiring only.

use std::time::{Duration, Instant};

use cpindex::config::{self, env, CallTimeouts};
use cpindex::queue::SqsQueue;
use cpindex::store::Table;
use cpindex::SystemClock;
use lambda_runtime::{service_fn, LambdaEvent};
use reconcile::{Budget, Reconciler, Settings};

/// Stop starting pages this long before the Lambda deadline, so the last checkpoint is written.
const MARGIN: Duration = Duration::from_secs(20);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
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
    let reconciler = &reconciler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let left = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            let budget = Budget {
                deadline: Instant::now() + left.saturating_sub(MARGIN),
                max_pages: None,
            };
            Ok::<_, lambda_runtime::Error>(reconciler.run(budget).await?)
        },
    ))
    .await
}
