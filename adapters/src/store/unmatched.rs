//! Plans recorded without an NHS number (`cpindex::unmatched`): one item beside the plan record
//! under the same reference (`ORG#<la>#PLAN#<ref>` / `UNMATCHED`), listed per LA through GSI1.
//! Every write is conditional on `sourceVersion`, as for plans.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{Item, StoreError};
use super::plans::epoch_of_day;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::demographics::DemographicKeys;
use cpindex::keys::{attr, key, Entity};
use cpindex::org::OrgCode;
use cpindex::plan::{PlanRef, Retention};
use cpindex::unmatched::{UnmatchedRecord, UnmatchedState};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnmatchedItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    entity: String,
    #[serde(flatten)]
    record: UnmatchedRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

/// What an unmatched write did.
#[derive(Debug, Clone, PartialEq)]
pub enum UnmatchedOutcome {
    Created(UnmatchedRecord),
    Updated(UnmatchedRecord),
    /// The same version with the same content again.
    Unchanged(UnmatchedRecord),
    Stale {
        current_version: u64,
    },
    Conflict {
        current_version: u64,
    },
    /// The plan's NHS number has arrived: the plan record is the authority now.
    Matched,
}

/// What withdrawing an unmatched plan did.
#[derive(Debug, Clone, PartialEq)]
pub enum UnmatchedWithdrawal {
    Withdrawn(Box<UnmatchedRecord>),
    /// No unmatched plan under that reference (or it has its NHS number now: the plan record
    /// answers).
    NotFound,
    Stale {
        current_version: u64,
    },
}

pub(crate) fn decode(item: Item) -> Result<UnmatchedRecord, StoreError> {
    Ok(serde_dynamo::from_item::<_, UnmatchedItem>(item)?.record)
}

/// Unmatched plans over DynamoDB.
#[derive(Debug, Clone)]
pub struct UnmatchedStore {
    table: Table,
    retention: Retention,
}

impl UnmatchedStore {
    pub fn new(table: Table, retention: Retention) -> Self {
        Self { table, retention }
    }

    /// When the record expires: as a plan record while unmatched (its end plus the retention);
    /// once matched or withdrawn, the retention from then (kept for the audit trail).
    pub fn expiry_of(&self, r: &UnmatchedRecord) -> Option<i64> {
        match r.state {
            UnmatchedState::Unmatched => r
                .plan
                .plan
                .end_date
                .map(|end| epoch_of_day(self.retention.delete_on(end))),
            UnmatchedState::Matched | UnmatchedState::Withdrawn => Some(epoch_of_day(
                self.retention
                    .delete_on(r.matched_at.unwrap_or(r.updated_at).date_naive()),
            )),
        }
    }

    fn item(&self, r: &UnmatchedRecord) -> Result<Item, StoreError> {
        Ok(serde_dynamo::to_item(UnmatchedItem {
            pk: key::plan_ref_pk(&r.org, &r.plan.plan.plan_ref),
            sk: key::UNMATCHED_SK.to_owned(),
            gsi1pk: key::org_unmatched_gsi(&r.org),
            gsi1sk: r.plan.plan.plan_ref.as_str().to_owned(),
            entity: Entity::UnmatchedPlan.as_str().to_owned(),
            record: r.clone(),
            expires_at: self.expiry_of(r),
        })?)
    }

    /// Writes an unmatched plan, newest version wins (a record already matched is never
    /// written again: [`UnmatchedOutcome::Matched`]).
    pub async fn put(&self, record: &UnmatchedRecord) -> Result<UnmatchedOutcome, StoreError> {
        let version = record.plan.plan.source_version;
        let cond = Condition::new("attribute_not_exists(#pk) OR (#v < :v AND #state = :unmatched)")
            .name("#pk", attr::PK)
            .name("#v", attr::SOURCE_VERSION)
            .name("#state", "state")
            .value(":v", AttributeValue::N(version.to_string()))
            .value(
                ":unmatched",
                AttributeValue::S(UnmatchedState::Unmatched.as_str().into()),
            );
        match self.table.put(self.item(record)?, Some(cond)).await {
            Ok(None) => Ok(UnmatchedOutcome::Created(record.clone())),
            Ok(Some(old)) => {
                let old = decode(old)?;
                self.retire(
                    record,
                    old.plan.plan.demographics.as_ref(),
                    record.plan.plan.demographics.as_ref(),
                )
                .await;
                Ok(UnmatchedOutcome::Updated(record.clone()))
            }
            Err(StoreError::ConditionFailed {
                current: Some(current),
            }) => {
                let current = decode(current)?;
                let held = current.plan.plan.source_version;
                Ok(if current.state == UnmatchedState::Matched {
                    UnmatchedOutcome::Matched
                } else if held > version {
                    UnmatchedOutcome::Stale {
                        current_version: held,
                    }
                } else if current.state == UnmatchedState::Unmatched && current.plan == record.plan
                {
                    UnmatchedOutcome::Unchanged(current)
                } else if held == version {
                    UnmatchedOutcome::Conflict {
                        current_version: held,
                    }
                } else {
                    // Withdrawn at an older version: recorded afresh.
                    self.table.put(self.item(record)?, None).await?;
                    UnmatchedOutcome::Updated(record.clone())
                })
            }
            Err(e) => Err(e),
        }
    }

    pub async fn get(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
    ) -> Result<Option<UnmatchedRecord>, StoreError> {
        self.table
            .get(&key::plan_ref_pk(org, plan_ref), key::UNMATCHED_SK, true)
            .await?
            .map(decode)
            .transpose()
    }

    /// The plan's NHS number has arrived: keeps the record as matched (who, when), so it is
    /// found by no search and counted no longer. Nothing happens when there is no unmatched
    /// record (an ordinary plan). Returns whether one was matched.
    pub async fn matched(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(mut record) = self.get(org, plan_ref).await? else {
            return Ok(false);
        };
        if record.state != UnmatchedState::Unmatched {
            return Ok(false);
        }
        record.state = UnmatchedState::Matched;
        record.matched_at = Some(at);
        record.updated_at = at;
        record.updated_by = by.to_owned();
        let same = Condition::new("#state = :unmatched")
            .name("#state", "state")
            .value(
                ":unmatched",
                AttributeValue::S(UnmatchedState::Unmatched.as_str().into()),
            );
        match self.table.put(self.item(&record)?, Some(same)).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Withdraws an unmatched plan recorded in error, at a version newer than the one held (or
    /// the same version again: a replay). Found by no search and listed no longer from then; the
    /// record is kept, withdrawn, for the retention period.
    pub async fn withdraw(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
        version: u64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<UnmatchedWithdrawal, StoreError> {
        // Written meanwhile: read again and let its version decide, as for any write.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Some(mut record) = self.get(org, plan_ref).await? else {
                return Ok(UnmatchedWithdrawal::NotFound);
            };
            let held = record.plan.plan.source_version;
            match record.state {
                UnmatchedState::Matched => return Ok(UnmatchedWithdrawal::NotFound),
                UnmatchedState::Withdrawn if held == version => {
                    return Ok(UnmatchedWithdrawal::Withdrawn(Box::new(record)))
                }
                _ if held >= version => {
                    return Ok(UnmatchedWithdrawal::Stale {
                        current_version: held,
                    })
                }
                _ => {}
            }
            let was = record.state;
            record.state = UnmatchedState::Withdrawn;
            record.plan.plan.source_version = version;
            record.updated_at = at;
            record.updated_by = by.to_owned();
            let same = Condition::new("#state = :state AND #v = :held")
                .name("#state", "state")
                .name("#v", attr::SOURCE_VERSION)
                .value(":state", AttributeValue::S(was.as_str().into()))
                .value(":held", AttributeValue::N(held.to_string()));
            match self.table.put(self.item(&record)?, Some(same)).await {
                Ok(_) => {
                    // Found by no search from now on: its demographic entries go too.
                    self.retire(&record, record.plan.plan.demographics.as_ref(), None)
                        .await;
                    return Ok(UnmatchedWithdrawal::Withdrawn(Box::new(record)));
                }
                Err(StoreError::ConditionFailed { .. }) if attempts < 3 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Deletes the demographic entries of `dropped` that `kept` lacks, written before `record`'s
    /// version (`demographics::retire`).
    async fn retire(
        &self,
        record: &UnmatchedRecord,
        dropped: Option<&DemographicKeys>,
        kept: Option<&DemographicKeys>,
    ) {
        let d = &record.plan.plan;
        let up_to = d.source_version.saturating_sub(1);
        super::demographics::retire(&self.table, &record.org, &d.plan_ref, dropped, kept, up_to)
            .await;
    }

    /// An LA's unmatched plans (every state), in reference order.
    pub async fn list(&self, org: &OrgCode) -> Result<Vec<UnmatchedRecord>, StoreError> {
        self.table
            .query(
                Index::Gsi1,
                &key::org_unmatched_gsi(org),
                None,
                QueryOptions {
                    consistent: false,
                    ..QueryOptions::default()
                },
            )
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }
}
