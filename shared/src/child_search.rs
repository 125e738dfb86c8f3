//! A clinician's demographic search as the index records and acts on it: the audit record kept
//! under the search's keys, which plans it may name, and what fan-out is handed when an
//! unscheduled-care search matches (`crate::demographics` holds the keying).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::answers::{SearchOutcome, ShownStatus};
use crate::claims::{Claims, Role, SettingType, UserId};
use crate::demographics::{DemographicKey, MatchKind};
use crate::org::OrgCode;
use crate::plan::{EndReason, PlanRef, PlanStatus, PlanType, Retention};
use crate::plan_record::{PlanRecord, PlanState};
use crate::unmatched::{UnmatchedRecord, UnmatchedState};

/// Who searched, and when: what the audit record and an alert say of the search (never what
/// was typed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Searcher {
    pub search_id: String,
    pub at: DateTime<Utc>,
    pub user: UserId,
    pub role: Role,
    pub org: OrgCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_type: Option<SettingType>,
}

impl Searcher {
    pub fn new(caller: &Claims, at: DateTime<Utc>) -> Self {
        Self {
            search_id: uuid::Uuid::new_v4().to_string(),
            at: chrono::SubsecRound::trunc_subsecs(at, 3),
            user: caller.user.clone(),
            role: caller.role,
            org: caller.org.clone(),
            org_name: caller.org_name.clone(),
            setting_type: caller.setting_type,
        }
    }

    /// Whether the search alerts the LAs it matches: unscheduled care only, as a lookup.
    pub fn alerts(&self) -> bool {
        self.role == Role::UnscheduledCare
    }
}

/// The audit record of one search, kept under its exact key (`DEMO#<key>`), so whoever holds
/// the secret can answer "who searched for this child?" and nobody else can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRecord {
    #[serde(flatten)]
    pub searcher: Searcher,
    pub widened: bool,
    /// What the clinician was told; none when the search was refused (over the hourly cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<SearchOutcome>,
    /// Possible matches found (also when too many to show).
    pub matches: u32,
}

/// One plan a search matched, as fan-out is told of it: the LA's own reference, never the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedPlan {
    pub org: OrgCode,
    pub plan_ref: PlanRef,
    pub plan_type: PlanType,
    #[serde(rename = "match")]
    pub matched: MatchKind,
}

/// An unscheduled-care search that matched: fan-out tells each LA of its plans matched
/// (`crate::notification::NotificationKind::DemographicMatch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DemographicMatch {
    pub searcher: Searcher,
    pub widened: bool,
    pub matches: Vec<MatchedPlan>,
}

/// What the index holds under one plan reference: the plan record and the unmatched record
/// (either, both after the number arrived, or neither).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidate {
    pub record: Option<PlanRecord>,
    pub unmatched: Option<UnmatchedRecord>,
}

fn shown(status: PlanStatus) -> Option<ShownStatus> {
    match status {
        PlanStatus::Active => Some(ShownStatus::Active),
        PlanStatus::Ended => Some(ShownStatus::Ended),
        PlanStatus::Expired => None,
    }
}

impl Candidate {
    /// The plan a search for `key` may name, with where it stands: a live plan (or a plan
    /// still unmatched) whose current demographics are `key`, not past retention and not ended
    /// as recorded in error. An entry left by older demographics, a withdrawal or a
    /// match names nothing.
    pub fn named_by(
        &self,
        key: &DemographicKey,
        today: NaiveDate,
        retention: Retention,
    ) -> Option<(PlanType, ShownStatus)> {
        if let Some(r) = &self.record {
            let plan = &r.plan;
            let live =
                r.state == PlanState::Live && plan.end_reason != Some(EndReason::RecordedInError);
            return match plan.demographics.as_ref() {
                Some(d) if live && d.holds(key) => {
                    shown(plan.status(today, retention)).map(|s| (plan.plan_type, s))
                }
                _ => None,
            };
        }
        let u = self.unmatched.as_ref()?;
        let d = &u.plan.plan;
        let live = u.state == UnmatchedState::Unmatched
            && d.end_reason != Some(EndReason::RecordedInError);
        match d.demographics.as_ref() {
            Some(k) if live && k.holds(key) => {
                shown(u.plan.status(today, retention)).map(|s| (d.plan_type, s))
            }
            _ => None,
        }
    }
}
