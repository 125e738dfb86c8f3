//! Queues: the SQS adapter behind a narrow port.

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;

use crate::store::BoxError;

/// SQS's limit on messages in one SendMessageBatch call.
pub const MAX_SEND_BATCH: usize = 10;

/// A failed queue call.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is unavailable")]
    Unavailable(#[source] BoxError),
    /// The queue is missing, or this function may not use it (or its key): an operator must act.
    #[error("the queue is misconfigured ({code} on {resource})")]
    Misconfigured {
        resource: String,
        code: String,
        #[source]
        source: BoxError,
    },
    #[error("{failed} of the batch's messages were not accepted")]
    Partial { failed: usize },
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
}

/// One SQS queue, addressed by URL through a shared client.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

/// A failed call on the queue at `url`, classified; a configuration fault is logged, naming it.
fn classify<E>(url: &str, e: SdkError<E, aws_smithy_runtime_api::http::Response>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(service) = &e {
        let code = service.err().code().unwrap_or_default().to_owned();
        let server_error = service.raw().status().is_server_error();
        if crate::fault::of(&code, server_error) == crate::fault::Fault::Configuration {
            crate::fault::log_configuration("sqs", url, &code);
            return QueueError::Misconfigured {
                resource: url.to_owned(),
                code,
                source: Box::new(e),
            };
        }
    }
    QueueError::Unavailable(Box::new(e))
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one message; returns its SQS message id.
    pub async fn send(&self, body: String) -> Result<String, QueueError> {
        let out = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| classify(&self.url, e))?;
        Ok(out.message_id.unwrap_or_default())
    }

    /// Hands an access to the alert fan-out.
    pub async fn enqueue_access(
        &self,
        access: &cpindex::access::Access,
    ) -> Result<String, QueueError> {
        let body =
            serde_json::to_string(access).map_err(|e| QueueError::Unavailable(Box::new(e)))?;
        self.send(body).await
    }

    /// Sends up to ten messages in one call; any refused entry fails the whole call.
    pub async fn send_batch(&self, bodies: Vec<String>) -> Result<(), QueueError> {
        self.send_batch_after(bodies, None).await
    }

    /// Queues rechecks of children that have just had a plan put on them (`cpindex::recheck`),
    /// each hidden for [`cpindex::recheck::RECHECK_AFTER`] (or `delay`, in tests), ten a call.
    pub async fn enqueue_rechecks(
        &self,
        rechecks: &[cpindex::recheck::Recheck],
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        for chunk in rechecks.chunks(MAX_SEND_BATCH) {
            let bodies = chunk.iter().map(|r| r.body()).collect();
            self.send_batch_after(bodies, Some(delay)).await?;
        }
        Ok(())
    }

    /// [`Self::send_batch`], each message hidden for `delay` first (whole seconds, at most 900).
    async fn send_batch_after(
        &self,
        bodies: Vec<String>,
        delay: Option<std::time::Duration>,
    ) -> Result<(), QueueError> {
        let delay = delay.map(|d| d.as_secs().min(900) as i32);
        if bodies.len() > MAX_SEND_BATCH {
            return Err(QueueError::Limit(
                "at most 10 messages per SendMessageBatch",
            ));
        }
        if bodies.is_empty() {
            return Ok(());
        }
        let entries = bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .set_delay_seconds(delay)
                    .build()
                    .map_err(|e| QueueError::Unavailable(Box::new(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| classify(&self.url, e))?;
        match out.failed.len() {
            0 => Ok(()),
            failed => Err(QueueError::Partial { failed }),
        }
    }

    /// Messages waiting (approximate, as SQS counts them).
    pub async fn depth(&self) -> Result<u64, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| classify(&self.url, e))?;
        Ok(out
            .attributes
            .and_then(|a| {
                a.get(&QueueAttributeName::ApproximateNumberOfMessages)?
                    .parse()
                    .ok()
            })
            .unwrap_or(0))
    }

    /// Receives up to ten messages without waiting.
    pub async fn receive(&self, max: i32) -> Result<Vec<Received>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| classify(&self.url, e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| Received {
                id: m.message_id.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
                receipt: m.receipt_handle.unwrap_or_default(),
            })
            .collect())
    }

    /// Deletes a received message (it was handled).
    pub async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| classify(&self.url, e))?;
        Ok(())
    }
}

/// A received message: its id, its body and the handle that deletes it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub body: String,
    pub receipt: String,
}
