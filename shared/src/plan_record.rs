//! An LA's plan as the index holds it: the authoritative record (addressed by the LA's own
//! reference) and the projection a lookup reads from the child's partition. The adapter maps
//! both to and from items; nothing here knows how they are stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::child_key::ChildKey;
use crate::nhs_number::NhsNumber;
use crate::org::OrgCode;
use crate::plan::{Plan, PlanRef};

/// Whether a plan is in force as far as the LA is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanState {
    /// Shown to clinicians (as active or ended, by its dates).
    Live,
    /// Uploaded in error and withdrawn by the LA: never shown; the record is kept for audit.
    Withdrawn,
    /// Projection left behind when the plan moved to another NHS number: never shown.
    Moved,
}

/// The authoritative record of an LA's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRecord {
    pub org: OrgCode,
    pub plan_ref: PlanRef,
    pub nhs_number: NhsNumber,
    /// The child's key (the partition the projection and the child's accesses live in).
    pub child: ChildKey,
    pub source_version: u64,
    pub state: PlanState,
    pub plan: Plan,
    /// The key of the child the plan was last moved from (repairs a move interrupted mid-way).
    /// Only the key: the number moved from may be a child with no plan at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<ChildKey>,
    /// When this LA first recorded a plan under this reference for this child (reset by a move
    /// to another NHS number): the LA sees accesses to the child from then on, never before,
    /// whatever start date the plan claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_recorded_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// The child keys the plan was held under before its current one, newest first: the LA's
    /// history reads accesses in each window (an access while the plan sat on a mistyped
    /// number is an incident the LA must see; an access before a key rotation is still the
    /// child's). At most [`EARLIER_KEYS_KEPT`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_keys: Vec<EarlierKey>,
    /// When the index, putting this plan on its child, found another LA's plan there (and told
    /// that LA): the nightly pass counts children held by two or more LAs from the records that
    /// carry it, reading only those children's partitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_since: Option<DateTime<Utc>>,
}

/// Why a plan left a child key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyChange {
    /// The LA corrected the NHS number: the old key is another child's.
    Corrected,
    /// The child key secret was rotated: the old key is the same child's.
    Rekeyed,
}

/// A child key a plan was held under, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlierKey {
    pub child: ChildKey,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub why: KeyChange,
}

/// Earlier keys a record keeps: a bound on the item, far above any real record's corrections.
pub const EARLIER_KEYS_KEPT: usize = 8;

impl PlanRecord {
    /// What a new version (`self`) takes over from the record it replaces: when the plan was
    /// first held (the same child, still held), and the keys it was held under before.
    pub fn carry_over(&mut self, old: &PlanRecord, now: DateTime<Utc>) {
        let same_child = old.nhs_number == self.nhs_number;
        self.earlier_keys = old.earlier_keys.clone();
        if old.child != self.child {
            self.moved_from = Some(old.child.clone());
            let until = if old.state == PlanState::Live {
                now
            } else {
                old.updated_at
            };
            self.earlier_keys.insert(
                0,
                EarlierKey {
                    child: old.child.clone(),
                    from: old.held_since(),
                    until,
                    why: if same_child {
                        KeyChange::Rekeyed
                    } else {
                        KeyChange::Corrected
                    },
                },
            );
            self.earlier_keys.truncate(EARLIER_KEYS_KEPT);
        }
        if same_child && old.state == PlanState::Live {
            // A withdrawn plan recorded again starts afresh: the LA held nothing meanwhile.
            self.first_recorded_at = Some(old.held_since());
            self.shared_since = old.shared_since;
        }
    }

    /// Since when the LA may see accesses to the child of this plan (records written before
    /// the first-recorded time was kept: their last update).
    pub fn held_since(&self) -> DateTime<Utc> {
        self.first_recorded_at.unwrap_or(self.updated_at)
    }
}

/// A plan as a lookup reads it from the child's partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanProjection {
    pub org: OrgCode,
    pub plan_ref: PlanRef,
    pub source_version: u64,
    pub state: PlanState,
    /// The plan, for a live projection. A tombstone (withdrawn, or moved to another NHS number)
    /// keeps only what ordering needs (who, which reference, which version): nothing about the
    /// child, and never the number it moved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Since when the LA has held the plan for this child ([`PlanRecord::held_since`]): accesses
    /// before it are not shown as visits, nor alerted, on this plan's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_since: Option<DateTime<Utc>>,
}

impl PlanProjection {
    /// The plan, when this projection is live: not withdrawn, not moved, and not ended as
    /// recorded in error (which, like a withdrawal, no clinician sees and alerts no one).
    pub fn live_plan(&self) -> Option<&Plan> {
        self.plan.as_ref().filter(|p| {
            self.state == PlanState::Live
                && p.end_reason != Some(crate::plan::EndReason::RecordedInError)
        })
    }
}
