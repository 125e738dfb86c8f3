//! Lambda entry point of the operator HTTP routes: wiring only.

use cpindex::config::CallTimeouts;
use reconcile::Reconciler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::bulk()).await;
    lambda_http::run(reconcile::ops::router(Reconciler::from_env(&sdk)?)).await
}
