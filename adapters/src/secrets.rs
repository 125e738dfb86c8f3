//! Webhook signing secrets, fetched by reference: Secrets Manager in AWS, files under
//! `.local/secrets/` on a laptop.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::store::BoxError;

/// A secret could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the secret could not be read")]
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

/// How long a fetched secret is reused before it is fetched again. Short enough that a rotation
/// (whose overlap lasts days, docs/OPERATIONS.md) or an emergency replacement takes effect within
/// minutes; long enough that a burst of deliveries to one LA costs one Secrets Manager call.
pub const SECRET_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// Any secret source, remembering each value for [`SECRET_CACHE_TTL`].
pub struct CachedSecrets<S> {
    inner: S,
    ttl: std::time::Duration,
    cache: std::sync::Mutex<std::collections::HashMap<String, (String, std::time::Instant)>>,
}

impl<S: SecretSource> CachedSecrets<S> {
    pub fn new(inner: S) -> Self {
        Self::with_ttl(inner, SECRET_CACHE_TTL)
    }

    pub fn with_ttl(inner: S, ttl: std::time::Duration) -> Self {
        Self {
            inner,
            ttl,
            cache: Default::default(),
        }
    }
}

#[async_trait]
impl<S: SecretSource> SecretSource for CachedSecrets<S> {
    async fn secret(&self, reference: &str) -> Result<String, SecretError> {
        let now = std::time::Instant::now();
        if let Some((value, at)) = self.cache.lock().expect("cache lock").get(reference) {
            if now.duration_since(*at) < self.ttl {
                return Ok(value.clone());
            }
        }
        // A failed fetch is not cached: the next delivery tries again.
        let value = self.inner.secret(reference).await?;
        self.cache
            .lock()
            .expect("cache lock")
            .insert(reference.to_owned(), (value.clone(), now));
        Ok(value)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts fetches; the value is the fetch number (so a refetch is visible).
    struct Counting(AtomicUsize);

    #[async_trait]
    impl SecretSource for Counting {
        async fn secret(&self, _reference: &str) -> Result<String, SecretError> {
            Ok(self.0.fetch_add(1, Ordering::SeqCst).to_string())
        }
    }

    #[tokio::test]
    async fn a_secret_is_reused_within_its_ttl_and_fetched_again_after() {
        let cached = CachedSecrets::with_ttl(
            Counting(AtomicUsize::new(0)),
            std::time::Duration::from_millis(50),
        );
        assert_eq!(cached.secret("a").await.unwrap(), "0");
        assert_eq!(
            cached.secret("a").await.unwrap(),
            "0",
            "within the TTL: no fetch"
        );
        assert_eq!(
            cached.secret("b").await.unwrap(),
            "1",
            "each reference on its own"
        );
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        assert_eq!(
            cached.secret("a").await.unwrap(),
            "2",
            "after the TTL a rotation is seen"
        );
    }
}
