//! Plans in the table. Two items per plan:
//! - the **record** (`ORG#<la>#PLAN#<ref>`), the authority for ordering, addressed by the LA's own
//!   reference and listed per LA through GSI1;
//! - the **projection** in the child's partition (`CHILD#<child key>` / `PLAN#<la>#<ref>`), what a
//!   lookup reads with one strongly consistent query. The child key is the keyed pseudonym of the
//!   NHS number (`cpindex::child_key`), computed by the caller, which holds the secret.
//!
//! Every write is conditional on `sourceVersion`, so an older version never overwrites a newer
//! one, whatever the interleaving. The record is written first; a crash before the projection is
//! healed by the LA's retry (the replay sees the record at the same version and repairs the
//! projection) and by reconciliation.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::error::{Item, StoreError};
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::alert_state::AlertState;
use cpindex::child_key::ChildKey;
use cpindex::demographics::DemographicKeys;
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::nhs_number::NhsNumber;
use cpindex::org::OrgCode;
use cpindex::plan::{Plan, PlanRef, Retention};
use cpindex::plan_record::{PlanProjection, PlanRecord, PlanState};

/// Stored form of a record: keys and TTL around the record.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    entity: String,
    #[serde(flatten)]
    record: PlanRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

/// Stored form of a projection.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectionItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    projection: PlanProjection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    Created(PlanRecord),
    Updated(PlanRecord),
    /// The same version with the same content again: an idempotent success.
    Unchanged(PlanRecord),
    /// Updated with a different NHS number: the plan now shows only under the new one.
    Moved {
        record: PlanRecord,
        from: ChildKey,
        /// The number the plan moved from (held only for this answer: the plan-upsert strikes it
        /// from the LA's notifications; no item keeps it).
        from_nhs: NhsNumber,
    },
    Withdrawn(PlanRecord),
    /// A newer (or equal, for a withdrawal) version is held; nothing changed.
    Stale {
        current_version: u64,
    },
    /// The same version was sent with different content; nothing changed.
    Conflict {
        current_version: u64,
    },
    /// No such plan for this LA (withdrawal only).
    NotFound,
}

/// What is already known of a plan before writing (from a batch read), to skip useless writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// Nothing read: write conditionally and learn from the answer.
    Unread,
    /// Read: no record exists.
    Absent,
    /// Read: the record, and the version of its projection under the incoming NHS number.
    Present {
        record: Box<PlanRecord>,
        projected_version: Option<u64>,
    },
}

/// A page of an LA's plans.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPage {
    pub records: Vec<PlanRecord>,
    /// The plan reference to continue after, when there may be more.
    pub next: Option<PlanRef>,
}

/// Epoch seconds at the start (UTC) of a day: the TTL value for "delete on that day".
pub fn epoch_of_day(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(i64::MAX)
}

/// The plans port over DynamoDB.
#[derive(Debug, Clone)]
pub struct PlanStore {
    table: Table,
    retention: Retention,
}

pub(crate) fn decode_record(item: Item) -> Result<PlanRecord, StoreError> {
    Ok(serde_dynamo::from_item::<_, RecordItem>(item)?.record)
}

fn version_of(item: &Item) -> Option<u64> {
    item.get(attr::SOURCE_VERSION)?.as_n().ok()?.parse().ok()
}

impl PlanStore {
    /// Rewrites the record just written with what was learnt from the write itself, unless a
    /// newer version has replaced it meanwhile (then that writer's record stands).
    async fn amend(&self, record: &PlanRecord) -> Result<(), StoreError> {
        let cond = Condition::new("#v = :v")
            .name("#v", attr::SOURCE_VERSION)
            .value(":v", AttributeValue::N(record.source_version.to_string()));
        match self.table.put(self.record_item(record)?, Some(cond)).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub fn new(table: Table, retention: Retention) -> Self {
        Self { table, retention }
    }

    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// When a record (and a live record's projection) expires under the current retention.
    pub fn expiry_of(&self, record: &PlanRecord) -> Option<i64> {
        match record.state {
            PlanState::Live => record.plan.delete_on(self.retention).map(epoch_of_day),
            // Withdrawn records stay for the audit trail for the retention period.
            _ => Some(epoch_of_day(
                self.retention.delete_on(record.updated_at.date_naive()),
            )),
        }
    }

    /// Sets a record's expiry (and its live projection's) to what the current retention gives,
    /// so a change of the retention setting reaches items already stored. Conditional on the
    /// version, so a newer write in between is left alone. Returns whether anything changed.
    pub async fn restamp(&self, record: &PlanRecord) -> Result<bool, StoreError> {
        let expiry = self.expiry_of(record);
        let update = match expiry {
            Some(at) => Condition::new("SET #e = :e")
                .name("#e", attr::EXPIRES_AT)
                .value(":e", AttributeValue::N(at.to_string())),
            None => Condition::new("REMOVE #e").name("#e", attr::EXPIRES_AT),
        };
        let same_version = || {
            Condition::new("#v = :v")
                .name("#v", attr::SOURCE_VERSION)
                .value(":v", AttributeValue::N(record.source_version.to_string()))
        };
        let mut targets = vec![(
            key::plan_ref_pk(&record.org, &record.plan_ref),
            key::CURRENT.to_owned(),
        )];
        if record.state == PlanState::Live {
            targets.push((
                key::child_pk(&record.child),
                key::child_plan_sk(&record.org, &record.plan_ref),
            ));
        }
        let mut changed = false;
        for (pk, sk) in targets {
            match self
                .table
                .update(&pk, &sk, update.clone(), Some(same_version()))
                .await
            {
                Ok(_) => changed = true,
                Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    /// Marks the record as put on a child another LA holds a plan for (first time kept).
    /// Conditional on the version, so a newer write in between is left alone (it carried the
    /// mark over if it was written after it).
    pub async fn mark_shared(
        &self,
        record: &PlanRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let update = Condition::new("SET #s = if_not_exists(#s, :s)")
            .name("#s", "sharedSince")
            .value(":s", AttributeValue::S(at.to_rfc3339()));
        let same_version = Condition::new("#v = :v")
            .name("#v", attr::SOURCE_VERSION)
            .value(":v", AttributeValue::N(record.source_version.to_string()));
        match self
            .table
            .update(
                &key::plan_ref_pk(&record.org, &record.plan_ref),
                key::CURRENT,
                update,
                Some(same_version),
            )
            .await
        {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The item a record is stored as (bulk loaders in tests and benchmarks write it directly).
    pub fn record_item(&self, record: &PlanRecord) -> Result<Item, StoreError> {
        let expires_at = self.expiry_of(record);
        let item = RecordItem {
            pk: key::plan_ref_pk(&record.org, &record.plan_ref),
            sk: key::CURRENT.to_owned(),
            gsi1pk: key::org_plans_gsi(&record.org),
            gsi1sk: record.plan_ref.as_str().to_owned(),
            entity: Entity::PlanRecord.as_str().to_owned(),
            record: record.clone(),
            expires_at,
        };
        Ok(serde_dynamo::to_item(item)?)
    }

    fn projection_item(
        &self,
        record: &PlanRecord,
        child: &ChildKey,
        state: PlanState,
        now: DateTime<Utc>,
    ) -> Result<Item, StoreError> {
        let expires_at = match state {
            PlanState::Live => record.plan.delete_on(self.retention).map(epoch_of_day),
            _ => Some((now + chrono::Duration::days(keep::TOMBSTONE_DAYS)).timestamp()),
        };
        let item = ProjectionItem {
            pk: key::child_pk(child),
            sk: key::child_plan_sk(&record.org, &record.plan_ref),
            entity: Entity::PlanProjection.as_str().to_owned(),
            projection: PlanProjection {
                org: record.org.clone(),
                plan_ref: record.plan_ref.clone(),
                source_version: record.source_version,
                state,
                plan: (state == PlanState::Live).then(|| record.plan.clone()),
                held_since: (state == PlanState::Live).then(|| record.held_since()),
            },
            expires_at,
        };
        Ok(serde_dynamo::to_item(item)?)
    }

    /// Reads, in as few calls as possible, what is stored for each incoming plan of one LA
    /// (each with its child's key). Eventually consistent, at half the price: the read only
    /// saves writes. Every write it leads to is conditional on `sourceVersion` and learns the
    /// stored record when refused; a read a moment behind a concurrent newer write can only
    /// answer "unchanged" where "stale" was due, for a version the index no longer holds
    /// (docs/ARCHITECTURE.md, "Batches and the write pattern").
    pub async fn read_known(
        &self,
        org: &OrgCode,
        plans: &[(&Plan, &ChildKey)],
    ) -> Result<Vec<Known>, StoreError> {
        let mut keys = Vec::with_capacity(plans.len() * 2);
        for (p, child) in plans {
            keys.push((key::plan_ref_pk(org, &p.plan_ref), key::CURRENT.to_owned()));
            keys.push((key::child_pk(child), key::child_plan_sk(org, &p.plan_ref)));
        }
        let items = self.table.batch_get(keys, false).await?;
        let mut by_key = std::collections::HashMap::with_capacity(items.len());
        for item in items {
            let pk = item
                .get(attr::PK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let sk = item
                .get(attr::SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            by_key.insert((pk, sk), item);
        }
        plans
            .iter()
            .map(|(p, child)| {
                let rk = (key::plan_ref_pk(org, &p.plan_ref), key::CURRENT.to_owned());
                let ck = (key::child_pk(child), key::child_plan_sk(org, &p.plan_ref));
                match by_key.get(&rk) {
                    None => Ok(Known::Absent),
                    Some(item) => Ok(Known::Present {
                        record: Box::new(decode_record(item.clone())?),
                        projected_version: by_key.get(&ck).and_then(version_of),
                    }),
                }
            })
            .collect()
    }

    /// Creates or updates a plan for `org`, newest version wins. `child` is the key of the
    /// plan's NHS number.
    pub async fn upsert(
        &self,
        org: &OrgCode,
        plan: Plan,
        child: ChildKey,
        actor: &str,
        now: DateTime<Utc>,
        known: Known,
    ) -> Result<WriteOutcome, StoreError> {
        let version = plan.source_version;
        if let Known::Present {
            record,
            projected_version,
        } = &known
        {
            if let Some(outcome) = self.settled(record, &plan, *projected_version, now).await? {
                return Ok(outcome);
            }
        }
        let record = PlanRecord {
            org: org.clone(),
            plan_ref: plan.plan_ref.clone(),
            nhs_number: plan.nhs_number,
            child,
            source_version: version,
            state: PlanState::Live,
            plan,
            moved_from: None,
            first_recorded_at: Some(now),
            updated_at: now,
            updated_by: actor.to_owned(),
            earlier_keys: Vec::new(),
            shared_since: None,
        };
        let mut record = record;
        // A known earlier record tells us up front whether this write moves the plan, and since
        // when the plan has been held for this child.
        if let Known::Present { record: old, .. } = &known {
            record.carry_over(old, now);
        }
        let condition = Condition::newer_than_stored(attr::SOURCE_VERSION, version);
        let old = match self
            .table
            .put(self.record_item(&record)?, Some(condition))
            .await
        {
            Ok(old) => old,
            Err(StoreError::ConditionFailed {
                current: Some(current),
            }) => {
                let current = decode_record(current)?;
                return match self.settled(&current, &record.plan, None, now).await? {
                    Some(outcome) => Ok(outcome),
                    None => Ok(WriteOutcome::Stale {
                        current_version: current.source_version,
                    }),
                };
            }
            Err(e) => return Err(e),
        };
        let old = old.map(decode_record).transpose()?;
        if let Some(old) = &old {
            let mut learnt = record.clone();
            learnt.carry_over(old, now);
            if learnt != record {
                // Learnt only now (no batch read): keep when the plan was first held and the
                // keys it left (a replay repairs a move from `moved_from`).
                record = learnt;
                self.amend(&record).await?;
            }
        }
        if let Some(old) = &old {
            self.retire_demographics(&record, old.plan.demographics.as_ref())
                .await;
        }
        match old {
            // A key rotation: the same child under a new key; nothing was corrected.
            Some(old) if old.child != record.child && old.nhs_number == record.nhs_number => {
                self.project_move(&record, &old.child, now).await?;
                Ok(WriteOutcome::Updated(record))
            }
            Some(old) if old.child != record.child => {
                self.project_move(&record, &old.child, now).await?;
                Ok(WriteOutcome::Moved {
                    from: old.child,
                    from_nhs: old.nhs_number,
                    record,
                })
            }
            Some(_) => {
                self.project(&record, now).await?;
                Ok(WriteOutcome::Updated(record))
            }
            None => {
                self.project(&record, now).await?;
                Ok(WriteOutcome::Created(record))
            }
        }
    }

    /// When the stored record already settles an incoming write (stale, same, or conflicting),
    /// says how, repairing a projection that fell behind. `None` means "write it".
    async fn settled(
        &self,
        stored: &PlanRecord,
        incoming: &Plan,
        projected_version: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Option<WriteOutcome>, StoreError> {
        let version = incoming.source_version;
        if stored.source_version > version {
            return Ok(Some(WriteOutcome::Stale {
                current_version: stored.source_version,
            }));
        }
        if stored.source_version < version {
            return Ok(None);
        }
        if stored.state != PlanState::Live || stored.plan != *incoming {
            return Ok(Some(WriteOutcome::Conflict {
                current_version: stored.source_version,
            }));
        }
        // A replay: make sure the projection caught up (the first attempt may have died mid-way).
        if projected_version.is_none_or(|v| v < version) {
            match &stored.moved_from {
                Some(from) => self.project_move(stored, from, now).await?,
                None => self.project(stored, now).await?,
            }
        }
        Ok(Some(WriteOutcome::Unchanged(stored.clone())))
    }

    /// Writes the projection under the record's child key (older projections only).
    async fn project(&self, record: &PlanRecord, now: DateTime<Utc>) -> Result<(), StoreError> {
        let item = self.projection_item(record, &record.child, PlanState::Live, now)?;
        let cond = Condition::newer_than_stored(attr::SOURCE_VERSION, record.source_version);
        match self.table.put(item, Some(cond)).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Moves the projection atomically: live under the new number, tombstone under the old.
    async fn project_move(
        &self,
        record: &PlanRecord,
        from: &ChildKey,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let cond = || Condition::newer_than_stored(attr::SOURCE_VERSION, record.source_version);
        let live = self.projection_item(record, &record.child, PlanState::Live, now)?;
        let tomb = self.projection_item(record, from, PlanState::Moved, now)?;
        let ops = vec![
            self.table.transact_put(live.clone(), Some(cond()))?,
            self.table.transact_put(tomb.clone(), Some(cond()))?,
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(()),
            // A newer write reached one side first: apply each side on its own; each is guarded.
            Err(StoreError::TransactionCancelled { .. }) => {
                for item in [live, tomb] {
                    match self.table.put(item, Some(cond())).await {
                        Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Moves a live plan's record and projection to `to`, the same child's key under the key
    /// data is now written under (a key rotation's re-key step). Nothing is moved when the
    /// record changed since it was read (a newer write already went under the new key).
    /// Returns whether it moved.
    pub async fn rekey(
        &self,
        record: &PlanRecord,
        to: ChildKey,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut moved = record.clone();
        moved.child = to;
        moved.carry_over(record, now);
        let unchanged = Condition::new("#v = :v AND #c = :c")
            .name("#v", attr::SOURCE_VERSION)
            .value(":v", AttributeValue::N(record.source_version.to_string()))
            .name("#c", "child")
            .value(":c", AttributeValue::S(record.child.as_str().to_owned()));
        match self
            .table
            .put(self.record_item(&moved)?, Some(unchanged))
            .await
        {
            Ok(_) => {}
            Err(StoreError::ConditionFailed { .. }) => return Ok(false),
            Err(e) => return Err(e),
        }
        // The same version on both sides: live under the new key first, then the tombstone
        // (a lookup reading both keys in between lists the plan once, live).
        let not_newer = || {
            Condition::new("attribute_not_exists(#pk) OR #v <= :v")
                .name("#pk", attr::PK)
                .name("#v", attr::SOURCE_VERSION)
                .value(":v", AttributeValue::N(moved.source_version.to_string()))
        };
        let live = self.projection_item(&moved, &moved.child, PlanState::Live, now)?;
        let tomb = self.projection_item(&moved, &record.child, PlanState::Moved, now)?;
        for item in [live, tomb] {
            match self.table.put(item, Some(not_newer())).await {
                Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Withdraws a plan uploaded in error: gone from lookups at once; the record stays for audit.
    pub async fn withdraw(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
        version: u64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WriteOutcome, StoreError> {
        let pk = key::plan_ref_pk(org, plan_ref);
        let Some(item) = self.table.get(&pk, key::CURRENT, true).await? else {
            return Ok(WriteOutcome::NotFound);
        };
        let stored = decode_record(item)?;
        if stored.source_version > version
            || (stored.source_version == version && stored.state == PlanState::Live)
        {
            return Ok(WriteOutcome::Stale {
                current_version: stored.source_version,
            });
        }
        let mut record = stored.clone();
        if stored.source_version < version {
            record.source_version = version;
            record.plan.source_version = version;
            record.state = PlanState::Withdrawn;
            record.updated_at = now;
            record.updated_by = actor.to_owned();
            let cond = Condition::newer_than_stored(attr::SOURCE_VERSION, version);
            match self.table.put(self.record_item(&record)?, Some(cond)).await {
                Ok(_) => {}
                Err(StoreError::ConditionFailed { current }) => {
                    let current = current.and_then(|c| decode_record(c).ok());
                    return Ok(WriteOutcome::Stale {
                        current_version: current.map_or(version, |c| c.source_version),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        // Tombstone the projection (again, on a replay: it is guarded by version).
        let tomb = self.projection_item(&record, &record.child, PlanState::Withdrawn, now)?;
        let cond = Condition::newer_than_stored(attr::SOURCE_VERSION, version);
        match self.table.put(tomb, Some(cond)).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e),
        }
        // Found by no search from now on: its demographic entries go too.
        let mut gone = record.clone();
        gone.plan.demographics = None;
        self.retire_demographics(&gone, record.plan.demographics.as_ref())
            .await;
        Ok(WriteOutcome::Withdrawn(record))
    }

    /// Deletes the demographic entries that `dropped` (what the plan held before `record` was
    /// written) has and `record` has not (`demographics::retire`).
    async fn retire_demographics(&self, record: &PlanRecord, dropped: Option<&DemographicKeys>) {
        super::demographics::retire(
            &self.table,
            &record.org,
            &record.plan_ref,
            dropped,
            record.plan.demographics.as_ref(),
            record.source_version.saturating_sub(1),
        )
        .await;
    }

    /// One LA's plan by its reference.
    pub async fn get(
        &self,
        org: &OrgCode,
        plan_ref: &PlanRef,
    ) -> Result<Option<PlanRecord>, StoreError> {
        let item = self
            .table
            .get(&key::plan_ref_pk(org, plan_ref), key::CURRENT, true)
            .await?;
        item.map(decode_record).transpose()
    }

    /// One LA's plans in reference order, `limit` at a time, after `after` when given.
    pub async fn list(
        &self,
        org: &OrgCode,
        limit: usize,
        after: Option<&PlanRef>,
    ) -> Result<PlanPage, StoreError> {
        let gsi_pk = key::org_plans_gsi(org);
        let start = after.map(|r| {
            std::collections::HashMap::from([
                (attr::GSI1_PK.to_owned(), AttributeValue::S(gsi_pk.clone())),
                (
                    attr::GSI1_SK.to_owned(),
                    AttributeValue::S(r.as_str().to_owned()),
                ),
                (
                    attr::PK.to_owned(),
                    AttributeValue::S(key::plan_ref_pk(org, r)),
                ),
                (
                    attr::SK.to_owned(),
                    AttributeValue::S(key::CURRENT.to_owned()),
                ),
            ])
        });
        let opts = QueryOptions {
            consistent: false,
            ..QueryOptions::default()
        };
        let (items, next) = self
            .table
            .query_page(Index::Gsi1, &gsi_pk, None, opts, Some(limit), start)
            .await?;
        let records = items
            .into_iter()
            .map(decode_record)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match next {
            Some(_) => records.last().map(|r| r.plan_ref.clone()),
            None => None,
        };
        Ok(PlanPage { records, next })
    }

    /// Every plan projection held for one child under any of its keys (during a key rotation,
    /// more than one), read at once. A plan found under two keys (a re-key interrupted
    /// mid-way) is listed once, at its newest version.
    pub async fn projections_under(
        &self,
        children: &[ChildKey],
    ) -> Result<Vec<PlanProjection>, StoreError> {
        Ok(self.plans_and_alerts_under(children).await?.0)
    }

    /// As [`Self::projections_under`], with each LA's last alert about the child (read by the
    /// same queries: the states sit among the plans' keys).
    pub async fn plans_and_alerts_under(
        &self,
        children: &[ChildKey],
    ) -> Result<(Vec<PlanProjection>, Vec<AlertState>), StoreError> {
        let first = self.read_under(children).await?;
        // During a key rotation a plan's re-key can land between the reads of its two
        // partitions: the new key's read was made before the move, the old key's finds only the
        // tombstone. Never a "no plan" for that: read once more (the move is one transaction,
        // so the second read finds the plan under its new key).
        if children.len() > 1 && first.0.iter().any(|p| p.state == PlanState::Moved) {
            return self.read_under(children).await;
        }
        Ok(first)
    }

    /// One read of every partition in `children`, at once, merged.
    async fn read_under(
        &self,
        children: &[ChildKey],
    ) -> Result<(Vec<PlanProjection>, Vec<AlertState>), StoreError> {
        let reads = children.iter().map(|c| self.plan_items_for(c));
        let mut newest: Vec<PlanProjection> = Vec::new();
        let mut states: Vec<AlertState> = Vec::new();
        let read = futures::future::try_join_all(reads).await?;
        for (_, s) in &read {
            for s in s {
                match states.iter_mut().find(|t| t.la == s.la) {
                    Some(t) if t.last_alerted_at < s.last_alerted_at => *t = s.clone(),
                    Some(_) => {}
                    None => states.push(s.clone()),
                }
            }
        }
        for p in read.into_iter().flat_map(|(p, _)| p) {
            match newest
                .iter_mut()
                .find(|q| q.org == p.org && q.plan_ref == p.plan_ref)
            {
                Some(q)
                    if q.source_version < p.source_version
                        || (q.source_version == p.source_version && q.state != PlanState::Live) =>
                {
                    *q = p
                }
                Some(_) => {}
                None => newest.push(p),
            }
        }
        Ok((newest, states))
    }

    /// Every plan projection held for one child (strongly consistent).
    pub async fn projections_for(
        &self,
        child: &ChildKey,
    ) -> Result<Vec<PlanProjection>, StoreError> {
        Ok(self.plan_items_for(child).await?.0)
    }

    /// The plan projections and alert states of one child's partition (one strongly consistent
    /// query of the plans' prefix).
    async fn plan_items_for(
        &self,
        child: &ChildKey,
    ) -> Result<(Vec<PlanProjection>, Vec<AlertState>), StoreError> {
        let items = self
            .table
            .query(
                Index::Table,
                &key::child_pk(child),
                Some(key::PLAN_PREFIX),
                QueryOptions::default(),
            )
            .await?;
        let mut plans = Vec::new();
        let mut states = Vec::new();
        for i in items {
            match super::alert_state::decode(&i) {
                Some(s) => states.push(s),
                None => plans.push(serde_dynamo::from_item::<_, ProjectionItem>(i)?.projection),
            }
        }
        Ok((plans, states))
    }
}
