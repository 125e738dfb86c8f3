//! Webhook signing secrets, fetched by reference: Secrets Manager in AWS, files under
//! `.local/secrets/` on a laptop.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::store::BoxError;

/// A secret could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the signing secret could not be read")]
pub struct SecretError(#[source] pub BoxError);

/// Reads a secret's value by reference.
#[async_trait]
pub trait SecretSource: Send + Sync + 'static {
    async fn secret(&self, reference: &str) -> Result<String, SecretError>;
}

/// AWS Secrets Manager.
#[derive(Debug, Clone)]
pub struct SecretsManager(pub aws_sdk_secretsmanager::Client);

#[async_trait]
impl SecretSource for SecretsManager {
    async fn secret(&self, reference: &str) -> Result<String, SecretError> {
        let out = self
            .0
            .get_secret_value()
            .secret_id(reference)
            .send()
            .await
            .map_err(|e| SecretError(Box::new(e)))?;
        out.secret_string
            .ok_or_else(|| SecretError("the secret has no string value".into()))
    }
}

/// Local secrets: the file `<dir>/<reference with '/' as '_'>`.
#[derive(Debug, Clone)]
pub struct FileSecrets(pub PathBuf);

#[async_trait]
impl SecretSource for FileSecrets {
    async fn secret(&self, reference: &str) -> Result<String, SecretError> {
        let name: String = reference
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        tokio::fs::read_to_string(self.0.join(name))
            .await
            .map_err(|e| SecretError(Box::new(e)))
    }
}
