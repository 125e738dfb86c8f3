//! What the API answers, as JSON: the functions serialise these and clients (the CLI) read them,
//! so an answer has one definition. Readers ignore fields they do not know (serde's default), so
//! a newer API does not break an older client.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{Access, AccessOutcome, Visit};
use crate::batch::Mode;
use crate::claims::Role;
use crate::contact::CaseTeam;
use crate::nhs_number::NhsNumber;
use crate::notification::{Notification, OtherLaPlan};
use crate::org::OrgCode;
use crate::plan::EndReason;
use crate::plan::{Plan, PlanRef, PlanType};
use crate::profile::LaProfile;

/// Where a shown plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShownStatus {
    Active,
    /// Ended, and still shown for the retention period.
    Ended,
    /// Withdrawn by its LA (only the LA's own view shows it).
    Withdrawn,
}

/// What every view of a plan shows: its kind, its dates and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFacts {
    pub plan_type: PlanType,
    /// The national service's code for the plan type (CPPI, LACI, UCPI).
    pub national_code: String,
    pub start_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_due_date: Option<NaiveDate>,
    pub status: ShownStatus,
    /// Why the plan ended, when the LA said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    /// For a plan ended as transferred out, inside the transfer window and while no other LA
    /// holds an active plan: the last day the LA is still alerted of an attendance
    /// (`crate::transfer`). The clinician calls that LA meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub still_alerted_until: Option<NaiveDate>,
}

impl PlanFacts {
    pub fn of(plan: &Plan, status: ShownStatus) -> Self {
        Self {
            plan_type: plan.plan_type,
            national_code: plan.plan_type.national_code().to_owned(),
            start_date: plan.start_date,
            end_date: plan.end_date,
            expected_due_date: plan.expected_due_date,
            status,
            end_reason: plan.end_reason,
            still_alerted_until: None,
        }
    }
}

/// The responsible LA and how to reach it: the LA's name and numbers from its profile (vetted
/// by operators) only, and the case-holding team a record may add, marked as given by the LA.
/// Every surface (JSON, both FHIR interfaces, the web app, the CLI) shows this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponsibleLa {
    pub code: OrgCode,
    /// The profile's name (the organisation code when no profile is held).
    pub name: String,
    /// The profile's team (absent when no profile is held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_hours_phone: Option<String>,
    /// The number to call out of hours. Absent only for a plan recorded before profiles were
    /// required by an LA that still has none: clinicians are told no vetted number is held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_duty_phone: Option<String>,
    /// The case-holding team as the recording LA gave it: never instead of the numbers above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_team: Option<CaseTeam>,
}

impl ResponsibleLa {
    /// The one place contacts are put together: `profile` is the LA's, as operators keep it.
    pub fn of(code: &OrgCode, profile: Option<&LaProfile>, case_team: Option<&CaseTeam>) -> Self {
        let phone = |p: &Option<crate::contact::Phone>| p.as_ref().map(|p| p.as_str().to_owned());
        Self {
            code: code.clone(),
            name: profile.map_or_else(|| code.as_str().to_owned(), |p| p.name.clone()),
            team: profile.map(|p| p.team.clone()),
            office_hours_phone: profile.and_then(|p| phone(&p.office_hours_phone)),
            emergency_duty_phone: profile.and_then(|p| phone(&p.emergency_duty_phone)),
            case_team: case_team.cloned(),
        }
    }
}

/// One plan as shown to a clinician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    #[serde(flatten)]
    pub facts: PlanFacts,
    pub responsible_la: ResponsibleLa,
    /// Whether the responsible LA knows: when it was last alerted about this child (before this
    /// lookup), and when it acknowledged that alert, if it has; never who. Absent when it has
    /// not been alerted about the child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub la_alerted: Option<crate::alert_state::LaAlerted>,
    /// Since when the LA has held the plan for this child (the FHIR flag's provenance; not in
    /// the JSON answer).
    #[serde(skip)]
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The lookup answer (`GET /v1/children/{nhsNumber}`). Active and recently ended plans are in
/// separate lists, so one can never be read as the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildView {
    pub access_id: String,
    pub nhs_number: NhsNumber,
    /// True exactly when at least one plan is active (`plans` is not empty).
    pub has_plan: bool,
    /// Active plans only.
    pub plans: Vec<PlanSummary>,
    /// Plans that have ended and are still shown for the retention period (12 months).
    #[serde(default)]
    pub ended_plans: Vec<PlanSummary>,
    /// Shown when any plan, active or recently ended, is held.
    pub visits: Vec<Visit>,
}

impl ChildView {
    /// The answer for `shown` plans (active and ended, in any order): split by status, so
    /// `has_plan` cannot disagree with the lists.
    pub fn new(
        access_id: String,
        nhs_number: NhsNumber,
        shown: Vec<PlanSummary>,
        visits: Vec<Visit>,
    ) -> Self {
        let (plans, ended_plans): (Vec<_>, Vec<_>) = shown
            .into_iter()
            .partition(|p| p.facts.status == ShownStatus::Active);
        let any = !plans.is_empty() || !ended_plans.is_empty();
        Self {
            access_id,
            nhs_number,
            has_plan: !plans.is_empty(),
            plans,
            ended_plans,
            visits: if any { visits } else { Vec::new() },
        }
    }
}

/// A plan as its LA sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub plan_ref: PlanRef,
    pub nhs_number: NhsNumber,
    #[serde(flatten)]
    pub facts: PlanFacts,
    pub source_version: u64,
    /// The case-holding team the record gives (the LA's own contacts are its profile's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_team: Option<CaseTeam>,
    /// What the write that answered this did (`created`, `updated`, `unchanged`, `moved`,
    /// `withdrawn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// On the write that recorded the plan on this child: the other LAs holding a plan on it
    /// (active, or ended in the last 90 days), each told at once, and how to reach them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_las: Vec<OtherLaPlan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

/// One page of an LA's plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanList {
    pub items: Vec<PlanView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    Created,
    Updated,
    Unchanged,
    Moved,
    /// A newer version is held; nothing changed.
    Stale,
    /// The record is invalid (or conflicts with the held version); nothing changed.
    Rejected,
    /// The store failed for this record; nothing is known to have changed: send it again.
    Failed,
}

impl RecordOutcome {
    /// The outcome as the acknowledgement names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Moved => "moved",
            Self::Stale => "stale",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    /// Whether the index now holds what the record said.
    pub fn loaded(self) -> bool {
        matches!(
            self,
            Self::Created | Self::Updated | Self::Unchanged | Self::Moved
        )
    }
}

/// One record's line in the acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAck {
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    pub outcome: RecordOutcome,
    /// `ok`, or a stable error code.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// As [`PlanView::other_las`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_las: Vec<OtherLaPlan>,
}

impl RecordAck {
    pub fn loaded(&self) -> bool {
        self.outcome.loaded()
    }
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub received: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub moved: usize,
    pub stale: usize,
    pub rejected: usize,
    #[serde(default)]
    pub failed: usize,
}

impl Counts {
    /// Counts of `records`.
    pub fn of(records: &[RecordAck]) -> Self {
        let mut counts = Counts {
            received: records.len(),
            ..Counts::default()
        };
        for r in records {
            *match r.outcome {
                RecordOutcome::Created => &mut counts.created,
                RecordOutcome::Updated => &mut counts.updated,
                RecordOutcome::Unchanged => &mut counts.unchanged,
                RecordOutcome::Moved => &mut counts.moved,
                RecordOutcome::Stale => &mut counts.stale,
                RecordOutcome::Rejected => &mut counts.rejected,
                RecordOutcome::Failed => &mut counts.failed,
            } += 1;
        }
        counts
    }

    /// Records the index now holds as sent.
    pub fn loaded(&self) -> usize {
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

/// The whole-file outcome, with the national service's file codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    AllLoaded,
    PartlyLoaded,
    NoneLoaded,
}

impl FileOutcome {
    /// The outcome as the acknowledgement names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllLoaded => "all_loaded",
            Self::PartlyLoaded => "partly_loaded",
            Self::NoneLoaded => "none_loaded",
        }
    }

    /// CP-IS file codes: CPF02 all loaded, CPF03 partly, CPF04 none.
    pub fn national_code(self) -> &'static str {
        match self {
            Self::AllLoaded => "CPF02",
            Self::PartlyLoaded => "CPF03",
            Self::NoneLoaded => "CPF04",
        }
    }

    pub fn of(records: &[RecordAck]) -> Self {
        let loaded = records.iter().filter(|r| r.loaded()).count();
        if loaded == records.len() {
            Self::AllLoaded
        } else if loaded == 0 {
            Self::NoneLoaded
        } else {
            Self::PartlyLoaded
        }
    }
}

/// The acknowledgement of a batch upload: it doubles as a reconciliation report for the LA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAck {
    pub batch_id: String,
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract_id: Option<String>,
    pub file_outcome: FileOutcome,
    pub file_code: String,
    pub counts: Counts,
    pub records: Vec<RecordAck>,
}

/// A CSV row that could not be read (not sent: the others were).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadRow {
    pub line: u64,
    pub reason: String,
}

/// The answer to a CSV extract: the batch's acknowledgement, and where each record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractAck {
    pub batch: BatchAck,
    /// The file line of each record of `batch.records`, by position.
    pub lines: Vec<u64>,
    /// The column at fault for each record, by position (absent when none is).
    pub columns: Vec<Option<String>>,
    /// Rows that could not be read as records at all.
    pub unread_rows: Vec<UnreadRow>,
    /// Header names that are not extract columns: their cells were ignored.
    pub ignored_columns: Vec<String>,
}

impl BatchAck {
    pub fn new(
        batch_id: String,
        mode: Mode,
        extract_id: Option<String>,
        records: Vec<RecordAck>,
    ) -> Self {
        let file_outcome = FileOutcome::of(&records);
        Self {
            batch_id,
            mode,
            extract_id,
            file_outcome,
            file_code: file_outcome.national_code().to_owned(),
            counts: Counts::of(&records),
            records,
        }
    }
}

/// A page of an LA's inbox (`GET /v1/notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationList {
    /// On the first page: the LA's alerts not acknowledged in time and still open, oldest
    /// deadline first (`crate::overdue`). Listed before everything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overdue: Vec<crate::overdue::OverdueAlert>,
    pub items: Vec<Notification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The LA's latest reconciliation report, announced here so the inbox is the one place to look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_reconciliation_report: Option<ReportAnnouncement>,
}

/// Where the latest reconciliation report is, and its headline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAnnouncement {
    pub run_id: String,
    pub generated_at: String,
    /// Plans the index holds that the latest full extract does not.
    pub not_in_extract: u64,
    /// Records of the latest full extract the index does not hold: children not found until
    /// the LA fixes them.
    #[serde(default)]
    pub not_in_index: u64,
    pub href: String,
}

/// One access in a child's history (an LA's view of its plan's child, or an operator's audit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessView {
    pub access_id: String,
    pub at: DateTime<Utc>,
    pub setting_code: OrgCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_name: Option<String>,
    pub user_id: String,
    pub role: Role,
    pub outcome: AccessOutcome,
    /// Whether the child had an active plan when fan-out decided the alert (visits only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_found: Option<bool>,
    /// In an LA's history: the access was made while the plan sat on an NHS number the LA
    /// later corrected (an incident to report; the number itself is never shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_earlier_nhs_number: Option<bool>,
    /// An operator's read of the audit trail: the purpose stated with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// A FHIR search's `X-Request-ID` and `X-Correlation-ID`, to match the access to the
    /// caller's own logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

impl From<(Access, Option<bool>)> for AccessView {
    fn from((a, plan_found): (Access, Option<bool>)) -> Self {
        Self {
            access_id: a.access_id,
            at: a.at,
            setting_code: a.org,
            setting_name: a.org_name,
            user_id: a.user.as_str().to_owned(),
            role: a.role,
            outcome: a.outcome,
            plan_found,
            on_earlier_nhs_number: None,
            purpose: a.purpose.map(|p| p.as_str().to_owned()),
            request_id: a.request_id.map(|r| r.to_string()),
            correlation_id: a.correlation_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(outcome: RecordOutcome) -> RecordAck {
        RecordAck {
            index: 0,
            plan_ref: None,
            outcome,
            code: "ok".into(),
            field: None,
            reason: None,
            current_version: None,
            other_las: Vec::new(),
        }
    }

    #[test]
    fn the_file_outcome_and_counts_follow_the_records() {
        let all = [ack(RecordOutcome::Created), ack(RecordOutcome::Unchanged)];
        let b = BatchAck::new("b".into(), Mode::Full, None, all.to_vec());
        assert_eq!(
            (b.file_outcome, b.file_code.as_str()),
            (FileOutcome::AllLoaded, "CPF02")
        );
        assert_eq!((b.counts.received, b.counts.loaded()), (2, 2));
        let some = [ack(RecordOutcome::Moved), ack(RecordOutcome::Stale)];
        assert_eq!(FileOutcome::of(&some), FileOutcome::PartlyLoaded);
        let none = [ack(RecordOutcome::Rejected), ack(RecordOutcome::Failed)];
        assert_eq!(FileOutcome::of(&none).national_code(), "CPF04");
        assert_eq!(Counts::of(&none).failed, 1);
        for o in [
            FileOutcome::AllLoaded,
            FileOutcome::PartlyLoaded,
            FileOutcome::NoneLoaded,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for o in [
            RecordOutcome::Created,
            RecordOutcome::Stale,
            RecordOutcome::Failed,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn an_answer_reads_back_as_it_was_written_and_ignores_new_fields() {
        let b = BatchAck::new(
            "b".into(),
            Mode::Delta,
            None,
            vec![ack(RecordOutcome::Updated)],
        );
        let mut json = serde_json::to_value(&b).unwrap();
        json["somethingNew"] = serde_json::json!(1);
        assert_eq!(serde_json::from_value::<BatchAck>(json).unwrap(), b);
    }
}

/// Possible matches a demographic search shows at most: more is answered as "too many
/// possible matches: narrow the search", never as a list (a search is not a way to browse).
pub const MAX_MATCHES_SHOWN: usize = 3;

/// What a demographic search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchOutcome {
    NoMatch,
    PossibleMatch,
    /// More than [`MAX_MATCHES_SHOWN`]: nothing is listed.
    TooManyMatches,
}

/// One possible match: which LA to call and the kind of plan, never who the child is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PossibleMatch {
    /// The LA's vetted contacts (its profile), without any case team.
    pub la: ResponsibleLa,
    pub plan_type: PlanType,
    /// Active, or ended and still within retention.
    pub status: ShownStatus,
    /// Whether the family name matched as spelt or only by its sound.
    #[serde(rename = "match")]
    pub matched: crate::demographics::MatchKind,
}

/// The answer to `POST /v1/child-searches`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildSearchAnswer {
    /// The search's id in the audit trail.
    pub search_id: String,
    pub outcome: SearchOutcome,
    /// Whether sound-alike family names were searched too.
    pub widened: bool,
    /// At most [`MAX_MATCHES_SHOWN`]; empty unless `outcome` is `possible_match`.
    pub matches: Vec<PossibleMatch>,
    /// What the clinician does next, in words.
    pub advice: String,
}

/// A plan recorded without an NHS number, as its LA sees it (`cpindex::unmatched`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedView {
    pub plan_ref: PlanRef,
    pub nhs_number_absent_reason: crate::demographics::AbsentReason,
    /// Always true: how a clinician's demographic search finds it.
    pub demographics_recorded: bool,
    #[serde(flatten)]
    pub facts: PlanFacts,
    pub source_version: u64,
    /// `unmatched`, until the LA sends the NHS number.
    pub matching: crate::unmatched::UnmatchedState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    pub updated_at: DateTime<Utc>,
}
