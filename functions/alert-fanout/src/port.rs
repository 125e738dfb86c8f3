//! The narrow ports fan-out needs.

use adapters::queue::{QueueError, SqsQueue};
use adapters::store::access::AccessStore;
use adapters::store::notifications::{Created, NotificationStore};
use adapters::store::plans::{PlanProjection, PlanStore};
use adapters::store::StoreError;
use async_trait::async_trait;
use cpindex::access::Access;
use cpindex::notification::{DeliveryMessage, Notification};
use cpindex::NhsNumber;

/// Store operations of fan-out.
#[async_trait]
pub trait FanoutStore: Send + Sync + 'static {
    /// Records the access if the lookup's own write was lost (idempotent).
    async fn record_access(&self, access: &Access) -> Result<(), StoreError>;
    async fn plans(&self, nhs: &NhsNumber) -> Result<Vec<PlanProjection>, StoreError>;
    async fn create_notification(&self, n: &Notification) -> Result<Created, StoreError>;
    /// Clears the pending marker and stamps whether a plan was found.
    async fn confirm(&self, access: &Access, plan_found: bool) -> Result<(), StoreError>;
}

/// The delivery queue.
#[async_trait]
pub trait DeliveryQueue: Send + Sync + 'static {
    async fn send(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError>;
}

/// The DynamoDB adapters behind [`FanoutStore`].
#[derive(Debug, Clone)]
pub struct Stores {
    pub plans: PlanStore,
    pub accesses: AccessStore,
    pub notifications: NotificationStore,
}

#[async_trait]
impl FanoutStore for Stores {
    async fn record_access(&self, access: &Access) -> Result<(), StoreError> {
        self.accesses.record(access).await
    }

    async fn plans(&self, nhs: &NhsNumber) -> Result<Vec<PlanProjection>, StoreError> {
        self.plans.projections_for(nhs).await
    }

    async fn create_notification(&self, n: &Notification) -> Result<Created, StoreError> {
        self.notifications.create(n).await
    }

    async fn confirm(&self, access: &Access, plan_found: bool) -> Result<(), StoreError> {
        self.accesses.confirm(access, plan_found).await
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
