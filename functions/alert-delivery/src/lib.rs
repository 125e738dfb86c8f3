//! Alert delivery: POSTs each notification to the LA's webhook, signed (HMAC-SHA256 over the
//! timestamp and body) with an idempotency key; retries with back-off; after the last attempt
//! marks it failed (still in the LA's inbox) and lets SQS dead-letter the message. LAs without a
//! webhook read the notification from their inbox.

pub mod port;

use adapters::secrets::SecretSource;
use adapters::sqs_batch::{each, BatchResponse, QueueMessage};
use adapters::store::StoreError;
use chrono::{DateTime, Utc};
use cpindex::indicators::{Counter, IsoWeek, TimeBand};
use cpindex::notification::{DeliveryMessage, DeliveryStatus, Notification, NotificationKind};
use cpindex::profile::{WebhookPolicy, WebhookUrl};
use cpindex::signing;
use cpindex::Clock;

use crate::port::{DeliveryStore, Visibility, WebhookClient, WebhookError};

/// Messages of one batch delivered at once.
pub const CONCURRENCY: usize = 8;

/// Retry policy: attempts before failing, and the back-off between them.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Equal to the queue's maxReceiveCount: the last receive marks the notification failed.
    pub max_attempts: u32,
    pub base_delay_s: u32,
    pub max_delay_s: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: cpindex::keys::ALERT_DELIVERY_QUEUE.max_receive_count,
            base_delay_s: 10,
            max_delay_s: 300,
        }
    }
}

impl RetryPolicy {
    /// Exponential back-off: base, 2 x base, 4 x base, ... capped.
    pub fn delay_after(&self, attempt: u32) -> u32 {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay_s
            .saturating_mul(factor)
            .min(self.max_delay_s)
    }
}

/// What happened to one delivery message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// The webhook accepted it.
    Webhook,
    /// No webhook: left in the inbox.
    Inbox,
    /// Already final (a duplicate message): nothing done.
    AlreadyFinal(DeliveryStatus),
}

/// Why one message failed (it is retried; the last failure dead-letters it).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the message is not a delivery message")]
    Poison(#[source] serde_json::Error),
    #[error("notification {0} does not exist")]
    Missing(String),
    #[error("the store failed")]
    Store(#[from] adapters::store::StoreError),
    #[error("the signing secret could not be read")]
    Secret(#[from] adapters::secrets::SecretError),
    #[error("the webhook failed: {0}")]
    Webhook(#[from] WebhookError),
}

/// Everything delivery needs.
pub struct Delivery<S, K, W, V, C> {
    pub store: S,
    pub secrets: K,
    pub webhook: W,
    pub visibility: V,
    pub clock: C,
    pub policy: RetryPolicy,
    /// Which webhook addresses are allowed (Lambda's main names the public-only policy).
    pub webhooks: WebhookPolicy,
}

/// How long one webhook call may take.
pub const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl<K: SecretSource, C: Clock>
    Delivery<port::DeliveryStores, K, port::HttpWebhook, port::SqsVisibility, C>
{
    /// The one wiring of delivery over the real adapters: main, the local stack, the tests
    /// and the benchmarks build it here (a test that injects a fault builds the struct).
    pub fn new(
        table: adapters::store::Table,
        secrets: K,
        visibility: port::SqsVisibility,
        clock: C,
        webhooks: WebhookPolicy,
    ) -> Self {
        Self {
            store: port::DeliveryStores::new(table),
            secrets,
            webhook: port::HttpWebhook::new(WEBHOOK_TIMEOUT, webhooks),
            visibility,
            clock,
            policy: RetryPolicy::default(),
            webhooks,
        }
    }
}

impl<S: DeliveryStore, K: SecretSource, W: WebhookClient, V: Visibility, C: Clock>
    Delivery<S, K, W, V, C>
{
    async fn post(
        &self,
        n: &Notification,
        url: &WebhookUrl,
        secret_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DeliveryError> {
        let secrets =
            signing::secrets_from(&adapters::secrets::read(&self.secrets, secret_ref).await?);
        if secrets.is_empty() {
            return Err(DeliveryError::Secret(adapters::secrets::SecretError(
                "the secret is empty".into(),
            )));
        }
        let body = serde_json::to_vec(&n.webhook_body()).expect("a JSON value serialises");
        let ts = now.timestamp();
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            (signing::TIMESTAMP_HEADER, ts.to_string()),
            (
                signing::SIGNATURE_HEADER,
                signing::signature_header(&secrets, ts, &body),
            ),
            (signing::IDEMPOTENCY_HEADER, n.notification_id.clone()),
        ];
        self.webhook.post(url.as_str(), headers, body).await?;
        Ok(())
    }

    /// Moves `n` to a final status and, if this call moved it (a duplicate finishing second
    /// changes nothing), counts the outcome in the LA's indicators for the week of the access.
    async fn finish(
        &self,
        n: &Notification,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let moved = self
            .store
            .finish(&n.notification_id, status, at, attempts, error)
            .await?;
        let outcome = match status {
            DeliveryStatus::Delivered => Counter::DeliveredByWebhook,
            DeliveryStatus::Inbox => Counter::LeftInInbox,
            DeliveryStatus::Failed => Counter::DeadLettered,
            DeliveryStatus::Pending => return Ok(()),
        };
        // The indicators count alerts; another LA's plan is not one.
        if moved && n.kind == NotificationKind::ChildSeen {
            let mut counters = vec![(outcome, 1)];
            if status == DeliveryStatus::Delivered {
                let took = TimeBand::of_seconds((at - n.seen_at).num_seconds());
                counters.push((Counter::DeliveredWithin(took), 1));
            }
            self.store
                .count(&n.la, IsoWeek::of(n.seen_at), &counters)
                .await;
        }
        Ok(())
    }

    /// Delivers one message received for the `receive_count`-th time.
    pub async fn deliver(&self, m: &QueueMessage) -> Result<Delivered, DeliveryError> {
        let msg: DeliveryMessage = serde_json::from_str(&m.body).map_err(DeliveryError::Poison)?;
        let id = msg.notification_id;
        let n = self
            .store
            .notification(&id)
            .await?
            .ok_or_else(|| DeliveryError::Missing(id.clone()))?;
        if n.status.is_final() {
            return Ok(Delivered::AlreadyFinal(n.status));
        }
        let now = self.clock.now();
        // A notification whose plan was corrected or withdrawn before it went out names no
        // child any more: nothing is sent; the inbox shows that a clinician looked.
        let webhook = match n.nhs_number {
            Some(_) => self.store.profile(&n.la).await?.and_then(|p| p.webhook),
            None => None,
        };
        let Some(webhook) = webhook else {
            self.finish(&n, DeliveryStatus::Inbox, now, 0, None).await?;
            return Ok(Delivered::Inbox);
        };
        let attempt = m.receive_count;
        // Re-check the stored address under this process's mode (a profile written in local mode
        // must not be called from AWS).
        let checked = WebhookUrl::parse(
            webhook.url.as_str(),
            "/webhook/url",
            self.webhooks.allows_local(),
        )
        .map_err(|e| WebhookError::Refused(e.detail));
        let result = match checked {
            Ok(url) => self.post(&n, &url, &webhook.secret_ref, now).await,
            Err(e) => Err(DeliveryError::Webhook(e)),
        };
        match result {
            Ok(()) => {
                let at = self.clock.now();
                self.finish(&n, DeliveryStatus::Delivered, at, attempt, None)
                    .await?;
                Ok(Delivered::Webhook)
            }
            Err(e) => {
                let brief = match &e {
                    DeliveryError::Webhook(w) => w.brief(),
                    other => other.to_string(),
                };
                if attempt >= self.policy.max_attempts {
                    // Last attempt: failed, reported, still in the inbox; SQS dead-letters the message.
                    self.finish(&n, DeliveryStatus::Failed, now, attempt, Some(&brief))
                        .await?;
                    tracing::error!(notification_id = %id, la = %n.la, attempt, error = %brief, "alert delivery failed for good; dead-lettering");
                } else {
                    self.store.attempt_failed(&id, attempt, &brief).await?;
                    tracing::warn!(notification_id = %id, la = %n.la, attempt, error = %brief, "alert delivery failed; retrying");
                }
                Err(e)
            }
        }
    }

    /// Handles a raw SQS event; only failed messages are reported for retry.
    pub async fn handle(&self, event: &serde_json::Value) -> BatchResponse {
        each(event, CONCURRENCY, |m| async move {
            match self.deliver(&m).await {
                Ok(outcome) => {
                    tracing::info!(message_id = %m.message_id, ?outcome, "delivery message done");
                    Ok(())
                }
                Err(e) => {
                    // Back off before the next attempt; after the last one, make the message
                    // visible at once so SQS moves it to the dead-letter queue without waiting.
                    let delay = if m.receive_count >= self.policy.max_attempts { 0 } else { self.policy.delay_after(m.receive_count) };
                    if let Err(ve) = self.visibility.delay(&m.receipt_handle, delay).await {
                        tracing::warn!(error = %cpindex::log::chain(ve.as_ref()), "could not set back-off; the queue's visibility timeout applies");
                    }
                    tracing::warn!(message_id = %m.message_id, error = %cpindex::log::chain(&e), delay_s = delay, "delivery message failed");
                    Err(m)
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_caps() {
        let p = RetryPolicy {
            max_attempts: 6,
            base_delay_s: 10,
            max_delay_s: 300,
        };
        let delays: Vec<u32> = (1..=7).map(|a| p.delay_after(a)).collect();
        assert_eq!(delays, vec![10, 20, 40, 80, 160, 300, 300]);
    }
}
