//! What a reconciliation run finds, per LA and for operators. Accumulated per scan segment,
//! checkpointed with the segment, merged when every segment is done.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Most entries listed per finding (the totals are always exact).
pub const LIST_CAP: usize = 500;

/// A capped list with an exact total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed<T> {
    pub total: u64,
    pub items: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self {
            total: 0,
            items: Vec::new(),
        }
    }
}

impl<T: Ord> Listed<T> {
    pub fn push(&mut self, item: T) {
        self.total += 1;
        if self.items.len() < LIST_CAP {
            self.items.push(item);
        }
    }

    pub fn merge(&mut self, other: Listed<T>) {
        self.total += other.total;
        self.items.extend(other.items);
        self.items.sort();
        self.items.truncate(LIST_CAP);
    }
}

/// A plan whose held version differs from the extract's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionMismatch {
    pub plan_ref: String,
    pub index_version: u64,
    pub extract_version: u64,
}

/// Findings for one LA, from the part of the table one segment covered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaFindings {
    /// Live plans the index holds for the LA.
    pub index_count: u64,
    /// Held by the index, absent from the LA's latest full extract: for the LA to act on
    /// (never deleted by us).
    pub not_in_extract: Listed<String>,
    pub version_mismatches: Listed<VersionMismatch>,
    /// Unborn-child plans more than eight weeks past the expected due date.
    pub unborn_past_due: Listed<String>,
    /// Plans open (no end date) for longer than the configured number of years.
    pub open_too_long: Listed<String>,
    /// Notifications whose delivery failed for good.
    pub failed_notifications: u64,
    pub oldest_failed: Option<DateTime<Utc>>,
    /// The last delivery error of the oldest failed notification (a status code or `timeout`),
    /// for the operator who fixes the LA's endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_failed_error: Option<String>,
}

impl LaFindings {
    pub fn merge(&mut self, o: LaFindings) {
        self.index_count += o.index_count;
        self.not_in_extract.merge(o.not_in_extract);
        self.version_mismatches.merge(o.version_mismatches);
        self.unborn_past_due.merge(o.unborn_past_due);
        self.open_too_long.merge(o.open_too_long);
        self.failed_notifications += o.failed_notifications;
        let theirs_older = match (self.oldest_failed, o.oldest_failed) {
            (Some(a), Some(b)) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        if theirs_older {
            self.oldest_failed = o.oldest_failed;
            self.oldest_failed_error = o.oldest_failed_error;
        }
    }
}

/// What one segment has accumulated so far (saved with its checkpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentFindings {
    pub scanned: u64,
    pub deleted: u64,
    /// Plan records whose expiry was re-stamped to the retention setting in force.
    #[serde(default)]
    pub restamped: u64,
    pub plans: u64,
    pub per_la: BTreeMap<String, LaFindings>,
}

impl SegmentFindings {
    pub fn merge(&mut self, o: SegmentFindings) {
        self.scanned += o.scanned;
        self.deleted += o.deleted;
        self.restamped += o.restamped;
        self.plans += o.plans;
        for (la, f) in o.per_la {
            self.per_la.entry(la).or_default().merge(f);
        }
    }
}

/// The LA's extract as the report describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractSummary {
    pub extract_id: String,
    pub received_at: DateTime<Utc>,
    /// Distinct records in the extract (a batch or the whole extract sent again counts once).
    pub count: u64,
}

/// A record of the LA's latest full extract that the index does not hold: that child looks up
/// as "no plan" for this plan until the LA fixes the record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotInIndex {
    /// The LA's reference, when the record carried a readable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    /// Why the index did not take it (the code its upload was answered with).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Which batch of the extract, and which record of it (0-based).
    pub batch_id: String,
    pub index: usize,
}

/// The report an LA reads (`GET /v1/reconciliation-reports/latest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaReport {
    pub run_id: String,
    pub la: String,
    pub generated_at: DateTime<Utc>,
    pub as_of: NaiveDate,
    /// Absent when the LA has sent no full extract (no comparison possible).
    pub extract: Option<ExtractSummary>,
    pub findings: LaFindings,
    /// Records of the latest full extract the index does not hold (rejected or failed at upload,
    /// and not fixed since): those children are not found until they are.
    pub not_in_index: Listed<NotInIndex>,
    /// The LA's profile lacks the emergency-duty phone clinicians need out of hours.
    pub profile_missing_emergency_phone: bool,
}

/// Dead letters for one LA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetters {
    pub failed: u64,
    pub oldest_seen_at: Option<DateTime<Utc>>,
    /// The oldest failed notification's last delivery error (status code or `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The operator's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorReport {
    pub run_id: String,
    pub generated_at: DateTime<Utc>,
    pub scanned: u64,
    pub plans: u64,
    pub deleted_past_retention: u64,
    pub alerts_redriven: u64,
    /// Messages waiting in the delivery dead-letter queue when the run finished.
    pub dead_letter_queue_depth: Option<u64>,
    pub dead_letters_by_la: BTreeMap<String, DeadLetters>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lists_keep_exact_totals() {
        let mut a = Listed::default();
        for i in 0..(LIST_CAP + 10) {
            a.push(format!("{i:05}"));
        }
        let mut b = Listed::default();
        b.push("zzz".to_owned());
        a.merge(b);
        assert_eq!(a.total, LIST_CAP as u64 + 11);
        assert_eq!(a.items.len(), LIST_CAP);
    }

    #[test]
    fn merging_segments_adds_up_and_keeps_the_oldest_failure() {
        let t1 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t2 = DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut a = SegmentFindings {
            scanned: 3,
            ..Default::default()
        };
        a.per_la.insert(
            "X".into(),
            LaFindings {
                index_count: 2,
                failed_notifications: 1,
                oldest_failed: Some(t2),
                ..Default::default()
            },
        );
        let mut b = SegmentFindings {
            scanned: 4,
            ..Default::default()
        };
        b.per_la.insert(
            "X".into(),
            LaFindings {
                index_count: 5,
                failed_notifications: 1,
                oldest_failed: Some(t1),
                ..Default::default()
            },
        );
        a.merge(b);
        let x = &a.per_la["X"];
        assert_eq!(
            (
                a.scanned,
                x.index_count,
                x.failed_notifications,
                x.oldest_failed
            ),
            (7, 7, 2, Some(t1))
        );
    }
}
