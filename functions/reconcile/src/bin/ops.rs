//! Lambda entry point of the operator HTTP routes: wiring only.

use cpindex::config::CallTimeouts;
use reconcile::Reconciler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::bulk()).await;
    let trusted = adapters::edge::TrustedIssuers::from_env(cpindex::routes::OPS)?;
    let router = reconcile::ops::router(Reconciler::from_env(&sdk)?);
    lambda_http::run(adapters::edge::trusting(router, trusted)).await
}
