//! The child key state (`cpindex::KeyState`): one item, claimed by the first function to start
//! on an empty table, followed by every function that holds the secret, and changed only by an
//! operator's rotation step, each change conditional on the revision it read.

use super::error::StoreError;
use super::table::{Condition, Table};
use aws_sdk_dynamodb::types::AttributeValue;
use cpindex::keys::{key, Entity};
use cpindex::{KeyFingerprint, KeyState};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    state: KeyState,
}

/// The key state item.
#[derive(Debug, Clone)]
pub struct KeyStateStore {
    table: Table,
}

impl KeyStateStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// The stored state, or (on an empty table) a new one under `first`, recorded.
    pub async fn load_or_claim(&self, first: &KeyFingerprint) -> Result<KeyState, StoreError> {
        if let Some(state) = self.load().await? {
            return Ok(state);
        }
        let claimed = KeyState::new(first.clone());
        let first_writer = Condition::not_exists();
        match self
            .table
            .put(Self::item(&claimed)?, Some(first_writer))
            .await
        {
            Ok(_) => Ok(claimed),
            // Another function claimed it first: follow what it recorded.
            Err(StoreError::ConditionFailed { .. }) => self
                .load()
                .await?
                .ok_or(StoreError::Limit("the key state vanished while claimed")),
            Err(e) => Err(e),
        }
    }

    /// The stored state (strongly consistent: a switch must be seen as soon as it is made).
    pub async fn load(&self) -> Result<Option<KeyState>, StoreError> {
        let item = self
            .table
            .get(key::KEY_FINGERPRINT_PK, key::KEY_FINGERPRINT_SK, true)
            .await?;
        Ok(item
            .map(serde_dynamo::from_item::<_, StateItem>)
            .transpose()?
            .map(|i| i.state))
    }

    /// Replaces `read` (as loaded) by `next`; `ConditionFailed` when someone changed it since.
    pub async fn replace(&self, read: &KeyState, next: &KeyState) -> Result<(), StoreError> {
        // A state recorded before revisions were kept has none: it counts as revision 0.
        let unchanged = Condition::new("attribute_not_exists(#r) OR #r = :r")
            .name("#r", "revision")
            .value(":r", AttributeValue::N(read.revision.to_string()));
        self.table.put(Self::item(next)?, Some(unchanged)).await?;
        Ok(())
    }

    fn item(state: &KeyState) -> Result<super::error::Item, StoreError> {
        let item = StateItem {
            pk: key::KEY_FINGERPRINT_PK.to_owned(),
            sk: key::KEY_FINGERPRINT_SK.to_owned(),
            entity: Entity::KeyFingerprint.as_str().to_owned(),
            state: state.clone(),
        };
        Ok(serde_dynamo::to_item(item)?)
    }
}
