//! Builds the SDK configuration once per process; only the endpoint differs between AWS and
//! the local emulator.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

use cpindex::config::{self, env, CallTimeouts, ConfigError};

/// The configuration for Lambda: credentials, region and (optionally) endpoint from the environment.
pub async fn from_env(timeouts: CallTimeouts) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeout_config(timeouts))
        .retry_config(RetryConfig::standard().with_max_attempts(timeouts.max_attempts))
        .load()
        .await
}

/// The configuration for the local emulator: fixed endpoint, dummy credentials, fixed region.
pub fn for_emulator(endpoint: &str, timeouts: CallTimeouts) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("eu-west-2"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("local", "local", None, None, "emulator"),
        ))
        .timeout_config(timeout_config(timeouts))
        .retry_config(RetryConfig::standard().with_max_attempts(timeouts.max_attempts))
        .build()
}

fn timeout_config(t: CallTimeouts) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(t.connect)
        .operation_attempt_timeout(t.attempt)
        .operation_timeout(t.operation)
        .build()
}

/// The index table, named by `TABLE_NAME`.
pub fn table_from_env(sdk: &SdkConfig) -> Result<crate::store::Table, ConfigError> {
    Ok(crate::store::Table::new(
        aws_sdk_dynamodb::Client::new(sdk),
        config::required(env::TABLE_NAME)?,
    ))
}

/// The queue whose URL the environment variable `url_env` carries.
pub fn queue_from_env(
    sdk: &SdkConfig,
    url_env: &'static str,
) -> Result<crate::queue::SqsQueue, ConfigError> {
    Ok(crate::queue::SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        config::required(url_env)?,
    ))
}

/// Why the child key secret could not be loaded at start (the function then does not start:
/// without the key it could neither find a child's plans nor audit a lookup).
#[derive(Debug, thiserror::Error)]
pub enum ChildKeysError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Fetch(#[from] crate::secrets::SecretError),
    #[error("the child key secret is not usable")]
    Unusable(#[from] cpindex::child_key::ChildKeyError),
}

/// The child key secret named by `CHILD_KEY_SECRET_ARN`, fetched once per process (no lookup
/// pays for a fetch). A rotation puts both keys in the secret and restarts the functions
/// (docs/OPERATIONS.md); which key writes is the stored key state's to say.
pub async fn child_keys_from_env(sdk: &SdkConfig) -> Result<cpindex::Keyring, ChildKeysError> {
    let arn = config::required(env::CHILD_KEY_SECRET_ARN)?;
    keyring_from_secret(sdk, &arn).await
}

/// The child keys in the secret `arn` (the functions', or an operator's rotation tool's).
pub async fn keyring_from_secret(
    sdk: &SdkConfig,
    arn: &str,
) -> Result<cpindex::Keyring, ChildKeysError> {
    use crate::secrets::SecretSource;
    let source = crate::secrets::SecretsManager(aws_sdk_secretsmanager::Client::new(sdk));
    let secret = source.secret(arn).await?;
    Ok(cpindex::Keyring::from_secret(&secret)?)
}
