//! Lambda entry point: wiring only.

use cpindex::config::{self, CallTimeouts};
use cpindex::profile::WebhookPolicy;
use cpindex::SystemClock;
use inbox::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let app = App::new(
        table,
        config::retention()?,
        SystemClock,
        WebhookPolicy::PublicHttpsOnly,
    );
    lambda_http::run(router(app)).await
}
