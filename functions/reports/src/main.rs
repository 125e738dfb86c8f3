//! Lambda entry point: wiring only.

use cpindex::config::{self, CallTimeouts};
use cpindex::SystemClock;
use reports::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let app = App::new(table, SystemClock).with_usage_cap(config::usage_cap()?);
    let trusted = adapters::edge::TrustedIssuers::from_env(cpindex::routes::REPORTS)?;
    lambda_http::run(adapters::edge::trusting(router(app), trusted)).await
}
