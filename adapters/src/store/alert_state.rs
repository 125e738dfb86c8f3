//! The last alert to each LA about a child, kept in the child's partition beside the plans
//! (`cpindex::alert_state`): fan-out marks it when it alerts, the inbox when the LA acknowledges,
//! and the lookup reads it with the plans.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::table::{Condition, Table};
use cpindex::alert_state::AlertState;
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::org::OrgCode;
use cpindex::ChildKey;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateItem {
    entity: String,
    #[serde(flatten)]
    state: AlertState,
}

/// An alert state from an item of the child's partition (none for any other kind of item).
pub(crate) fn decode(item: &super::Item) -> Option<AlertState> {
    let is_state = item.get(attr::ENTITY).and_then(|v| v.as_s().ok())
        == Some(&Entity::AlertState.as_str().to_owned());
    is_state
        .then(|| serde_dynamo::from_item::<_, StateItem>(item.clone()).ok())
        .flatten()
        .map(|i| i.state)
}

/// A time to the nanosecond, fixed width (so times compare as text, and a clinician is shown
/// the access's own time).
fn exact(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Alert states over DynamoDB.
#[derive(Debug, Clone)]
pub struct AlertStates {
    table: Table,
}

impl AlertStates {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// `la` was alerted about `child` (seen at `at`) by `notification_id`. A redelivery of the
    /// same alert, or an older one arriving late, changes nothing (an acknowledgement stays).
    pub async fn alerted(
        &self,
        child: &ChildKey,
        la: &OrgCode,
        notification_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let expires = at + Duration::days(keep::NOTIFICATION_DAYS);
        let update = Condition::new(
            "SET #entity = :entity, #la = :la, #at = :at, #id = :id, #expires = :expires REMOVE #ack",
        )
        .name("#entity", attr::ENTITY)
        .name("#la", "la")
        .name("#at", "lastAlertedAt")
        .name("#id", "notificationId")
        .name("#expires", attr::EXPIRES_AT)
        .name("#ack", "acknowledgedAt")
        .value(":entity", AttributeValue::S(Entity::AlertState.as_str().into()))
        .value(":la", AttributeValue::S(la.as_str().into()))
        .value(":at", AttributeValue::S(exact(at)))
        .value(":id", AttributeValue::S(notification_id.into()))
        .value(":expires", AttributeValue::N(expires.timestamp().to_string()));
        let newer = Condition::new("attribute_not_exists(#id) OR (#id <> :id AND #at <= :at)");
        self.update_if(child, la, update, newer).await
    }

    /// `la` acknowledged the alert `notification_id` about `child` at `at`; nothing if a later
    /// alert has replaced it meanwhile.
    pub async fn acknowledged(
        &self,
        child: &ChildKey,
        la: &OrgCode,
        notification_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let update = Condition::new("SET #ack = :ack")
            .name("#ack", "acknowledgedAt")
            .value(":ack", AttributeValue::S(exact(at)));
        let same = Condition::new("#id = :id")
            .name("#id", "notificationId")
            .value(":id", AttributeValue::S(notification_id.into()));
        self.update_if(child, la, update, same).await
    }

    /// Updates `la`'s state on `child` when `condition` holds; when it does not, a newer alert
    /// already stands and nothing is to be done.
    async fn update_if(
        &self,
        child: &ChildKey,
        la: &OrgCode,
        update: Condition,
        condition: Condition,
    ) -> Result<(), StoreError> {
        match self
            .table
            .update(
                &key::child_pk(child),
                &key::alert_state_sk(la),
                update,
                Some(condition),
            )
            .await
        {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
