//! Runs the queue consumers locally: pollers feed the same handlers Lambda runs with real SQS
//! batches and honour partial batch failures.

use std::time::Duration;

use adapters::queue::SqsQueue;
use adapters::secrets::FileSecrets;
use adapters::store::Table;
use alert_delivery::port::SqsVisibility;
use alert_delivery::Delivery;
use alert_fanout::Fanout;
use cpindex::profile::WebhookPolicy;
use cpindex::{Retention, SystemClock};

use crate::poller::poll_once;
use crate::Stack;

/// Polls both alert queues until the task is dropped. `base_delay_s` is the delivery back-off base.
pub async fn run(stack: Stack, retention: Retention, base_delay_s: u32) {
    let table = Table::new(stack.dynamo.clone(), &stack.table);
    let fanout = Fanout::new(
        table.clone(),
        SqsQueue::new(stack.sqs.clone(), &stack.delivery_queue),
        retention,
        SystemClock,
    );
    let mut delivery = Delivery::new(
        table,
        FileSecrets(stack.secrets_dir.clone()),
        SqsVisibility {
            client: stack.sqs.clone(),
            queue_url: stack.delivery_queue.clone(),
        },
        SystemClock,
        WebhookPolicy::LocalHttpAllowed,
    );
    delivery.policy.base_delay_s = base_delay_s;
    let (fanout, delivery) = (&fanout, &delivery);
    let fanout_loop = async {
        loop {
            let polled = poll_once(&stack.sqs, &stack.fanout_queue, 10, 1, |e| async move {
                fanout.handle(&e).await
            })
            .await;
            if let Err(e) = polled {
                tracing::warn!(error = %cpindex::log::chain(&e), "fan-out poller: queue unavailable");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let delivery_loop = async {
        loop {
            let polled = poll_once(&stack.sqs, &stack.delivery_queue, 10, 1, |e| async move {
                delivery.handle(&e).await
            })
            .await;
            if let Err(e) = polled {
                tracing::warn!(error = %cpindex::log::chain(&e), "delivery poller: queue unavailable");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    tokio::join!(fanout_loop, delivery_loop);
}
