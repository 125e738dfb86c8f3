//! The narrow ports delivery needs: the notification and profile, the secret, the webhook call,
//! and the message's visibility (back-off).

use std::time::Duration;

use adapters::store::notifications::NotificationStore;
use adapters::store::{BoxError, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpindex::notification::{DeliveryStatus, Notification};
use cpindex::profile::LaProfile;
use cpindex::OrgCode;

/// Store operations of delivery.
#[async_trait]
pub trait DeliveryStore: Send + Sync + 'static {
    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError>;
    async fn profile(&self, la: &OrgCode) -> Result<Option<LaProfile>, StoreError>;
    async fn finish(
        &self,
        id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<bool, StoreError>;
    async fn attempt_failed(&self, id: &str, attempts: u32, error: &str) -> Result<(), StoreError>;
}

#[async_trait]
impl DeliveryStore for NotificationStore {
    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        self.get(id).await
    }

    async fn profile(&self, la: &OrgCode) -> Result<Option<LaProfile>, StoreError> {
        NotificationStore::profile(self, la).await
    }

    async fn finish(
        &self,
        id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        NotificationStore::finish(self, id, status, at, attempts, error).await
    }

    async fn attempt_failed(&self, id: &str, attempts: u32, error: &str) -> Result<(), StoreError> {
        NotificationStore::attempt_failed(self, id, attempts, error).await
    }
}

/// A webhook call that did not end in a 2xx.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("http {0}")]
    Status(u16),
    #[error("timeout")]
    Timeout,
    #[error("connection failed")]
    Connect(#[source] BoxError),
    #[error("address refused")]
    Refused(String),
}

impl WebhookError {
    /// A short, stable description kept on the notification (no response bodies: they could hold anything).
    pub fn brief(&self) -> String {
        match self {
            WebhookError::Status(s) => format!("http {s}"),
            WebhookError::Timeout => "timeout".into(),
            WebhookError::Connect(_) => "connection failed".into(),
            WebhookError::Refused(why) => format!("refused: {why}"),
        }
    }
}

/// POSTs a signed body.
#[async_trait]
pub trait WebhookClient: Send + Sync + 'static {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<(), WebhookError>;
}

/// The real HTTP client: short timeout, no redirects (a redirect could lead anywhere).
#[derive(Debug, Clone)]
pub struct HttpWebhook {
    client: reqwest::Client,
    local_mode: bool,
}

impl HttpWebhook {
    pub fn new(timeout: Duration, local_mode: bool) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a TLS client can be built");
        Self { client, local_mode }
    }
}

#[async_trait]
impl WebhookClient for HttpWebhook {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<(), WebhookError> {
        if !self.local_mode {
            // The URL was checked when registered; check what the name resolves to now (SSRF guard).
            let parsed =
                reqwest::Url::parse(url).map_err(|_| WebhookError::Refused("not a URL".into()))?;
            let host = parsed.host_str().unwrap_or_default().to_owned();
            let port = parsed.port_or_known_default().unwrap_or(443);
            let addrs = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| WebhookError::Connect(Box::new(e)))?;
            if addrs
                .into_iter()
                .any(|a| cpindex::profile::is_private(a.ip()))
            {
                return Err(WebhookError::Refused(
                    "resolves to a private address".into(),
                ));
            }
        }
        let mut req = self.client.post(url).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(WebhookError::Status(resp.status().as_u16())),
            Err(e) if e.is_timeout() => Err(WebhookError::Timeout),
            Err(e) => Err(WebhookError::Connect(Box::new(e))),
        }
    }
}

/// Delays a message's next delivery (SQS ChangeMessageVisibility).
#[async_trait]
pub trait Visibility: Send + Sync + 'static {
    async fn delay(&self, receipt_handle: &str, seconds: u32) -> Result<(), BoxError>;
}

/// The delivery queue's visibility over SQS.
#[derive(Debug, Clone)]
pub struct SqsVisibility {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
}

#[async_trait]
impl Visibility for SqsVisibility {
    async fn delay(&self, receipt_handle: &str, seconds: u32) -> Result<(), BoxError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Box::new(e) as BoxError)
    }
}
