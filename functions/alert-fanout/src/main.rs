//! Lambda entry point: wiring only.

use alert_fanout::Fanout;
use cpindex::config::{self, env, CallTimeouts};
use cpindex::SystemClock;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let queue = adapters::aws::queue_from_env(&sdk, env::ALERT_DELIVERY_QUEUE_URL)?;
    let fanout = Fanout::new(table, queue, config::retention()?, SystemClock)
        .with_transfer_window(config::transfer_window()?);
    let fanout = &fanout;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(fanout.handle(&event.payload).await)
        },
    ))
    .await
}
