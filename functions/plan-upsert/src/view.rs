//! What the LA write path answers: a plan as the LA sees it, and batch acknowledgements.

use adapters::store::plans::{PlanRecord, PlanState};
use chrono::{DateTime, NaiveDate, Utc};
use cpindex::contact::LaContact;
use cpindex::plan::PlanStatus;
use cpindex::{NhsNumber, PlanRef, Retention};
use serde::Serialize;

/// A plan as its LA sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub plan_ref: PlanRef,
    pub nhs_number: NhsNumber,
    pub plan_type: &'static str,
    pub national_code: &'static str,
    pub start_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_due_date: Option<NaiveDate>,
    pub source_version: u64,
    pub responsible_la: LaContact,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

impl PlanView {
    /// The view on `today`, or `None` once the plan is past its retention (as good as deleted).
    pub fn of(record: &PlanRecord, today: NaiveDate, retention: Retention) -> Option<Self> {
        let status = match record.state {
            PlanState::Withdrawn => "withdrawn",
            PlanState::Moved => return None,
            PlanState::Live => match record.plan.status(today, retention) {
                PlanStatus::Active => "active",
                PlanStatus::Ended => "ended",
                PlanStatus::Expired => return None,
            },
        };
        let p = &record.plan;
        Some(Self {
            plan_ref: record.plan_ref.clone(),
            nhs_number: record.nhs_number,
            plan_type: p.plan_type.as_str(),
            national_code: p.plan_type.national_code(),
            start_date: p.start_date,
            end_date: p.end_date,
            expected_due_date: p.expected_due_date,
            source_version: record.source_version,
            responsible_la: p.responsible_la.clone(),
            status,
            outcome: None,
            delete_on: p.delete_on(retention),
            updated_at: record.updated_at,
        })
    }

    pub fn with_outcome(mut self, outcome: &'static str) -> Self {
        self.outcome = Some(outcome);
        self
    }
}

/// One page of an LA's plans.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanList {
    pub items: Vec<PlanView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    /// Whether the index now holds what the record said.
    pub fn loaded(self) -> bool {
        matches!(
            self,
            Self::Created | Self::Updated | Self::Unchanged | Self::Moved
        )
    }
}

/// One record's line in the acknowledgement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAck {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    pub outcome: RecordOutcome,
    /// `ok`, or a stable error code.
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

/// Counts by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub received: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub moved: usize,
    pub stale: usize,
    pub rejected: usize,
    pub failed: usize,
}

/// The whole-file outcome, with the national service's file codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    AllLoaded,
    PartlyLoaded,
    NoneLoaded,
}

impl FileOutcome {
    /// CP-IS file codes: CPF02 all loaded, CPF03 partly, CPF04 none.
    pub fn national_code(self) -> &'static str {
        match self {
            Self::AllLoaded => "CPF02",
            Self::PartlyLoaded => "CPF03",
            Self::NoneLoaded => "CPF04",
        }
    }

    pub fn of(records: &[RecordAck]) -> Self {
        let loaded = records.iter().filter(|r| r.outcome.loaded()).count();
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
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAck {
    pub batch_id: String,
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extract_id: Option<String>,
    pub file_outcome: FileOutcome,
    pub file_code: &'static str,
    pub counts: Counts,
    pub records: Vec<RecordAck>,
}

impl BatchAck {
    pub fn new(
        batch_id: String,
        mode: &'static str,
        extract_id: Option<String>,
        records: Vec<RecordAck>,
    ) -> Self {
        let mut counts = Counts {
            received: records.len(),
            ..Counts::default()
        };
        for r in &records {
            match r.outcome {
                RecordOutcome::Created => counts.created += 1,
                RecordOutcome::Updated => counts.updated += 1,
                RecordOutcome::Unchanged => counts.unchanged += 1,
                RecordOutcome::Moved => counts.moved += 1,
                RecordOutcome::Stale => counts.stale += 1,
                RecordOutcome::Rejected => counts.rejected += 1,
                RecordOutcome::Failed => counts.failed += 1,
            }
        }
        let file_outcome = FileOutcome::of(&records);
        Self {
            batch_id,
            mode,
            extract_id,
            file_outcome,
            file_code: file_outcome.national_code(),
            counts,
            records,
        }
    }
}
