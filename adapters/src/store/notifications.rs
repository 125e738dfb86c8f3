//! Notifications and LA profiles in the table.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::size::at_most;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::notification::{DeliveryStatus, Notification, Struck, MAX_LATER_VIEWS};
use cpindex::org::OrgCode;
use cpindex::profile::LaProfile;
use cpindex::{ChildKey, NhsNumber};

/// Longest delivery error kept on a notification (ours are a status code or `timeout`; the cap
/// keeps the item and the reports that quote it bounded whatever an error says).
pub const MAX_ERROR_BYTES: usize = 64;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    entity: String,
    #[serde(flatten)]
    notification: Notification,
    expires_at: i64,
    /// The child key of an alert (never served): where the acknowledgement is marked for the
    /// clinicians who look the child up next (`cpindex::alert_state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    child: Option<ChildKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    entity: String,
    #[serde(flatten)]
    profile: LaProfile,
}

/// Whether a create made something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    AlreadyThere,
}

/// A page of an LA's notifications, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// Continue after this GSI sort key.
    pub next: Option<String>,
}

/// Notifications and profiles over DynamoDB.
#[derive(Debug, Clone)]
pub struct NotificationStore {
    table: Table,
}

/// A notification as stored.
pub(crate) fn notification_item(n: &Notification) -> Result<super::Item, StoreError> {
    Ok(serde_dynamo::to_item(NotificationItem {
        pk: key::notification_pk(&n.notification_id),
        sk: key::CURRENT.into(),
        gsi1pk: key::org_notifications_gsi(&n.la),
        gsi1sk: format!("{}#{}", key::sortable_time(n.seen_at), n.notification_id),
        entity: Entity::Notification.as_str().into(),
        notification: n.clone(),
        expires_at: (n.created_at + Duration::days(keep::NOTIFICATION_DAYS)).timestamp(),
        child: None,
    })?)
}

/// A profile as stored.
pub(crate) fn profile_item(profile: &LaProfile) -> Result<super::Item, StoreError> {
    Ok(serde_dynamo::to_item(ProfileItem {
        pk: key::profile_pk(&profile.org),
        sk: key::CURRENT.into(),
        gsi1pk: key::PROFILES_GSI.into(),
        gsi1sk: profile.org.as_str().into(),
        entity: Entity::LaProfile.as_str().into(),
        profile: profile.clone(),
    })?)
}

pub(crate) fn decode(item: super::Item) -> Result<Notification, StoreError> {
    Ok(serde_dynamo::from_item::<_, NotificationItem>(item)?.notification)
}

impl NotificationStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Creates a notification unless one with its (deterministic) id exists.
    pub async fn create(&self, n: &Notification) -> Result<Created, StoreError> {
        self.create_about(n, None).await
    }

    /// As [`Self::create`], keeping the child key of an alert with it.
    pub async fn create_about(
        &self,
        n: &Notification,
        child: Option<&ChildKey>,
    ) -> Result<Created, StoreError> {
        let mut item = notification_item(n)?;
        if let Some(child) = child {
            item.insert("child".into(), AttributeValue::S(child.as_str().into()));
        }
        match self.table.put(item, Some(Condition::not_exists())).await {
            Ok(_) => Ok(Created::New),
            Err(StoreError::ConditionFailed { .. }) => Ok(Created::AlreadyThere),
            Err(e) => Err(e),
        }
    }

    /// The child key kept with an alert (none for other notifications, or older ones).
    pub async fn alerted_child(&self, id: &str) -> Result<Option<ChildKey>, StoreError> {
        let item = self
            .table
            .get(&key::notification_pk(id), key::CURRENT, false)
            .await?;
        Ok(item
            .and_then(|i| i.get("child").and_then(|v| v.as_s().ok()).cloned())
            .and_then(|raw| ChildKey::parse(&raw).ok()))
    }

    pub async fn get(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        self.table
            .get(&key::notification_pk(id), key::CURRENT, true)
            .await?
            .map(decode)
            .transpose()
    }

    /// Moves a pending notification to a final status. Returns false when it was already final
    /// (a duplicate delivery finishing second changes nothing).
    pub async fn finish(
        &self,
        id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut update = Condition::new("SET #s = :s, #a = :a")
            .name("#s", "status")
            .name("#a", "attempts")
            .value(":s", AttributeValue::S(status.as_str().into()))
            .value(":a", AttributeValue::N(attempts.to_string()));
        if status == DeliveryStatus::Delivered {
            update.expression.push_str(", #d = :d");
            update = update
                .name("#d", "deliveredAt")
                .value(":d", AttributeValue::S(at.to_rfc3339()));
        }
        if let Some(e) = error {
            update.expression.push_str(", #e = :e");
            update = update
                .name("#e", "lastError")
                .value(":e", AttributeValue::S(at_most(e, MAX_ERROR_BYTES)));
        }
        let cond = still_pending();
        self.update_if(id, update, cond).await
    }

    /// Applies `update` when `cond` holds; false when it does not (a domain outcome, not an error).
    async fn update_if(
        &self,
        id: &str,
        update: Condition,
        cond: Condition,
    ) -> Result<bool, StoreError> {
        match self
            .table
            .update(&key::notification_pk(id), key::CURRENT, update, Some(cond))
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records a later view of the same attendance on its notification, once per access (a
    /// redelivered access adds nothing), up to [`MAX_LATER_VIEWS`]. Returns whether it was added.
    pub async fn record_later_view(
        &self,
        id: &str,
        access_id: &str,
        seen_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let update =
            Condition::new("SET #v = list_append(if_not_exists(#v, :empty), :one), #l = :at")
                .name("#v", "laterViews")
                .name("#l", "lastSeenAt")
                .value(":empty", AttributeValue::L(Vec::new()))
                .value(
                    ":one",
                    AttributeValue::L(vec![AttributeValue::S(access_id.into())]),
                )
                .value(":at", AttributeValue::S(key::sortable_time(seen_at)));
        let cond = Condition::new(
            "attribute_exists(#pk) AND (attribute_not_exists(#v) OR (NOT contains(#v, :id) AND size(#v) < :cap))",
        )
        .name("#pk", cpindex::keys::attr::PK)
        .value(":id", AttributeValue::S(access_id.into()))
        .value(":cap", AttributeValue::N(MAX_LATER_VIEWS.to_string()));
        self.update_if(id, update, cond).await
    }

    /// Returns a failed notification to pending (operator re-drive of a dead letter).
    pub async fn reopen(&self, id: &str) -> Result<bool, StoreError> {
        let update = Condition::new("SET #s = :pending")
            .name("#s", "status")
            .value(
                ":pending",
                AttributeValue::S(DeliveryStatus::Pending.as_str().into()),
            );
        let cond = Condition::new("#s = :failed").value(
            ":failed",
            AttributeValue::S(DeliveryStatus::Failed.as_str().into()),
        );
        self.update_if(id, update, cond).await
    }

    /// Records a failed attempt on a pending notification (for operators and the inbox).
    pub async fn attempt_failed(
        &self,
        id: &str,
        attempts: u32,
        error: &str,
    ) -> Result<(), StoreError> {
        let update = Condition::new("SET #a = :a, #e = :e")
            .name("#a", "attempts")
            .name("#e", "lastError")
            .value(":a", AttributeValue::N(attempts.to_string()))
            .value(":e", AttributeValue::S(at_most(error, MAX_ERROR_BYTES)));
        // A notification already final is left as it is.
        self.update_if(id, update, still_pending())
            .await
            .map(|_| ())
    }

    /// Acknowledges an LA's own notification. `None` when it is not this LA's (or does not exist);
    /// otherwise the notification and whether this call acknowledged it (exactly one call does,
    /// however many race: the condition decides).
    pub async fn acknowledge(
        &self,
        la: &OrgCode,
        id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<(Notification, bool)>, StoreError> {
        let Some(current) = self.get(id).await? else {
            return Ok(None);
        };
        if &current.la != la {
            return Ok(None);
        }
        if current.acknowledged_at.is_some() {
            return Ok(Some((current, false)));
        }
        let update = Condition::new("SET #at = :at, #by = :by")
            .name("#at", "acknowledgedAt")
            .name("#by", "acknowledgedBy")
            .value(":at", AttributeValue::S(at.to_rfc3339()))
            .value(":by", AttributeValue::S(by.into()));
        let cond = Condition::new("#la = :la AND attribute_not_exists(#at)")
            .name("#la", "la")
            .value(":la", AttributeValue::S(la.as_str().into()));
        match self
            .table
            .update(&key::notification_pk(id), key::CURRENT, update, Some(cond))
            .await
        {
            Ok(item) => decode(item).map(|n| Some((n, true))),
            // Acknowledged meanwhile by another call.
            Err(StoreError::ConditionFailed { .. }) => Ok(self
                .get(id)
                .await?
                .filter(|n| &n.la == la)
                .map(|n| (n, false))),
            Err(e) => Err(e),
        }
    }

    /// One LA's notifications, newest first, `limit` at a time.
    /// Removes `nhs` from every notification of `la` that names it, marking why: the LA's plan
    /// on that number was corrected to another number or withdrawn. Returns how many changed.
    /// (Reads the LA's notifications through GSI1; corrections and withdrawals are rare.)
    pub async fn strike(
        &self,
        la: &OrgCode,
        nhs: &NhsNumber,
        why: Struck,
    ) -> Result<usize, StoreError> {
        let opts = QueryOptions {
            consistent: false,
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(Index::Gsi1, &key::org_notifications_gsi(la), None, opts)
            .await?;
        let mut struck = 0;
        for item in items {
            let n = decode(item)?;
            if n.nhs_number.as_ref() != Some(nhs) {
                continue;
            }
            let update = Condition::new("REMOVE #nhs SET #struck = :why")
                .name("#nhs", "nhsNumber")
                .name("#struck", "struck")
                .value(":why", AttributeValue::S(why.as_str().into()));
            match self
                .table
                .update(
                    &key::notification_pk(&n.notification_id),
                    key::CURRENT,
                    update,
                    Some(Condition::new("attribute_exists(#pk)").name("#pk", attr::PK)),
                )
                .await
            {
                Ok(_) => struck += 1,
                // Gone meanwhile (its TTL): nothing left to strike.
                Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(struck)
    }

    pub async fn list(
        &self,
        la: &OrgCode,
        unacknowledged_only: bool,
        limit: usize,
        after: Option<&str>,
    ) -> Result<NotificationPage, StoreError> {
        let gsi_pk = key::org_notifications_gsi(la);
        let mut items = Vec::new();
        let mut start = after.map(|sk| {
            let id = sk.rsplit('#').next().unwrap_or_default();
            std::collections::HashMap::from([
                (attr::GSI1_PK.to_owned(), AttributeValue::S(gsi_pk.clone())),
                (attr::GSI1_SK.to_owned(), AttributeValue::S(sk.to_owned())),
                (
                    attr::PK.to_owned(),
                    AttributeValue::S(key::notification_pk(id)),
                ),
                (
                    attr::SK.to_owned(),
                    AttributeValue::S(key::CURRENT.to_owned()),
                ),
            ])
        });
        let opts = QueryOptions {
            consistent: false,
            ascending: false,
            ..QueryOptions::default()
        };
        loop {
            let (page, next) = self
                .table
                .query_page(Index::Gsi1, &gsi_pk, None, opts, Some(limit), start.take())
                .await?;
            for item in page {
                let sk = item.get(attr::GSI1_SK).and_then(|v| v.as_s().ok()).cloned();
                let n = decode(item)?;
                if unacknowledged_only && n.acknowledged_at.is_some() {
                    continue;
                }
                items.push(n);
                if items.len() == limit {
                    return Ok(NotificationPage { items, next: sk });
                }
            }
            match next {
                Some(k) => start = Some(k),
                None => return Ok(NotificationPage { items, next: None }),
            }
        }
    }

    pub async fn put_profile(&self, profile: &LaProfile) -> Result<(), StoreError> {
        self.table
            .put(profile_item(profile)?, None)
            .await
            .map(|_| ())
    }

    /// Every LA profile.
    pub async fn profiles(&self) -> Result<Vec<LaProfile>, StoreError> {
        let items = self
            .table
            .query(
                Index::Gsi1,
                key::PROFILES_GSI,
                None,
                QueryOptions::default(),
            )
            .await?;
        items
            .into_iter()
            .map(|i| Ok(serde_dynamo::from_item::<_, ProfileItem>(i)?.profile))
            .collect()
    }

    pub async fn profile(&self, org: &OrgCode) -> Result<Option<LaProfile>, StoreError> {
        let item = self
            .table
            .get(&key::profile_pk(org), key::CURRENT, true)
            .await?;
        item.map(|i| Ok(serde_dynamo::from_item::<_, ProfileItem>(i)?.profile))
            .transpose()
    }
}

/// The notification exists and is still pending (`#s` names the status attribute).
fn still_pending() -> Condition {
    Condition::new("attribute_exists(#pk) AND #s = :pending")
        .name("#pk", attr::PK)
        .name("#s", "status")
        .value(
            ":pending",
            AttributeValue::S(DeliveryStatus::Pending.as_str().into()),
        )
}
