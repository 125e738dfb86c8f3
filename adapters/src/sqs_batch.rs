//! SQS batches for queue consumers: each record parsed on its own (one poison message fails
//! alone) and failures reported per message id (`ReportBatchItemFailures`).

use serde::Serialize;
use serde_json::Value;

/// One message of a batch, as Lambda's SQS event source hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// How many times this message has been received, this time included.
    pub receive_count: u32,
}

/// Splits a raw SQS event into messages. A record without an id cannot even be reported and is
/// skipped (SQS then redelivers it whole).
pub fn messages(event: &Value) -> Vec<QueueMessage> {
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        return Vec::new();
    };
    records
        .iter()
        .filter_map(|r| {
            let message_id = r.get("messageId")?.as_str()?.to_owned();
            Some(QueueMessage {
                message_id,
                receipt_handle: r
                    .get("receiptHandle")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                body: r
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                receive_count: r
                    .pointer("/attributes/ApproximateReceiveCount")
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            })
        })
        .collect()
}

/// The consumer's answer: the ids of messages to retry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

impl BatchResponse {
    pub fn from_failures(ids: impl IntoIterator<Item = String>) -> Self {
        Self {
            batch_item_failures: ids
                .into_iter()
                .map(|item_identifier| ItemFailure { item_identifier })
                .collect(),
        }
    }

    pub fn failed_ids(&self) -> Vec<&str> {
        self.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }
}

/// Handles every message of a raw SQS event with `handle` (at most `concurrency` at once) and
/// reports the messages it returned `false` for, so only they are retried.
pub async fn each<'a, F, Fut>(event: &Value, concurrency: usize, handle: F) -> BatchResponse
where
    F: Fn(QueueMessage) -> Fut,
    Fut: std::future::Future<Output = Result<(), QueueMessage>> + 'a,
{
    use futures::stream::{self, StreamExt};
    let failed = stream::iter(messages(event))
        .map(handle)
        .buffer_unordered(concurrency.max(1))
        .filter_map(|r| async move { r.err().map(|m| m.message_id) })
        .collect::<Vec<_>>()
        .await;
    BatchResponse::from_failures(failed)
}

/// Builds the event Lambda would deliver for these messages (the local stack's pollers, tests).
pub fn event_of(messages: &[QueueMessage], queue_arn: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": {"ApproximateReceiveCount": m.receive_count.to_string()},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "eu-west-2"
            })
        })
        .collect();
    serde_json::json!({"Records": records})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_record_and_round_trips() {
        let msgs = vec![
            QueueMessage {
                message_id: "a".into(),
                receipt_handle: "r".into(),
                body: "{}".into(),
                receive_count: 3,
            },
            QueueMessage {
                message_id: "b".into(),
                receipt_handle: "s".into(),
                body: "not json".into(),
                receive_count: 1,
            },
        ];
        assert_eq!(messages(&event_of(&msgs, "arn")), msgs);
        assert!(messages(&serde_json::json!({"nope": 1})).is_empty());
    }

    #[test]
    fn failures_serialise_as_lambda_expects() {
        let r = BatchResponse::from_failures(vec!["m1".to_owned()]);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]})
        );
    }
}
