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
    BatchAck, ChildSearchAnswer, ChildView, Counts, NotificationList as NotificationPage,
    PlanSummary as ChildPlan, RecordAck, RecordOutcome, ResponsibleLa, ShownStatus,
};
pub use cpindex::notification::Notification;

/// `GET /v1/indicators` as the CLI reads it (the figures are the API's own `Shown` values).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Indicators {
    pub scope: String,
    pub weeks: Vec<String>,
    pub las_compared: usize,
    pub indicators: Vec<IndicatorSeries>,
}

/// One indicator over the weeks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndicatorSeries {
    pub key: String,
    pub label: String,
    pub unit: String,
    pub values: Vec<Option<cpindex::disclosure::Shown>>,
    pub national_median: Vec<Option<cpindex::disclosure::Shown>>,
}
