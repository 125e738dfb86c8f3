//! The narrow port this function needs from the store, so handler logic can be tested with a
//! few lines of double and the IAM policy grants only these operations.

use adapters::store::plans::{Known, PlanPage, PlanRecord, PlanStore, WriteOutcome};
use adapters::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpindex::{OrgCode, Plan, PlanRef};

/// What the LA write path does to the store.
#[async_trait]
pub trait PlanWrites: Send + Sync + 'static {
    async fn read_known(&self, org: &OrgCode, plans: &[&Plan]) -> Result<Vec<Known>, StoreError>;
    async fn upsert(
        &self,
        org: &OrgCode,
        plan: Plan,
        actor: &str,
        now: DateTime<Utc>,
        known: Known,
    ) -> Result<WriteOutcome, StoreError>;
    async fn withdraw(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
        version: u64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WriteOutcome, StoreError>;
    async fn get(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
    ) -> Result<Option<PlanRecord>, StoreError>;
    async fn list(
        &self,
        org: &OrgCode,
        limit: usize,
        after: Option<&PlanRef>,
    ) -> Result<PlanPage, StoreError>;
    async fn record_extract(
        &self,
        extract: &adapters::store::extracts::ExtractPart,
    ) -> Result<(), StoreError>;
}

#[async_trait]
impl PlanWrites for PlanStore {
    async fn read_known(&self, org: &OrgCode, plans: &[&Plan]) -> Result<Vec<Known>, StoreError> {
        PlanStore::read_known(self, org, plans).await
    }

    async fn upsert(
        &self,
        org: &OrgCode,
        plan: Plan,
        actor: &str,
        now: DateTime<Utc>,
        known: Known,
    ) -> Result<WriteOutcome, StoreError> {
        PlanStore::upsert(self, org, plan, actor, now, known).await
    }

    async fn withdraw(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
        version: u64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WriteOutcome, StoreError> {
        PlanStore::withdraw(self, org, plan_ref, version, actor, now).await
    }

    async fn get(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
    ) -> Result<Option<PlanRecord>, StoreError> {
        PlanStore::get(self, org, plan_ref).await
    }

    async fn list(
        &self,
        org: &OrgCode,
        limit: usize,
        after: Option<&PlanRef>,
    ) -> Result<PlanPage, StoreError> {
        PlanStore::list(self, org, limit, after).await
    }

    async fn record_extract(
        &self,
        extract: &adapters::store::extracts::ExtractPart,
    ) -> Result<(), StoreError> {
        adapters::store::extracts::record(self.table(), extract).await
    }
}
