//! Lambda entry point of the operator HTTP routes: wiring only.

use cpindex::config::CallTimeouts;
use reconcile::Reconciler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let sdk = adapters::aws::from_env(CallTimeouts::bulk()).await;
    lambda_http::run(reconcile::ops::router(Reconciler::from_env(&sdk)?)).await
}
