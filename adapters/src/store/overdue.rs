//! Alerts waiting for their acknowledgement deadline, and those past it (`cpindex::overdue`).
//! Fan-out puts an alert in the waiting partition; reconciliation's step reads what has waited
//! long enough and, for an alert still unacknowledged, marks it overdue, writes its
//! `alert_overdue` notification and lists it as open, in one transaction (so exactly one step
//! escalates it, however often it is tried); the LA's acknowledgement closes it.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::notifications::notification_item;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::notification::Notification;
use cpindex::org::OrgCode;
use cpindex::overdue::OverdueAlert;

/// Most waiting alerts one step reads (the rest wait for the next step).
pub const WAITING_READ: usize = 1000;

/// An alert waiting for its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    pub la: OrgCode,
    pub notification_id: String,
    pub seen_at: DateTime<Utc>,
    /// When it is next looked at (its key): first after the shortest window any LA can have,
    /// then at its own LA's deadline. So a step reads only what may be due, however long
    /// other LAs' windows are.
    pub check_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WaitingItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    #[serde(flatten)]
    waiting: Waiting,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OverdueItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    #[serde(flatten)]
    alert: OverdueAlert,
}

/// Whether this call escalated the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalated {
    Now,
    /// Acknowledged, already overdue, or gone: nothing written.
    Not,
}

/// Waiting and overdue alerts over DynamoDB.
#[derive(Debug, Clone)]
pub struct OverdueStore {
    table: Table,
}

impl OverdueStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// `n` waits for its deadline (idempotent: a redelivery writes the same item).
    pub async fn wait(&self, n: &Notification) -> Result<(), StoreError> {
        self.put(&Waiting {
            la: n.la.clone(),
            notification_id: n.notification_id.clone(),
            seen_at: n.seen_at,
            check_at: n.seen_at + cpindex::overdue::shortest(),
        })
        .await
    }

    async fn put(&self, w: &Waiting) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(WaitingItem {
            pk: key::ALERT_DUE_PK.into(),
            sk: key::alert_due_sk(w.check_at, &w.notification_id),
            entity: Entity::AlertDue.as_str().into(),
            expires_at: (w.seen_at + Duration::days(keep::NOTIFICATION_DAYS)).timestamp(),
            waiting: w.clone(),
        })?;
        self.table.put(item, None).await.map(|_| ())
    }

    /// `w` is not due yet: it is looked at again at `deadline` (written there first, so a step
    /// that dies between the two writes leaves it waiting twice, never not at all).
    pub async fn postpone(&self, w: &Waiting, deadline: DateTime<Utc>) -> Result<(), StoreError> {
        let later = Waiting {
            check_at: deadline,
            ..w.clone()
        };
        self.put(&later).await?;
        self.done_waiting(w).await
    }

    /// Alerts to look at up to `until`, oldest first (at most [`WAITING_READ`]).
    pub async fn waiting_until(&self, until: DateTime<Utc>) -> Result<Vec<Waiting>, StoreError> {
        let opts = QueryOptions {
            limit: Some(WAITING_READ),
            ..QueryOptions::default()
        };
        // Every sortable time begins with a digit, and `~` sorts after every id.
        let hi = format!("{}#~", key::sortable_time(until));
        let items = self
            .table
            .query_between(key::ALERT_DUE_PK, "0", &hi, opts)
            .await?;
        items
            .into_iter()
            .map(|i| Ok(serde_dynamo::from_item::<_, WaitingItem>(i)?.waiting))
            .collect()
    }

    /// The alert no longer waits (checked after its deadline).
    pub async fn done_waiting(&self, w: &Waiting) -> Result<(), StoreError> {
        self.table
            .delete(
                key::ALERT_DUE_PK,
                &key::alert_due_sk(w.check_at, &w.notification_id),
                None,
            )
            .await
    }

    /// Marks `original` overdue at `alert.overdue_at`, writes `note` (its `alert_overdue`
    /// notification) and lists `alert` as open: all or none, and only while `original` is
    /// neither acknowledged nor already overdue.
    pub async fn escalate(
        &self,
        original: &Notification,
        note: &Notification,
        alert: &OverdueAlert,
    ) -> Result<Escalated, StoreError> {
        let mark = Condition::new("SET #o = :o")
            .name("#o", "overdueAt")
            .value(":o", AttributeValue::S(alert.overdue_at.to_rfc3339()));
        let open = Condition::new(
            "attribute_exists(#pk) AND attribute_not_exists(#ack) AND attribute_not_exists(#o)",
        )
        .name("#pk", attr::PK)
        .name("#ack", "acknowledgedAt")
        .name("#o", "overdueAt");
        let listed = serde_dynamo::to_item(OverdueItem {
            pk: key::OVERDUE_PK.into(),
            sk: key::overdue_sk(&alert.la, &alert.notification_id),
            entity: Entity::OverdueAlert.as_str().into(),
            expires_at: (alert.seen_at + Duration::days(keep::NOTIFICATION_DAYS)).timestamp(),
            alert: alert.clone(),
        })?;
        let items = vec![
            self.table.transact_update(
                &key::notification_pk(&original.notification_id),
                key::CURRENT,
                mark,
                open,
            )?,
            self.table
                .transact_put(notification_item(note)?, Some(Condition::not_exists()))?,
            self.table.transact_put(listed, None)?,
        ];
        match self.table.transact(items).await {
            Ok(()) => Ok(Escalated::Now),
            Err(StoreError::TransactionCancelled { .. }) => Ok(Escalated::Not),
            Err(e) => Err(e),
        }
    }

    /// Every open overdue alert, by LA.
    pub async fn open(&self) -> Result<Vec<OverdueAlert>, StoreError> {
        self.read(None).await
    }

    /// One LA's open overdue alerts.
    pub async fn open_for(&self, la: &OrgCode) -> Result<Vec<OverdueAlert>, StoreError> {
        self.read(Some(&key::overdue_prefix(la))).await
    }

    async fn read(&self, prefix: Option<&str>) -> Result<Vec<OverdueAlert>, StoreError> {
        let items = self
            .table
            .query(
                Index::Table,
                key::OVERDUE_PK,
                prefix,
                QueryOptions::default(),
            )
            .await?;
        items
            .into_iter()
            .map(|i| Ok(serde_dynamo::from_item::<_, OverdueItem>(i)?.alert))
            .collect()
    }

    /// The LA acknowledged the overdue alert `notification_id`: it is no longer open.
    pub async fn closed(&self, la: &OrgCode, notification_id: &str) -> Result<(), StoreError> {
        self.table
            .delete(key::OVERDUE_PK, &key::overdue_sk(la, notification_id), None)
            .await
    }
}
