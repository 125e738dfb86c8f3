//! Lambda entry point: wiring only.

use cpindex::config::{self, env, CallTimeouts};
use cpindex::SystemClock;
use plan_upsert::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let keys = adapters::aws::child_keys_from_env(&sdk).await?;
    let delivery = adapters::aws::queue_from_env(&sdk, env::ALERT_DELIVERY_QUEUE_URL)?;
    let fanout = adapters::aws::queue_from_env(&sdk, env::ALERT_FANOUT_QUEUE_URL)?;
    let app = App::new(table, keys, config::retention()?, SystemClock)
        .with_delivery(delivery)
        .with_fanout(fanout);
    // At start, so no request pays for it; a fault is logged and every request answers 503.
    let _ = app.check_key().await;
    let trusted = adapters::edge::TrustedIssuers::from_env(cpindex::routes::PLAN_UPSERT)?;
    lambda_http::run(adapters::edge::trusting(router(app), trusted)).await
}
