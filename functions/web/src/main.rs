//! Lambda entry point: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let cfg = web::WebConfig::from_env()?;
    lambda_http::run(web::router(cfg)).await
}
