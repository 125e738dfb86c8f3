//! The SQS adapter and the queue bootstrap against the emulator.

use adapters::queue::QueueError;
use aws_sdk_sqs::types::QueueAttributeName;
use cpindex::keys::ALERT_FANOUT_QUEUE;
use integration_tests::Emulator;

#[tokio::test]
async fn bootstrap_creates_a_queue_whose_redrive_points_at_its_dlq() {
    let emu = Emulator::connect();
    let (_, urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let attrs = emu
        .sqs
        .get_queue_attributes()
        .queue_url(&urls.queue)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let redrive: serde_json::Value =
        serde_json::from_str(&attrs[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert!(redrive["deadLetterTargetArn"]
        .as_str()
        .unwrap()
        .ends_with("alert-fanout-dlq"));
    assert_eq!(
        redrive["maxReceiveCount"].to_string(),
        ALERT_FANOUT_QUEUE.max_receive_count.to_string()
    );
    assert_eq!(
        attrs[&QueueAttributeName::VisibilityTimeout],
        ALERT_FANOUT_QUEUE.visibility_timeout_s.to_string()
    );
}

#[tokio::test]
async fn messages_sent_one_by_one_and_in_batches_arrive() {
    let emu = Emulator::connect();
    let (queue, urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    queue.send("one".into()).await.unwrap();
    queue
        .send_batch((0..3).map(|i| format!("b{i}")).collect())
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for _ in 0..5 {
        bodies.extend(
            emu.receive(&urls.queue)
                .await
                .into_iter()
                .filter_map(|m| m.body),
        );
        if bodies.len() == 4 {
            break;
        }
    }
    bodies.sort();
    assert_eq!(bodies, vec!["b0", "b1", "b2", "one"]);
}

#[tokio::test]
async fn a_batch_over_ten_is_refused_before_sending() {
    let emu = Emulator::connect();
    let (queue, urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let err = queue
        .send_batch((0..11).map(|i| i.to_string()).collect())
        .await
        .unwrap_err();
    assert!(matches!(err, QueueError::Limit(_)));
    assert!(emu.receive(&urls.queue).await.is_empty());
}

#[tokio::test]
async fn an_unreachable_queue_is_unavailable() {
    let emu = integration_tests::unreachable_store();
    let queue =
        adapters::queue::SqsQueue::new(emu.sqs.clone(), "http://127.0.0.1:9/000000000000/q");
    assert!(matches!(
        queue.send("x".into()).await,
        Err(QueueError::Unavailable(_))
    ));
}
