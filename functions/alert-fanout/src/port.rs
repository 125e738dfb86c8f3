//! Fan-out's store adapters, and its one port: the delivery queue (`sqs:SendMessage`).

use adapters::queue::{QueueError, SqsQueue};
use adapters::store::access::AccessStore;
use adapters::store::indicators::IndicatorStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::PlanStore;
use adapters::store::Table;
use async_trait::async_trait;
use cpindex::notification::DeliveryMessage;
use cpindex::Retention;

/// The delivery queue.
#[async_trait]
pub trait DeliveryQueue: Send + Sync + 'static {
    async fn send(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError>;
}

/// The DynamoDB adapters fan-out uses: record the access if the lookup's own write was lost,
/// read the plans, create notifications, confirm the access.
#[derive(Debug, Clone)]
pub struct Stores {
    pub plans: PlanStore,
    pub accesses: AccessStore,
    pub notifications: NotificationStore,
    pub indicators: IndicatorStore,
    pub alerts: adapters::store::alert_state::AlertStates,
    pub overdue: adapters::store::overdue::OverdueStore,
}

impl Stores {
    pub fn new(table: Table, retention: Retention) -> Self {
        Self {
            plans: PlanStore::new(table.clone(), retention),
            accesses: AccessStore::new(table.clone()),
            notifications: NotificationStore::new(table.clone()),
            indicators: IndicatorStore::new(table.clone()),
            alerts: adapters::store::alert_state::AlertStates::new(table.clone()),
            overdue: adapters::store::overdue::OverdueStore::new(table),
        }
    }
}

#[async_trait]
impl DeliveryQueue for SqsQueue {
    async fn send(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError> {
        for chunk in messages.chunks(adapters::queue::MAX_SEND_BATCH) {
            let bodies = chunk
                .iter()
                .map(|m| serde_json::to_string(m).map_err(|e| QueueError::Unavailable(Box::new(e))))
                .collect::<Result<Vec<_>, _>>()?;
            self.send_batch(bodies).await?;
        }
        Ok(())
    }
}
