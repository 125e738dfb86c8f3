//! Lambda entry point: wiring only.

use std::time::Duration;

use adapters::secrets::{CachedSecrets, SecretsManager};
use adapters::store::notifications::NotificationStore;
use alert_delivery::port::{HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use cpindex::config::{self, env, CallTimeouts};
use cpindex::SystemClock;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let visibility = SqsVisibility {
        client: aws_sdk_sqs::Client::new(&sdk),
        queue_url: config::required(env::ALERT_DELIVERY_QUEUE_URL)?,
    };
    let local_mode = config::local_mode();
    let delivery = Delivery {
        store: NotificationStore::new(table),
        secrets: CachedSecrets::new(SecretsManager(aws_sdk_secretsmanager::Client::new(&sdk))),
        webhook: HttpWebhook::new(Duration::from_secs(5), local_mode),
        visibility,
        clock: SystemClock,
        policy: RetryPolicy::default(),
        local_mode,
    };
    let delivery = &delivery;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(delivery.handle(&event.payload).await)
        },
    ))
    .await
}
