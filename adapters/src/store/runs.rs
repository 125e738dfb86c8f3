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
use super::table::Table;

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

impl RunStore {
    pub fn new(table: Table) -> Self {
        Self { table }
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
