//! Whether the LA knows: per child and responsible LA, when the LA was last alerted about the
//! child and whether (and when) that alert was acknowledged. Kept in the child's partition beside
//! the plans, so the lookup reads it with them (no request more), and shown to the clinician
//! without saying who acknowledged: a clinician at 3 a.m. decides whether to phone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::org::OrgCode;

/// The last alert to one LA about one child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertState {
    pub la: OrgCode,
    /// When the child was seen in the attendance last alerted.
    pub last_alerted_at: DateTime<Utc>,
    /// That alert's notification.
    pub notification_id: String,
    /// When the LA acknowledged it (never by whom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// What a clinician is shown of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaAlerted {
    pub last_alerted_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl From<&AlertState> for LaAlerted {
    fn from(s: &AlertState) -> Self {
        Self {
            last_alerted_at: s.last_alerted_at,
            acknowledged_at: s.acknowledged_at,
        }
    }
}
