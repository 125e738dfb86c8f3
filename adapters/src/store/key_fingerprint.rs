//! The fingerprint of the child key the data is written under (`cpindex::KeyFingerprint`): one
//! item, claimed by the first function to start on an empty table and compared by every later
//! one. A key that does not match is a configuration fault, never a quiet "no plan".

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::error::StoreError;
use super::table::{Condition, Table};
use cpindex::keys::{attr, key, Entity};
use cpindex::KeyFingerprint;

/// What the comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// The data was written under this key.
    Matches,
    /// No key was recorded (an empty table): this one now is.
    Claimed,
    /// The data was written under another key: `stored` names it.
    Mismatch { stored: KeyFingerprint },
}

/// The fingerprint item.
#[derive(Debug, Clone)]
pub struct KeyFingerprintStore {
    table: Table,
}

impl KeyFingerprintStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Compares `ours` with the recorded fingerprint, recording ours if there is none.
    pub async fn check(&self, ours: &KeyFingerprint) -> Result<KeyCheck, StoreError> {
        if let Some(stored) = self.stored().await? {
            return Ok(compare(ours, stored));
        }
        let item = HashMap::from([
            (
                attr::PK.to_owned(),
                AttributeValue::S(key::KEY_FINGERPRINT_PK.into()),
            ),
            (
                attr::SK.to_owned(),
                AttributeValue::S(key::KEY_FINGERPRINT_SK.into()),
            ),
            (
                attr::ENTITY.to_owned(),
                AttributeValue::S(Entity::KeyFingerprint.as_str().into()),
            ),
            ("keyId".to_owned(), AttributeValue::S(ours.key_id.clone())),
            ("canary".to_owned(), AttributeValue::S(ours.canary.clone())),
        ]);
        let first = Condition::new("attribute_not_exists(#pk)").name("#pk", attr::PK);
        match self.table.put(item, Some(first)).await {
            Ok(_) => Ok(KeyCheck::Claimed),
            // Another function claimed it first: compare with what it recorded.
            Err(StoreError::ConditionFailed { .. }) => match self.stored().await? {
                Some(stored) => Ok(compare(ours, stored)),
                None => Err(StoreError::Limit(
                    "the key fingerprint vanished while claimed",
                )),
            },
            Err(e) => Err(e),
        }
    }

    async fn stored(&self) -> Result<Option<KeyFingerprint>, StoreError> {
        let Some(item) = self
            .table
            .get(key::KEY_FINGERPRINT_PK, key::KEY_FINGERPRINT_SK, true)
            .await?
        else {
            return Ok(None);
        };
        let text = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .ok_or_else(|| {
                    StoreError::Mapping(format!("the key fingerprint has no {name}").into())
                })
        };
        Ok(Some(KeyFingerprint {
            key_id: text("keyId")?,
            canary: text("canary")?,
        }))
    }
}

/// The canary decides: the same secret under another id keys every child the same way.
fn compare(ours: &KeyFingerprint, stored: KeyFingerprint) -> KeyCheck {
    if stored.canary == ours.canary {
        KeyCheck::Matches
    } else {
        KeyCheck::Mismatch { stored }
    }
}
