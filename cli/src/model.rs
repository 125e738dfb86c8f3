//! The API's answers as the CLI reads them. Lenient on purpose: unknown fields are ignored, so a
//! newer API does not break an older CLI.

use serde::{Deserialize, Serialize};

/// A problem-details body (`application/problem+json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub current_version: Option<u64>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub file_outcome: Option<String>,
}

/// Counts of a batch acknowledgement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub moved: u64,
    pub stale: u64,
    pub rejected: u64,
    #[serde(default)]
    pub failed: u64,
}

impl Counts {
    /// Records the index now holds as sent.
    pub fn loaded(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.moved
    }

    pub fn add(&mut self, other: &Counts) {
        self.received += other.received;
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.moved += other.moved;
        self.stale += other.stale;
        self.rejected += other.rejected;
        self.failed += other.failed;
    }
}

/// One record's outcome in an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAck {
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    pub outcome: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

/// Outcomes that mean the index holds the record as sent.
pub const LOADED_OUTCOMES: &[&str] = &["created", "updated", "unchanged", "moved"];

impl RecordAck {
    pub fn loaded(&self) -> bool {
        LOADED_OUTCOMES.contains(&self.outcome.as_str())
    }
}

/// The acknowledgement of one `POST /v1/plan-batches`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAck {
    pub batch_id: String,
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract_id: Option<String>,
    pub file_outcome: String,
    pub file_code: String,
    pub counts: Counts,
    pub records: Vec<RecordAck>,
}

/// The responsible LA as a clinician sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaContact {
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    pub team: String,
    #[serde(default)]
    pub office_hours_phone: Option<String>,
    pub emergency_duty_phone: String,
}

/// One plan in a lookup answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildPlan {
    pub plan_type: String,
    #[serde(default)]
    pub national_code: Option<String>,
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub expected_due_date: Option<String>,
    pub status: String,
    pub responsible_la: LaContact,
}

/// One unscheduled-care visit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    pub at: String,
    pub setting_code: String,
    #[serde(default)]
    pub setting_name: Option<String>,
}

/// The answer of `GET /v1/children/{nhsNumber}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildView {
    pub access_id: String,
    pub nhs_number: String,
    pub has_plan: bool,
    pub plans: Vec<ChildPlan>,
    pub visits: Vec<Visit>,
}

/// An alert to an LA that a child was seen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    #[serde(default)]
    pub access_id: Option<String>,
    pub nhs_number: String,
    pub seen_at: String,
    pub setting_code: String,
    #[serde(default)]
    pub setting_name: Option<String>,
    /// The responsible LA's plan types for the child at the time (`CPP`, `LAC`, `UCPP`).
    #[serde(default)]
    pub plan_types: Vec<String>,
    /// Delivery: `pending`, `delivered` (webhook), `inbox` (no webhook), `failed`.
    pub status: String,
    #[serde(default)]
    pub acknowledged_at: Option<String>,
    #[serde(default)]
    pub acknowledged_by: Option<String>,
}

/// One page of `GET /v1/notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}
