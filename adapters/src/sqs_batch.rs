//! SQS batches for queue consumers: each record parsed on its own (one poison message fails
//! alone) and failures reported per message id (`ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsMessage};
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

/// Splits a raw SQS event into messages, each record read on its own as `aws_lambda_events`
/// reads one (a record that does not read, or has no id, is `Err` with whatever id it has).
fn records(event: &Value) -> Vec<Result<QueueMessage, String>> {
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        return Vec::new();
    };
    records
        .iter()
        .map(|r| {
            let raw_id = || {
                r.get("messageId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let m: SqsMessage = serde_json::from_value(r.clone()).map_err(|_| raw_id())?;
            let message_id = m
                .message_id
                .filter(|id| !id.is_empty())
                .ok_or_else(raw_id)?;
            Ok(QueueMessage {
                message_id,
                receipt_handle: m.receipt_handle.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
                receive_count: m
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            })
        })
        .collect()
}

/// The readable messages of a raw SQS event.
pub fn messages(event: &Value) -> Vec<QueueMessage> {
    records(event).into_iter().filter_map(Result::ok).collect()
}

/// The consumer's answer (`aws_lambda_events`' own type): the ids of messages to retry.
pub type BatchResponse = SqsBatchResponse;

/// The ids a response asks Lambda to retry.
pub fn failed_ids(response: &BatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

/// Handles every message of a raw SQS event with `handle` (at most `concurrency` at once) and
/// reports the messages it returned `false` for, so only they are retried.
pub async fn each<'a, F, Fut>(event: &Value, concurrency: usize, handle: F) -> BatchResponse
where
    F: Fn(QueueMessage) -> Fut,
    Fut: std::future::Future<Output = Result<(), QueueMessage>> + 'a,
{
    use futures::stream::{self, StreamExt};
    let mut response = BatchResponse::default();
    let mut readable = Vec::new();
    for r in records(event) {
        match r {
            Ok(m) => readable.push(m),
            // Reported as it is: an empty or unknown identifier makes Lambda retry the whole
            // batch, so a record that cannot be named is never deleted unhandled.
            Err(id) => {
                tracing::warn!(message_id = %id, "an SQS record could not be read; the batch will be retried");
                response.add_failure(id);
            }
        }
    }
    let failed = stream::iter(readable)
        .map(handle)
        .buffer_unordered(concurrency.max(1))
        .filter_map(|r| async move { r.err().map(|m| m.message_id) })
        .collect::<Vec<_>>()
        .await;
    for id in failed {
        response.add_failure(id);
    }
    response
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

    #[tokio::test]
    async fn a_record_that_cannot_be_named_fails_the_batch_never_silently() {
        // One good message, one without an id, one whose body is not text.
        let event = serde_json::json!({"Records": [
            {"messageId": "good", "receiptHandle": "r", "body": "{}", "attributes": {}},
            {"receiptHandle": "r2", "body": "{}"},
            {"messageId": "odd", "body": 7},
        ]});
        let handled = std::sync::atomic::AtomicUsize::new(0);
        let r = each(&event, 4, |_m| {
            handled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok(()) }
        })
        .await;
        assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 1);
        // An empty identifier makes Lambda retry the whole batch; the odd one is named.
        let mut failed = failed_ids(&r);
        failed.sort();
        assert_eq!(failed, vec!["", "odd"]);
    }

    #[test]
    fn failures_serialise_as_lambda_expects() {
        let mut r = BatchResponse::default();
        r.add_failure("m1");
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]})
        );
    }
}
