//! The narrow ports a lookup needs: read a child's partition, append an access, hand an access
//! to the alert queue. The template grants exactly these operations.

use adapters::queue::{QueueError, SqsQueue};
use adapters::store::access::AccessStore;
use adapters::store::plans::{PlanProjection, PlanStore};
use adapters::store::StoreError;
use async_trait::async_trait;
use cpindex::access::Access;
use cpindex::ChildKey;

/// Reads of one child's partition (strongly consistent).
#[async_trait]
pub trait ChildReads: Send + Sync + 'static {
    async fn plans(&self, child: &ChildKey) -> Result<Vec<PlanProjection>, StoreError>;
    async fn recent_visits(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError>;
    /// Every access, newest first, with whether fan-out found a plan (the operator's audit).
    async fn history(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<(Access, Option<bool>)>, StoreError>;
}

/// The audit trail.
#[async_trait]
pub trait AccessLog: Send + Sync + 'static {
    async fn record(&self, access: &Access) -> Result<(), StoreError>;
}

/// The alert fan-out queue.
#[async_trait]
pub trait AlertQueue: Send + Sync + 'static {
    async fn enqueue(&self, access: &Access) -> Result<(), QueueError>;
}

/// The DynamoDB adapters behind [`ChildReads`] and [`AccessLog`].
#[derive(Debug, Clone)]
pub struct ChildStore {
    pub plans: PlanStore,
    pub accesses: AccessStore,
}

#[async_trait]
impl ChildReads for ChildStore {
    async fn plans(&self, child: &ChildKey) -> Result<Vec<PlanProjection>, StoreError> {
        self.plans.projections_for(child).await
    }

    async fn recent_visits(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        self.accesses.recent_visits(child, limit).await
    }

    async fn history(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<(Access, Option<bool>)>, StoreError> {
        self.accesses.history(child, limit).await
    }
}

#[async_trait]
impl AccessLog for ChildStore {
    async fn record(&self, access: &Access) -> Result<(), StoreError> {
        self.accesses.record(access).await
    }
}

#[async_trait]
impl AlertQueue for SqsQueue {
    async fn enqueue(&self, access: &Access) -> Result<(), QueueError> {
        self.enqueue_access(access).await.map(|_| ())
    }
}
