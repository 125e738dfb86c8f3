//! Full extracts: the LA's complete current set, kept so reconciliation can compare it with the
//! index. A large extract arrives in several batches sharing an extract id; each batch is a part.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{Item, StoreError};
use super::size::at_most;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::keys::{keep, key, Entity};
use cpindex::org::OrgCode;
use cpindex::plan::PlanRef;

/// One plan as the extract lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractEntry {
    pub plan_ref: PlanRef,
    pub source_version: u64,
}

/// A record of the extract the index did not take: the child will look up as "no plan" (for
/// this plan) until the LA fixes it, so reconciliation keeps reporting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotLoaded {
    /// Position of the record in its batch.
    pub index: usize,
    /// The record's line in its file, when the upload gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The LA's reference, when the record carried a readable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    /// The stable code of why it was not taken (`missing_emergency_phone`, `store_unavailable`…).
    pub code: String,
    /// The field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// One batch of a full extract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractPart {
    pub org: OrgCode,
    pub extract_id: String,
    pub batch_id: String,
    pub received_at: DateTime<Utc>,
    /// The records the batch carried that could be read as plans.
    pub entries: Vec<ExtractEntry>,
    /// The records the index did not take (rejected, or failed to store).
    #[serde(default)]
    pub not_loaded: Vec<NotLoaded>,
}

impl ExtractPart {
    /// The part's identity within its extract, from what it says: the same batch sent again
    /// replaces itself instead of being counted twice.
    pub fn content_id(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for e in &self.entries {
            h.update(format!("e|{}|{}\n", e.plan_ref, e.source_version));
        }
        for n in &self.not_loaded {
            let plan_ref = n.plan_ref.as_deref().unwrap_or("");
            h.update(format!("n|{}|{plan_ref}|{}\n", n.index, n.code));
        }
        hex::encode(&h.finalize()[..16])
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    part: ExtractPart,
    expires_at: i64,
}

/// Longest field name kept for a record not loaded (a JSON pointer into the batch; one naming an
/// unknown field could be anything the LA sent).
pub const MAX_FIELD_BYTES: usize = 64;

/// The item a part is stored as: bounded by the batch's record limit, with each record's free
/// text bounded too.
pub fn part_item(part: &ExtractPart, expires_at: i64) -> Result<Item, StoreError> {
    let mut part = part.clone();
    for n in &mut part.not_loaded {
        n.field = n.field.as_deref().map(|f| at_most(f, MAX_FIELD_BYTES));
    }
    let item = PartItem {
        pk: key::extract_pk(&part.org, &part.extract_id),
        sk: key::extract_part_sk(&part.content_id()),
        entity: Entity::ExtractPart.as_str().into(),
        part,
        expires_at,
    };
    Ok(serde_dynamo::to_item(item)?)
}

/// The LAs' full extracts, as reconciliation compares them with the index.
#[derive(Debug, Clone)]
pub struct ExtractStore {
    table: Table,
}

impl ExtractStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Every LA that has sent a full extract.
    pub async fn orgs_with_extracts(&self) -> Result<Vec<OrgCode>, StoreError> {
        let items = self
            .table
            .query(
                Index::Gsi1,
                key::EXTRACTS_GSI,
                None,
                QueryOptions::default(),
            )
            .await?;
        Ok(items
            .iter()
            .filter_map(|i| i.get(cpindex::keys::attr::GSI1_SK)?.as_s().ok())
            .filter_map(|s| OrgCode::parse(s).ok())
            .collect())
    }

    /// Stores one part and points the LA's "latest extract" at its extract (never backwards in time).
    pub async fn record(&self, part: &ExtractPart) -> Result<(), StoreError> {
        let expires_at =
            (part.received_at + chrono::Duration::days(keep::EXTRACT_PART_DAYS)).timestamp();
        self.table.put(part_item(part, expires_at)?, None).await?;
        let latest = std::collections::HashMap::from([
            (
                cpindex::keys::attr::PK.to_owned(),
                AttributeValue::S(key::latest_extract_pk(&part.org)),
            ),
            (
                cpindex::keys::attr::SK.to_owned(),
                AttributeValue::S(key::LATEST.into()),
            ),
            (
                cpindex::keys::attr::ENTITY.to_owned(),
                AttributeValue::S(Entity::ExtractLatest.as_str().into()),
            ),
            (
                "extractId".to_owned(),
                AttributeValue::S(part.extract_id.clone()),
            ),
            // Listed in GSI1 so reconciliation can find every LA with an extract.
            (
                cpindex::keys::attr::GSI1_PK.to_owned(),
                AttributeValue::S(key::EXTRACTS_GSI.into()),
            ),
            (
                cpindex::keys::attr::GSI1_SK.to_owned(),
                AttributeValue::S(part.org.as_str().into()),
            ),
            (
                "receivedAt".to_owned(),
                AttributeValue::S(key::sortable_time(part.received_at)),
            ),
        ]);
        let cond = Condition::new("attribute_not_exists(#pk) OR #at <= :at")
            .name("#pk", cpindex::keys::attr::PK)
            .name("#at", "receivedAt")
            .value(
                ":at",
                AttributeValue::S(key::sortable_time(part.received_at)),
            );
        match self.table.put(latest, Some(cond)).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// When the LA's latest full extract was received (one `GetItem` of its pointer).
    pub async fn latest_received_at(
        &self,
        org: &OrgCode,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let pointer = self
            .table
            .get(&key::latest_extract_pk(org), key::LATEST, true)
            .await?;
        Ok(pointer
            .as_ref()
            .and_then(|p| p.get("receivedAt"))
            .and_then(|v| v.as_s().ok())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)))
    }

    /// The LA's latest full extract: every part of it, merged.
    pub async fn latest(&self, org: &OrgCode) -> Result<Option<Vec<ExtractPart>>, StoreError> {
        let Some(pointer) = self
            .table
            .get(&key::latest_extract_pk(org), key::LATEST, true)
            .await?
        else {
            return Ok(None);
        };
        let Some(extract_id) = pointer.get("extractId").and_then(|v| v.as_s().ok()) else {
            return Ok(None);
        };
        let items = self
            .table
            .query(
                Index::Table,
                &key::extract_pk(org, extract_id),
                Some(key::EXTRACT_PART_PREFIX),
                QueryOptions::default(),
            )
            .await?;
        let parts = items
            .into_iter()
            .map(|i| Ok(serde_dynamo::from_item::<_, PartItem>(i)?.part))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::size::{item_size, MAX_ITEM_BYTES};

    #[test]
    fn a_batch_of_the_largest_records_fits_one_part_item() {
        // The worst a batch can carry: every record readable as a plan and also not loaded
        // (failed to store), with the longest reference, code and field there can be.
        let plan_ref = |i: usize| PlanRef::parse(&format!("{i:0>64}"), "").unwrap();
        let part = ExtractPart {
            org: OrgCode::parse("E08000035").unwrap(),
            extract_id: "x".repeat(64),
            batch_id: uuid::Uuid::new_v4().to_string(),
            received_at: Utc::now(),
            entries: (0..cpindex::batch::MAX_RECORDS)
                .map(|i| ExtractEntry {
                    plan_ref: plan_ref(i),
                    source_version: u64::MAX,
                })
                .collect(),
            not_loaded: (0..cpindex::batch::MAX_RECORDS)
                .map(|i| NotLoaded {
                    index: usize::MAX,
                    line: Some(u64::MAX),
                    plan_ref: Some(plan_ref(i).as_str().to_owned()),
                    code: "x".repeat(40),
                    field: Some("/records/".repeat(100)),
                })
                .collect(),
        };
        let item = part_item(&part, i64::MAX).unwrap();
        let size = item_size(&item);
        eprintln!("worst case: {size} of {MAX_ITEM_BYTES} bytes");
        assert!(size < MAX_ITEM_BYTES, "{size} bytes");
    }
}
