//! Lambda entry point: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let cfg = web::WebConfig::from_env()?;
    lambda_http::run(web::router(cfg)).await
}
