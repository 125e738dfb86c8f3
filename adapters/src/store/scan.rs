//! Reconciliation's view of the index: a parallel scan in bounded pages whose items come back
//! classified by kind ([`Entity`]), with an opaque position to resume from. Raw attribute maps
//! stay inside the adapter.
//!
//! The scan reads GSI1, not the table: it holds every plan record, notification and extract
//! part (what reconciliation checks) and none of the audit trail of visits, which is most of
//! the table at national scale and which DynamoDB's TTL retires. Reading the table would read
//! about twenty times the bytes a night (BENCHMARKS.md, the cost benchmark).

use aws_sdk_dynamodb::types::AttributeValue;
use cpindex::keys::{attr, key, Entity};
use cpindex::notification::Notification;

use super::error::{Item, StoreError};
use super::table::{Condition, Index, Table};
use cpindex::PlanRecord;

/// Where a segment's scan stands (DynamoDB's `LastEvaluatedKey`), kept in checkpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanPosition(pub(crate) Item);

/// What reconciliation needs to know of one item.
#[derive(Debug, Clone)]
pub enum Scanned {
    PlanRecord(Box<PlanRecord>),
    Notification(Box<Notification>),
    /// A plan recorded without an NHS number (`cpindex::unmatched`).
    Unmatched(Box<cpindex::unmatched::UnmatchedRecord>),
    /// Reconciliation's own run state and checkpoints.
    Bookkeeping,
    /// Every other kind (projections, accesses, profiles, extracts, reports).
    Other(Option<Entity>),
}

/// One scanned item: its key, its expiry and its kind.
#[derive(Debug, Clone)]
pub struct ScannedItem {
    pub pk: String,
    pub sk: String,
    /// Epoch seconds after which the item is past retention.
    pub expires_at: Option<i64>,
    pub kind: Scanned,
}

fn string(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

impl ScannedItem {
    fn classify(item: Item) -> Result<Self, StoreError> {
        let pk = string(&item, attr::PK);
        let sk = string(&item, attr::SK);
        let expires_at = item
            .get(attr::EXPIRES_AT)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok());
        let entity = Entity::parse(&string(&item, attr::ENTITY));
        let kind = if pk.starts_with(key::RECON_PREFIX) {
            Scanned::Bookkeeping
        } else {
            match entity {
                Some(Entity::PlanRecord) => {
                    Scanned::PlanRecord(Box::new(super::plans::decode_record(item)?))
                }
                Some(Entity::Notification) => {
                    Scanned::Notification(Box::new(super::notifications::decode(item)?))
                }
                Some(Entity::UnmatchedPlan) => {
                    Scanned::Unmatched(Box::new(super::unmatched::decode(item)?))
                }
                Some(Entity::ReconciliationRun) => Scanned::Bookkeeping,
                other => Scanned::Other(other),
            }
        };
        Ok(Self {
            pk,
            sk,
            expires_at,
            kind,
        })
    }
}

/// One page of one segment of a parallel scan of GSI1, classified.
pub async fn page(
    table: &Table,
    segment: u32,
    total_segments: u32,
    page_size: usize,
    from: Option<ScanPosition>,
) -> Result<(Vec<ScannedItem>, Option<ScanPosition>), StoreError> {
    let (items, next) = table
        .scan_page(
            Index::Gsi1,
            segment,
            total_segments,
            page_size,
            from.map(|p| p.0),
        )
        .await?;
    let items = items
        .into_iter()
        .map(ScannedItem::classify)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, next.map(ScanPosition)))
}

/// Deletes an item past retention, unless it was rewritten since it was read (a new expiry).
/// Returns whether it was deleted.
pub async fn delete_expired(table: &Table, item: &ScannedItem) -> Result<bool, StoreError> {
    let Some(at) = item.expires_at else {
        return Ok(false);
    };
    let cond = Condition::new("#e <= :e")
        .name("#e", attr::EXPIRES_AT)
        .value(":e", AttributeValue::N(at.to_string()));
    match table.delete(&item.pk, &item.sk, Some(cond)).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
