//! Plays Lambda's SQS event source: receives a batch, hands the handler the same event Lambda
//! would, deletes only the messages the handler did not report as failed. Failed messages stay
//! and come back when their visibility timeout (or the handler's back-off) ends.

use std::future::Future;

use adapters::sqs_batch::{event_of, BatchResponse, QueueMessage};
use aws_sdk_sqs::types::MessageSystemAttributeName;

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Polled {
    pub received: usize,
    pub failed: usize,
}

/// Receives up to `batch_size` messages (waiting up to `wait_s` seconds) and runs `handler` on them.
pub async fn poll_once<F, Fut>(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    batch_size: i32,
    wait_s: i32,
    handler: F,
) -> Result<Polled, aws_sdk_sqs::Error>
where
    F: FnOnce(serde_json::Value) -> Fut,
    Fut: Future<Output = BatchResponse>,
{
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(batch_size)
        .wait_time_seconds(wait_s)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await?;
    let received = out.messages.unwrap_or_default();
    if received.is_empty() {
        return Ok(Polled::default());
    }
    let batch: Vec<QueueMessage> = received
        .iter()
        .map(|m| QueueMessage {
            message_id: m.message_id.clone().unwrap_or_default(),
            receipt_handle: m.receipt_handle.clone().unwrap_or_default(),
            body: m.body.clone().unwrap_or_default(),
            receive_count: m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|c| c.parse().ok())
                .unwrap_or(1),
        })
        .collect();
    let response = handler(event_of(&batch, queue_url)).await;
    let failed = adapters::sqs_batch::failed_ids(&response);
    for m in batch
        .iter()
        .filter(|m| !failed.contains(&m.message_id.as_str()))
    {
        sqs.delete_message()
            .queue_url(queue_url)
            .receipt_handle(&m.receipt_handle)
            .send()
            .await?;
    }
    Ok(Polled {
        received: batch.len(),
        failed: failed.len(),
    })
}
