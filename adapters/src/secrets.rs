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

/// Whether a secret exists, without reading its value: the inbox checks a profile's webhook
/// secret when the profile is saved (`secretsmanager:DescribeSecret`) and never holds a signing
/// key, so this is a port of its own.
#[async_trait]
pub trait SecretDirectory: Send + Sync + 'static {
    /// Whether the secret named `id` (a name or an ARN, without any `#entry`) exists.
    async fn exists(&self, id: &str) -> Result<bool, SecretError>;
    /// Where a person creates the secret `id`, for the problem that says it is missing.
    fn place(&self, id: &str) -> String;
}

/// AWS Secrets Manager.
#[derive(Debug, Clone)]
pub struct SecretsManager(pub aws_sdk_secretsmanager::Client);

#[async_trait]
impl SecretDirectory for SecretsManager {
    async fn exists(&self, id: &str) -> Result<bool, SecretError> {
        use aws_sdk_secretsmanager::error::SdkError;
        match self.0.describe_secret().secret_id(id).send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception() => {
                Ok(false)
            }
            Err(e) => Err(SecretError(Box::new(e))),
        }
    }

    fn place(&self, id: &str) -> String {
        format!("Secrets Manager, in this stack's account and region, named {id}")
    }
}

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

/// Reads what `reference` names: a whole secret (`cpindex/webhook/E08000035`), or one entry of
/// a shared secret (`cpindex/webhook/all#E08000035`, the secret a JSON object of entry name to
/// value). Secrets Manager charges per secret a month, so a national deployment keeps its LAs'
/// keys in one (BENCHMARKS.md, the cost benchmark); `#` cannot occur in a secret's name.
pub async fn read<S: SecretSource + ?Sized>(
    source: &S,
    reference: &str,
) -> Result<String, SecretError> {
    let Some((id, entry)) = reference.split_once('#') else {
        return source.secret(reference).await;
    };
    let whole = source.secret(id).await?;
    // The parse error says where the text stopped parsing, never what it held.
    let entries: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&whole).map_err(|e| SecretError(Box::new(e)))?;
    match entries.get(entry) {
        Some(serde_json::Value::String(value)) => Ok(value.clone()),
        _ => Err(SecretError(
            format!("the shared secret has no text entry {entry:?}").into(),
        )),
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

impl FileSecrets {
    /// The file that holds the secret `reference`.
    pub fn path_of(&self, reference: &str) -> PathBuf {
        self.0.join(file_name(reference))
    }
}

/// A reference as a file name: `/` and anything unusual as `_`.
fn file_name(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[async_trait]
impl SecretDirectory for FileSecrets {
    async fn exists(&self, id: &str) -> Result<bool, SecretError> {
        Ok(self.path_of(id).is_file())
    }

    fn place(&self, id: &str) -> String {
        format!(
            "the local stack reads it from the file {}",
            self.path_of(id).display()
        )
    }
}

#[async_trait]
impl SecretSource for FileSecrets {
    async fn secret(&self, reference: &str) -> Result<String, SecretError> {
        tokio::fs::read_to_string(self.path_of(reference))
            .await
            .map_err(|e| SecretError(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers each reference with a fixed text.
    struct Fixed(std::collections::HashMap<&'static str, &'static str>);

    #[async_trait]
    impl SecretSource for Fixed {
        async fn secret(&self, reference: &str) -> Result<String, SecretError> {
            self.0
                .get(reference)
                .map(|v| (*v).to_owned())
                .ok_or_else(|| SecretError("no such secret".into()))
        }
    }

    #[tokio::test]
    async fn a_reference_names_a_whole_secret_or_one_entry_of_a_shared_one() {
        let source = Fixed(
            [
                ("cpindex/webhook/E08000035", "k1\nk0"),
                (
                    "cpindex/webhook/all",
                    r#"{"E08000035": "a1\na0", "E09000007": "b1", "X": 3}"#,
                ),
                ("cpindex/webhook/broken", "k1"),
            ]
            .into(),
        );
        let got = |r: &'static str| {
            let source = &source;
            async move { read(source, r).await.map_err(|e| e.to_string()) }
        };
        assert_eq!(got("cpindex/webhook/E08000035").await.unwrap(), "k1\nk0");
        assert_eq!(
            got("cpindex/webhook/all#E08000035").await.unwrap(),
            "a1\na0"
        );
        assert_eq!(got("cpindex/webhook/all#E09000007").await.unwrap(), "b1");
        for bad in [
            "cpindex/webhook/all#E06000001",
            "cpindex/webhook/all#X",
            "cpindex/webhook/broken#E08000035",
            "cpindex/webhook/none#E08000035",
        ] {
            assert!(got(bad).await.is_err(), "{bad}");
        }
    }

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
