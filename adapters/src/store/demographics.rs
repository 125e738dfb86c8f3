//! The demographic index (`cpindex::demographics`): under each demographic key, an entry per
//! plan recorded with it (`DEMO#<key>` / `PLAN#<la>#<ref>`), and the searches made for it
//! (`DEMO#<key>` / `SEARCH#<time>#<id>`). An entry is only a pointer: every search checks it
//! against the plan as it now stands ([`cpindex::child_search::Candidate`]), so an entry left
//! behind names nothing. The write that drops an entry (other demographics, a withdrawal) deletes
//! it (`retire`).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::error::{Item, StoreError};
use super::table::{Condition, Index, QueryOptions, Table};
use aws_sdk_dynamodb::types::AttributeValue;
use cpindex::child_search::{Candidate, SearchRecord};
use cpindex::demographics::{DemographicKey, DemographicKeys};
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::org::OrgCode;
use cpindex::plan::PlanRef;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryItem {
    pk: String,
    sk: String,
    entity: String,
    org: OrgCode,
    plan_ref: PlanRef,
    /// The version of the plan whose write put the entry (none on entries written before it
    /// was kept): a write that drops the entry's key deletes it only if no later version put
    /// it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    search: SearchRecord,
    expires_at: i64,
}

/// The demographic index over DynamoDB.
#[derive(Debug, Clone)]
pub struct DemographicIndex {
    table: Table,
}

impl DemographicIndex {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Points both of a plan's demographic keys at it (idempotent), expiring with the plan.
    /// `version` is the plan version being written.
    pub async fn index(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
        keys: &DemographicKeys,
        version: u64,
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        for (_, k) in keys.each() {
            let item = serde_dynamo::to_item(EntryItem {
                pk: key::demographic_pk(k),
                sk: key::demographic_plan_sk(org, plan_ref),
                entity: Entity::DemographicEntry.as_str().to_owned(),
                org: org.clone(),
                plan_ref: plan_ref.clone(),
                source_version: Some(version),
                expires_at,
            })?;
            self.table.put(item, None).await?;
        }
        Ok(())
    }

    /// The plans recorded under `k`: at most `limit` (org, reference) pointers.
    pub async fn entries(
        &self,
        k: &DemographicKey,
        limit: usize,
    ) -> Result<Vec<(OrgCode, PlanRef)>, StoreError> {
        self.table
            .query(
                Index::Table,
                &key::demographic_pk(k),
                Some(key::PLAN_PREFIX),
                QueryOptions {
                    limit: Some(limit),
                    ..QueryOptions::default()
                },
            )
            .await?
            .into_iter()
            .map(|item| {
                let e: EntryItem = serde_dynamo::from_item(item)?;
                Ok((e.org, e.plan_ref))
            })
            .collect()
    }

    /// What is held under one plan reference now: its plan record and unmatched record, in one
    /// strongly consistent query.
    pub async fn candidate(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
    ) -> Result<Candidate, StoreError> {
        let items = self
            .table
            .query(
                Index::Table,
                &key::plan_ref_pk(org, plan_ref),
                None,
                QueryOptions::default(),
            )
            .await?;
        let mut c = Candidate::default();
        for item in items {
            match sk_of(&item).as_deref() {
                Some(key::CURRENT) => c.record = Some(super::plans::decode_record(item)?),
                Some(key::UNMATCHED_SK) => c.unmatched = Some(super::unmatched::decode(item)?),
                _ => {}
            }
        }
        Ok(c)
    }

    /// Keeps the search's audit record under `exact` for the audit trail's time.
    pub async fn record_search(
        &self,
        exact: &DemographicKey,
        search: &SearchRecord,
    ) -> Result<(), StoreError> {
        let at = search.searcher.at;
        let item = serde_dynamo::to_item(SearchItem {
            pk: key::demographic_pk(exact),
            sk: key::demographic_search_sk(at, &search.searcher.search_id),
            entity: Entity::DemographicSearch.as_str().to_owned(),
            search: search.clone(),
            expires_at: (at + Duration::days(keep::SEARCH_DAYS)).timestamp(),
        })?;
        self.table.put(item, None).await.map(|_| ())
    }

    /// The searches made for `exact`, oldest first (an operator's audit; tests).
    pub async fn searches(&self, exact: &DemographicKey) -> Result<Vec<SearchRecord>, StoreError> {
        self.table
            .query(
                Index::Table,
                &key::demographic_pk(exact),
                Some(key::SEARCH_PREFIX),
                QueryOptions::default(),
            )
            .await?
            .into_iter()
            .map(|item| Ok(serde_dynamo::from_item::<_, SearchItem>(item)?.search))
            .collect()
    }
}

/// Deletes the entries of `dropped` that `kept` does not hold (a write that changed the plan's
/// demographics, or withdrew it, at a version above `up_to`), each only while no version after
/// `up_to` has put it again: a concurrent later write that re-indexes a key keeps its entry.
/// A failure is logged and the caller's write stands: an entry left behind names nothing (every
/// search checks the plan as it stands).
pub(super) async fn retire(
    table: &Table,
    org: &OrgCode,
    plan_ref: &PlanRef,
    dropped: Option<&DemographicKeys>,
    kept: Option<&DemographicKeys>,
    up_to: u64,
) {
    let Some(dropped) = dropped else { return };
    let still = |k: &DemographicKey| kept.is_some_and(|d| d.each().iter().any(|(_, x)| *x == k));
    let sk = key::demographic_plan_sk(org, plan_ref);
    for (_, k) in dropped.each() {
        if still(k) {
            continue;
        }
        let cond = Condition::new("attribute_not_exists(#v) OR #v <= :v")
            .name("#v", attr::SOURCE_VERSION)
            .value(":v", AttributeValue::N(up_to.to_string()));
        match table.delete(&key::demographic_pk(k), &sk, Some(cond)).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => {
                tracing::warn!(error = %cpindex::log::chain(&e), org = %org, plan_ref = %plan_ref, "a demographic entry the write dropped was not deleted");
            }
        }
    }
}

fn sk_of(item: &Item) -> Option<String> {
    item.get(attr::SK).and_then(|v| v.as_s().ok()).cloned()
}
