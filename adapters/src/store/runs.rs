//! Reconciliation's run state and segment checkpoints: which run is current, and where each
//! segment of its scan stands with the findings so far.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use cpindex::keys::{attr, key, Entity};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{Item, StoreError};
use super::scan::ScanPosition;
use super::table::{Condition, Table};

/// The current (or last) reconciliation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub segments: u32,
    pub complete: bool,
}

/// One segment's checkpoint: done, where it stands, what it found so far.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint<F> {
    pub done: bool,
    pub position: Option<ScanPosition>,
    pub findings: F,
}

/// Run state and checkpoints in the table.
#[derive(Debug, Clone)]
pub struct RunStore {
    table: Table,
}

fn keyed(pk: String, sk: String) -> Item {
    HashMap::from([
        (attr::PK.to_owned(), AttributeValue::S(pk)),
        (attr::SK.to_owned(), AttributeValue::S(sk)),
        (
            attr::ENTITY.to_owned(),
            AttributeValue::S(Entity::ReconciliationRun.as_str().into()),
        ),
    ])
}

/// Attribute names of the lease item.
const LEASE_HOLDER: &str = "holder";
const LEASE_UNTIL: &str = "leaseUntil";

impl RunStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Takes the reconciliation lease for `holder` until `until`, when no one holds it or the
    /// holder's lease has lapsed (a step that crashed). One conditional write: of two steps
    /// starting together, exactly one gets it. Returns whether it was taken.
    pub async fn take_lease(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut item = keyed(key::RECON_LEASE_PK.into(), key::CURRENT.into());
        item.insert(LEASE_HOLDER.into(), AttributeValue::S(holder.into()));
        item.insert(
            LEASE_UNTIL.into(),
            AttributeValue::N(until.timestamp_millis().to_string()),
        );
        // Removed by TTL a week after it lapsed, should no step ever release it.
        let ttl = until + chrono::Duration::days(cpindex::keys::keep::CHECKPOINT_DAYS);
        item.insert(
            attr::EXPIRES_AT.into(),
            AttributeValue::N(ttl.timestamp().to_string()),
        );
        let free = Condition::new("attribute_not_exists(#pk) OR #until < :now")
            .name("#pk", attr::PK)
            .name("#until", LEASE_UNTIL)
            .value(
                ":now",
                AttributeValue::N(now.timestamp_millis().to_string()),
            );
        match self.table.put(item, Some(free)).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the lease back, if `holder` still holds it (a lapsed lease taken over by another
    /// step is left alone).
    pub async fn release_lease(&self, holder: &str) -> Result<(), StoreError> {
        let mine = Condition::new("#holder = :holder")
            .name("#holder", LEASE_HOLDER)
            .value(":holder", AttributeValue::S(holder.into()));
        match self
            .table
            .delete(key::RECON_LEASE_PK, key::CURRENT, Some(mine))
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The run state, if a run was ever started.
    pub async fn current(&self) -> Result<Option<RunState>, StoreError> {
        let item = self
            .table
            .get(key::RECON_STATE_PK, key::CURRENT, true)
            .await?;
        Ok(item.map(serde_dynamo::from_item).transpose()?)
    }

    /// Writes the run state (a new run, or the current one completed).
    pub async fn put_state(&self, state: &RunState) -> Result<(), StoreError> {
        let mut item: Item = serde_dynamo::to_item(state)?;
        item.extend(keyed(key::RECON_STATE_PK.into(), key::CURRENT.into()));
        self.table.put(item, None).await?;
        Ok(())
    }

    /// One segment's checkpoint (a fresh one when the segment has not started).
    pub async fn checkpoint<F: DeserializeOwned + Default>(
        &self,
        run_id: &str,
        segment: u32,
    ) -> Result<Checkpoint<F>, StoreError> {
        let Some(item) = self
            .table
            .get(&key::recon_run_pk(run_id), &key::segment_sk(segment), true)
            .await?
        else {
            return Ok(Checkpoint::default());
        };
        let done = item
            .get("done")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false);
        let position = item
            .get("lastKey")
            .and_then(|v| v.as_m().ok())
            .cloned()
            .map(ScanPosition);
        let findings = match item.get("findings") {
            Some(v) => serde_dynamo::from_attribute_value(v.clone())?,
            None => F::default(),
        };
        Ok(Checkpoint {
            done,
            position,
            findings,
        })
    }

    /// Saves one segment's checkpoint, kept until `expires`.
    pub async fn save_checkpoint<F: Serialize>(
        &self,
        run_id: &str,
        segment: u32,
        cp: &Checkpoint<F>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut item = keyed(key::recon_run_pk(run_id), key::segment_sk(segment));
        item.insert("done".into(), AttributeValue::Bool(cp.done));
        item.insert(
            "findings".into(),
            serde_dynamo::to_attribute_value(&cp.findings)?,
        );
        item.insert(
            attr::EXPIRES_AT.into(),
            AttributeValue::N(expires.timestamp().to_string()),
        );
        if let Some(p) = &cp.position {
            item.insert("lastKey".into(), AttributeValue::M(p.0.clone()));
        }
        self.table.put(item, None).await?;
        Ok(())
    }
}
