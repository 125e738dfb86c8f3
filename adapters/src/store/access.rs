//! Access records in the child's partition: the audit trail, the visit list, and the pending
//! marker reconciliation uses to re-drive alerts whose fan-out never confirmed.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::access::Access;
use cpindex::child_key::ChildKey;
use cpindex::keys::{attr, keep, key, Entity};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    access: Access,
    /// Set by fan-out: whether the child had an active plan when the alert was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan_found: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    expires_at: i64,
}

/// The sort key of an access: visits (alerting accesses) and other accesses sort apart, so the
/// visit list is one bounded query.
pub fn access_sort_key(access: &Access) -> String {
    if access.alerts() {
        key::visit_sk(access.at, &access.access_id)
    } else {
        key::access_sk(access.at, &access.access_id)
    }
}

/// The access-record port over DynamoDB.
#[derive(Debug, Clone)]
pub struct AccessStore {
    table: Table,
}

impl AccessStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Records an access (idempotent: the same access id twice is one record). An alerting
    /// access is written pending, listed in GSI1 until fan-out confirms it.
    pub async fn record(&self, access: &Access) -> Result<(), StoreError> {
        let pending = access.alerts();
        let item = AccessItem {
            pk: key::child_pk(&access.child),
            sk: access_sort_key(access),
            entity: Entity::Access.as_str().into(),
            access: access.clone(),
            plan_found: None,
            gsi1pk: pending.then(|| key::PENDING_ACCESSES_GSI.to_owned()),
            gsi1sk: pending
                .then(|| format!("{}#{}", key::sortable_time(access.at), access.access_id)),
            expires_at: (access.at + Duration::days(keep::ACCESS_DAYS)).timestamp(),
        };
        match self
            .table
            .put(serde_dynamo::to_item(item)?, Some(Condition::not_exists()))
            .await
        {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The most recent visits to a child (newest first), excluding those fan-out found had no
    /// plan at the time.
    pub async fn recent_visits(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        let opts = QueryOptions {
            ascending: false,
            limit: Some(limit),
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(
                Index::Table,
                &key::child_pk(child),
                Some(key::VISIT_PREFIX),
                opts,
            )
            .await?;
        let mut visits = Vec::with_capacity(items.len());
        for item in items {
            let a: AccessItem = serde_dynamo::from_item(item)?;
            if a.plan_found != Some(false) {
                visits.push(a.access);
            }
        }
        Ok(visits)
    }

    /// Every access to a child (visits, silent reads, denials), newest first, at most `limit`.
    pub async fn history(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<(Access, Option<bool>)>, StoreError> {
        let opts = QueryOptions {
            ascending: false,
            limit: Some(limit),
            ..QueryOptions::default()
        };
        let pk = key::child_pk(child);
        let (visits, others) = tokio::join!(
            self.table
                .query(Index::Table, &pk, Some(key::VISIT_PREFIX), opts),
            self.table
                .query(Index::Table, &pk, Some(key::ACCESS_PREFIX), opts),
        );
        let mut all = Vec::new();
        for item in visits?.into_iter().chain(others?) {
            let a: AccessItem = serde_dynamo::from_item(item)?;
            all.push((a.access, a.plan_found));
        }
        all.sort_by_key(|a| std::cmp::Reverse(a.0.at));
        all.truncate(limit);
        Ok(all)
    }

    /// Marks an access as fanned out: no longer pending; records whether a plan was found.
    pub async fn confirm(&self, access: &Access, plan_found: bool) -> Result<(), StoreError> {
        let update = Condition::new("SET #pf = :pf REMOVE #g1pk, #g1sk")
            .name("#pf", "planFound")
            .name("#g1pk", attr::GSI1_PK)
            .name("#g1sk", attr::GSI1_SK)
            .value(":pf", AttributeValue::Bool(plan_found));
        self.table
            .update(
                &key::child_pk(&access.child),
                &access_sort_key(access),
                update,
                None,
            )
            .await
            .map(|_| ())
    }

    /// Accesses still pending fan-out that were made before `before` (oldest first).
    pub async fn pending_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        let opts = QueryOptions {
            limit: Some(limit),
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(Index::Gsi1, key::PENDING_ACCESSES_GSI, None, opts)
            .await?;
        let mut out = Vec::new();
        for item in items {
            let a: AccessItem = serde_dynamo::from_item(item)?;
            if a.access.at < before {
                out.push(a.access);
            }
        }
        Ok(out)
    }
}
