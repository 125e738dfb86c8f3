//! The API's answers as the CLI reads them: the API's own definitions (`cpindex::answers`, which
//! ignore fields they do not know, so a newer API does not break an older CLI), and a lenient
//! reader for problems (any code, and API Gateway's own error answers too).

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

pub use cpindex::access::Visit;
pub use cpindex::answers::{
    BatchAck, ChildView, Counts, NotificationList as NotificationPage, PlanSummary as ChildPlan,
    RecordAck, RecordOutcome, ResponsibleLa, ShownStatus,
};
pub use cpindex::notification::Notification;
