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
}

impl PlanRecord {
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
    /// The plan, when this projection is live.
    pub fn live_plan(&self) -> Option<&Plan> {
        self.plan.as_ref().filter(|_| self.state == PlanState::Live)
    }
}
