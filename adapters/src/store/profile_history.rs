//! Each LA profile's history: a change is written in one transaction with the profile itself
//! and the LA's inbox note, so no profile changes without its record and its notice.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::notifications::{notification_item, profile_item};
use super::table::{Index, QueryOptions, Table};
use cpindex::keys::{keep, key, Entity};
use cpindex::notification::Notification;
use cpindex::org::OrgCode;
use cpindex::profile::LaProfile;
use cpindex::profile_change::ProfileChange;

/// Changes listed at most (newest first).
pub const HISTORY_LIMIT: usize = 100;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    #[serde(flatten)]
    change: ProfileChange,
}

/// Profiles with their history.
#[derive(Debug, Clone)]
pub struct ProfileHistory {
    table: Table,
}

impl ProfileHistory {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Writes `profile`; with a `change`, also its record and the LA's inbox note, all or none.
    pub async fn save(
        &self,
        profile: &LaProfile,
        change: Option<&ProfileChange>,
    ) -> Result<(), StoreError> {
        let Some(change) = change else {
            return self
                .table
                .put(profile_item(profile)?, None)
                .await
                .map(|_| ());
        };
        let record = serde_dynamo::to_item(ChangeItem {
            pk: key::profile_pk(&change.org),
            sk: key::profile_change_sk(change.at, &change.change_id),
            entity: Entity::ProfileChange.as_str().into(),
            expires_at: (change.at + Duration::days(keep::PROFILE_CHANGE_DAYS)).timestamp(),
            change: change.clone(),
        })?;
        let note = notification_item(&Notification::profile_changed(change))?;
        self.table
            .transact(vec![
                self.table.transact_put(profile_item(profile)?, None)?,
                self.table.transact_put(record, None)?,
                self.table.transact_put(note, None)?,
            ])
            .await
    }

    /// `org`'s changes, newest first (at most [`HISTORY_LIMIT`]).
    pub async fn changes(&self, org: &OrgCode) -> Result<Vec<ProfileChange>, StoreError> {
        let opts = QueryOptions {
            ascending: false,
            limit: Some(HISTORY_LIMIT),
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(
                Index::Table,
                &key::profile_pk(org),
                Some(key::PROFILE_CHANGE_PREFIX),
                opts,
            )
            .await?;
        items
            .into_iter()
            .map(|i| Ok(serde_dynamo::from_item::<_, ChangeItem>(i)?.change))
            .collect()
    }
}
