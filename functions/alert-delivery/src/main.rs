//! Lambda entry point: wiring only.

use adapters::secrets::{CachedSecrets, SecretsManager};
use alert_delivery::port::SqsVisibility;
use alert_delivery::Delivery;
use cpindex::config::{self, env, CallTimeouts};
use cpindex::profile::WebhookPolicy;
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
    let secrets = CachedSecrets::new(SecretsManager(aws_sdk_secretsmanager::Client::new(&sdk)));
    let delivery = Delivery::new(
        table,
        secrets,
        visibility,
        SystemClock,
        WebhookPolicy::PublicHttpsOnly,
    );
    let delivery = &delivery;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(delivery.handle(&event.payload).await)
        },
    ))
    .await
}
