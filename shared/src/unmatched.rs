//! A plan an LA recorded without an NHS number, as the index holds it (`crate::plan::UnmatchedPlan`
//! is what the LA sent): found only by a demographic search, listed in the LA's reconciliation
//! report and counted in the indicators until the LA sends the number, when it becomes an
//! ordinary plan and this record is kept as matched (who sent the number, when).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::org::OrgCode;
use crate::plan::UnmatchedPlan;

/// Where an unmatched record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmatchedState {
    /// No NHS number yet: found by demographic search.
    Unmatched,
    /// The LA sent the NHS number: the plan record is the authority from then on.
    Matched,
    /// Withdrawn by the LA (recorded in error): found by nobody.
    Withdrawn,
}

impl UnmatchedState {
    /// As stored and shown (`state`, `matching`).
    pub fn as_str(self) -> &'static str {
        match self {
            UnmatchedState::Unmatched => "unmatched",
            UnmatchedState::Matched => "matched",
            UnmatchedState::Withdrawn => "withdrawn",
        }
    }
}

/// The stored record of an unmatched plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedRecord {
    pub org: OrgCode,
    pub state: UnmatchedState,
    #[serde(flatten)]
    pub plan: UnmatchedPlan,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// When the LA sent the NHS number (state `matched`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_is_stored_as_it_serialises() {
        for s in [
            UnmatchedState::Unmatched,
            UnmatchedState::Matched,
            UnmatchedState::Withdrawn,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
