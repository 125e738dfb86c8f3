//! What a reconciliation run finds, per LA and for operators. Kept per page of each segment's scan
//! (one bounded item each), merged when every segment is done.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use cpindex::indicators::StateValue;
use cpindex::PlanType;
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
    /// The same, by plan type (the LA's indicators).
    #[serde(default)]
    pub active_by_type: BTreeMap<PlanType, u64>,
    /// Held by the index, absent from the LA's latest full extract: for the LA to act on
    /// (never deleted by us).
    pub not_in_extract: Listed<String>,
    pub version_mismatches: Listed<VersionMismatch>,
    /// Unborn-child plans more than eight weeks past the expected due date.
    pub unborn_past_due: Listed<String>,
    /// Plans open (no end date) for longer than the configured number of years.
    pub open_too_long: Listed<String>,
    /// Plans recorded without an NHS number and not yet matched (`cpindex::unmatched`): found
    /// only by a demographic search until the LA sends the number.
    #[serde(default)]
    pub unmatched: Listed<String>,
    /// Notifications whose delivery failed for good.
    pub failed_notifications: u64,
    pub oldest_failed: Option<DateTime<Utc>>,
    /// The last delivery error of the oldest failed notification (a status code or `timeout`),
    /// for the operator who fixes the LA's endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_failed_error: Option<String>,
    /// Children with an active plan of this LA on whom another LA also holds an active plan.
    #[serde(default)]
    pub shared_children: u64,
}

impl LaFindings {
    pub fn merge(&mut self, o: LaFindings) {
        self.index_count += o.index_count;
        self.shared_children += o.shared_children;
        for (t, n) in o.active_by_type {
            *self.active_by_type.entry(t).or_default() += n;
        }
        self.not_in_extract.merge(o.not_in_extract);
        self.version_mismatches.merge(o.version_mismatches);
        self.unborn_past_due.merge(o.unborn_past_due);
        self.open_too_long.merge(o.open_too_long);
        self.unmatched.merge(o.unmatched);
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
    /// Children held (an active plan each) by two or more LAs, each counted once.
    #[serde(default)]
    pub shared_children: u64,
    pub per_la: BTreeMap<String, LaFindings>,
}

impl SegmentFindings {
    pub fn merge(&mut self, o: SegmentFindings) {
        self.scanned += o.scanned;
        self.shared_children += o.shared_children;
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
    /// For a CSV extract: the line of the file and the column at fault, as the upload report
    /// gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
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

impl LaReport {
    /// What the LA's indicators record of this run, for the week it ran in.
    pub fn indicator_state(&self, now: DateTime<Utc>) -> Vec<(StateValue, u64)> {
        let f = &self.findings;
        let mut values: Vec<(StateValue, u64)> = [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp]
            .into_iter()
            .map(|t| {
                let n = f.active_by_type.get(&t).copied().unwrap_or(0);
                (StateValue::ActivePlans(t), n)
            })
            .collect();
        values.extend([
            (StateValue::NotInIndex, self.not_in_index.total),
            (StateValue::NotInExtract, f.not_in_extract.total),
            (StateValue::VersionMismatches, f.version_mismatches.total),
            (StateValue::UnbornPastDue, f.unborn_past_due.total),
            (StateValue::OpenTooLong, f.open_too_long.total),
            (StateValue::Unmatched, f.unmatched.total),
        ]);
        if let Some(e) = &self.extract {
            let days = (now - e.received_at).num_days().max(0);
            values.push((StateValue::ExtractAgeDays, days.unsigned_abs()));
        }
        values
    }
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
    /// At most [`MAX_LAS_LISTED`] LAs, those with the most failures.
    pub dead_letters_by_la: BTreeMap<String, DeadLetters>,
    /// LAs with failed notifications, listed or not.
    pub dead_letters_by_la_total: u64,
    /// Children held (an active plan each) by two or more LAs: each LA was told when the other
    /// recorded its plan; a number that grows says LAs are not closing plans on transfer.
    #[serde(default)]
    pub children_held_by_two_or_more_las: u64,
    /// Those children's LAs, each with how many of its children another LA also holds (at most
    /// [`MAX_LAS_LISTED`], those with the most).
    #[serde(default)]
    pub shared_children_by_la: BTreeMap<String, u64>,
}

/// Most LAs the operator report lists by name (a whole country has a few hundred at most; the
/// cap keeps the report one bounded item whatever the table holds).
pub const MAX_LAS_LISTED: usize = 1000;

/// At most [`MAX_LAS_LISTED`] LAs' shared children, those with the most.
pub fn most_shared(mut by_la: Vec<(String, u64)>) -> BTreeMap<String, u64> {
    by_la.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_la.truncate(MAX_LAS_LISTED);
    by_la.into_iter().collect()
}

/// The dead letters of at most [`MAX_LAS_LISTED`] LAs, most failures first, and how many LAs
/// had any.
pub fn most_dead_letters(
    mut by_la: Vec<(String, DeadLetters)>,
) -> (BTreeMap<String, DeadLetters>, u64) {
    let total = by_la.len() as u64;
    by_la.sort_by(|a, b| b.1.failed.cmp(&a.1.failed).then_with(|| a.0.cmp(&b.0)));
    by_la.truncate(MAX_LAS_LISTED);
    (by_la.into_iter().collect(), total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::store::size::{item_size, MAX_ITEM_BYTES};

    /// The longest values each field can hold: a 64-character plan reference, a 10-character
    /// organisation code, the largest versions.
    fn longest_ref(i: usize) -> String {
        format!("{i:0>64}")
    }

    fn longest_org(i: usize) -> String {
        format!("{i:0>10}")
    }

    fn instant() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T03:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn full<T: Ord>(make: impl Fn(usize) -> T) -> Listed<T> {
        let mut l = Listed::default();
        for i in 0..LIST_CAP * 3 {
            l.push(make(i));
        }
        l
    }

    fn mismatch(i: usize) -> VersionMismatch {
        VersionMismatch {
            plan_ref: longest_ref(i),
            index_version: u64::MAX,
            extract_version: u64::MAX - 1,
        }
    }

    #[test]
    fn a_page_of_findings_at_its_worst_fits_one_item() {
        // Worst case of one page: every scanned item from a different LA, each adding every
        // finding there is (more than one plan can: the two extract findings exclude each other).
        let mut page = SegmentFindings {
            scanned: u64::MAX,
            deleted: u64::MAX,
            restamped: u64::MAX,
            plans: u64::MAX,
            ..Default::default()
        };
        for i in 0..crate::MAX_PAGE_ITEMS {
            let mut f = LaFindings {
                index_count: u64::MAX,
                failed_notifications: u64::MAX,
                oldest_failed: Some(instant()),
                oldest_failed_error: Some(
                    "x".repeat(adapters::store::notifications::MAX_ERROR_BYTES),
                ),
                ..Default::default()
            };
            f.not_in_extract.push(longest_ref(i));
            f.version_mismatches.push(mismatch(i));
            f.unborn_past_due.push(longest_ref(i));
            f.open_too_long.push(longest_ref(i));
            f.unmatched.push(longest_ref(i));
            page.per_la.insert(longest_org(i), f);
        }
        let item = adapters::store::runs::page_item(
            &uuid::Uuid::new_v4().to_string(),
            u32::MAX,
            u64::MAX,
            &page,
            instant(),
        )
        .unwrap();
        let size = item_size(&item);
        eprintln!("worst case: {size} of {MAX_ITEM_BYTES} bytes");
        assert!(size < MAX_ITEM_BYTES, "{size} bytes");
    }

    #[test]
    fn an_la_report_at_its_worst_fits_one_item() {
        let findings = LaFindings {
            index_count: u64::MAX,
            active_by_type: [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp]
                .into_iter()
                .map(|t| (t, u64::MAX))
                .collect(),
            not_in_extract: full(longest_ref),
            version_mismatches: full(mismatch),
            unborn_past_due: full(longest_ref),
            open_too_long: full(longest_ref),
            unmatched: full(longest_ref),
            failed_notifications: u64::MAX,
            oldest_failed: Some(instant()),
            oldest_failed_error: Some("x".repeat(adapters::store::notifications::MAX_ERROR_BYTES)),
            shared_children: u64::MAX,
        };
        let report = LaReport {
            run_id: uuid::Uuid::new_v4().to_string(),
            la: longest_org(0),
            generated_at: instant(),
            as_of: instant().date_naive(),
            extract: Some(ExtractSummary {
                extract_id: "x".repeat(64),
                received_at: instant(),
                count: u64::MAX,
            }),
            findings,
            not_in_index: full(|i| NotInIndex {
                plan_ref: Some(longest_ref(i)),
                code: "x".repeat(40),
                field: Some("x".repeat(adapters::store::extracts::MAX_FIELD_BYTES)),
                batch_id: uuid::Uuid::new_v4().to_string(),
                index: usize::MAX,
                line: Some(u64::MAX),
                column: Some("expected_due_date".into()),
            }),
            profile_missing_emergency_phone: true,
        };
        // Stored as its JSON text, beside its key attributes (well under a kilobyte).
        let size = serde_json::to_string(&report).unwrap().len() + 1024;
        eprintln!("worst case: {size} of {MAX_ITEM_BYTES} bytes");
        assert!(size < MAX_ITEM_BYTES, "{size} bytes");
    }

    #[test]
    fn the_operator_report_at_its_worst_fits_one_item() {
        let by_la = (0..MAX_LAS_LISTED * 5)
            .map(|i| {
                (
                    longest_org(i),
                    DeadLetters {
                        failed: i as u64,
                        oldest_seen_at: Some(instant()),
                        last_error: Some(
                            "x".repeat(adapters::store::notifications::MAX_ERROR_BYTES),
                        ),
                    },
                )
            })
            .collect();
        let (listed, total) = most_dead_letters(by_la);
        assert_eq!(
            (listed.len(), total),
            (MAX_LAS_LISTED, 5 * MAX_LAS_LISTED as u64)
        );
        assert!(
            listed.contains_key(&longest_org(MAX_LAS_LISTED * 5 - 1)),
            "the LA with the most failures is listed"
        );
        let report = OperatorReport {
            run_id: uuid::Uuid::new_v4().to_string(),
            generated_at: instant(),
            scanned: u64::MAX,
            plans: u64::MAX,
            deleted_past_retention: u64::MAX,
            alerts_redriven: u64::MAX,
            dead_letter_queue_depth: Some(u64::MAX),
            dead_letters_by_la: listed,
            dead_letters_by_la_total: total,
            children_held_by_two_or_more_las: u64::MAX,
            shared_children_by_la: most_shared(
                (0..MAX_LAS_LISTED * 5)
                    .map(|i| (longest_org(i), u64::MAX - i as u64))
                    .collect(),
            ),
        };
        let size = serde_json::to_string(&report).unwrap().len() + 1024;
        eprintln!("worst case: {size} of {MAX_ITEM_BYTES} bytes");
        assert!(size < MAX_ITEM_BYTES, "{size} bytes");
    }

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
