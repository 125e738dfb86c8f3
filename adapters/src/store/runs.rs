//! Reconciliation's run state, lease and segment checkpoints: which run is current, which step
//! holds it, where each segment of its scan stands, and each committed page's findings.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use cpindex::keys::{attr, key, Entity};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{Item, StoreError};
use super::scan::ScanPosition;
use super::table::{Condition, Index, QueryOptions, Table};

/// The current (or last) reconciliation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub segments: u32,
    pub complete: bool,
}

/// One segment's checkpoint: done, where it stands, and how many pages of findings it has
/// committed. The findings themselves are one item per page ([`RunStore::save_page`]).
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    pub done: bool,
    pub position: Option<ScanPosition>,
    pub pages: u64,
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
    pub async fn checkpoint(&self, run_id: &str, segment: u32) -> Result<Checkpoint, StoreError> {
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
        let pages = item
            .get("pages")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Ok(Checkpoint {
            done,
            position,
            pages,
        })
    }

    /// Commits one page: its findings as an item of their own, then the segment's checkpoint
    /// naming it. A step that fails between the two leaves a page item the checkpoint does not
    /// count; the step that resumes scans that page again and overwrites it, and
    /// [`RunStore::pages`] never reads past the count. So a page is counted once, and no item
    /// holds more than one page's findings.
    pub async fn save_page<F: Serialize>(
        &self,
        run_id: &str,
        segment: u32,
        cp: &Checkpoint,
        findings: &F,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.table
            .put(
                page_item(run_id, segment, cp.pages, findings, expires)?,
                None,
            )
            .await?;
        let mut item = keyed(key::recon_run_pk(run_id), key::segment_sk(segment));
        item.insert("done".into(), AttributeValue::Bool(cp.done));
        item.insert("pages".into(), AttributeValue::N(cp.pages.to_string()));
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

    /// The findings of a segment's committed pages (1 to `committed`), in page order.
    pub async fn pages<F: DeserializeOwned>(
        &self,
        run_id: &str,
        segment: u32,
        committed: u64,
    ) -> Result<Vec<F>, StoreError> {
        let prefix = key::segment_pages_prefix(segment);
        let items = self
            .table
            .query(
                Index::Table,
                &key::recon_run_pk(run_id),
                Some(&prefix),
                QueryOptions {
                    consistent: true,
                    ascending: true,
                    ..QueryOptions::default()
                },
            )
            .await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let page = item
                .get(attr::SK)
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| sk.strip_prefix(&prefix))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            if page > committed {
                continue;
            }
            if let Some(v) = item.get("findings") {
                out.push(serde_dynamo::from_attribute_value(v.clone())?);
            }
        }
        Ok(out)
    }
}

/// The item one page's findings are stored as (public so the size bound can be checked at
/// national shape without a store).
pub fn page_item<F: Serialize>(
    run_id: &str,
    segment: u32,
    page: u64,
    findings: &F,
    expires: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let mut item = keyed(
        key::recon_run_pk(run_id),
        key::segment_page_sk(segment, page),
    );
    item.insert(
        "findings".into(),
        serde_dynamo::to_attribute_value(findings)?,
    );
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(expires.timestamp().to_string()),
    );
    Ok(item)
}
