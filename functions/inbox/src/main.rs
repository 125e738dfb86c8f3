//! Lambda entry point: wiring only.

use adapters::secrets::SecretsManager;
use cpindex::config::{self, env, CallTimeouts};
use cpindex::profile::WebhookPolicy;
use cpindex::SystemClock;
use inbox::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let secrets = SecretsManager(aws_sdk_secretsmanager::Client::new(&sdk));
    let app = App::new(
        table,
        config::retention()?,
        SystemClock,
        WebhookPolicy::PublicHttpsOnly,
    )
    .checking_webhook_secrets(secrets, config::required(env::WEBHOOK_SECRET_PREFIX)?);
    let trusted = adapters::edge::TrustedIssuers::from_env(cpindex::routes::INBOX)?;
    lambda_http::run(adapters::edge::trusting(router(app), trusted)).await
}
