//! The table's keys, indexes and the queues, declared once. The adapters, the emulator
//! bootstrap and the template consistency check all read these definitions.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::child_key::ChildKey;
use crate::org::OrgCode;
use crate::plan::PlanRef;

/// Attribute names used as keys.
pub mod attr {
    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const GSI1_PK: &str = "gsi1pk";
    pub const GSI1_SK: &str = "gsi1sk";
    /// Epoch seconds after which DynamoDB's TTL may delete the item.
    pub const EXPIRES_AT: &str = "expiresAt";
    /// The LA system's version of a plan; conditional writes compare it.
    pub const SOURCE_VERSION: &str = "sourceVersion";
    /// What kind of item this is ([`super::Entity`]).
    pub const ENTITY: &str = "entity";
}

/// How long each kind of item is kept: the one definition docs/DATA.md documents, the adapters
/// stamp into `expiresAt`, reconciliation sweeps by, and the tests check item by item.
pub mod keep {
    /// An access (visit, silent read, refused attempt, history read): the audit trail.
    pub const ACCESS_DAYS: i64 = 730;
    /// A notification to an LA.
    pub const NOTIFICATION_DAYS: i64 = 730;
    /// A plan projection's tombstone (withdrawn or moved).
    pub const TOMBSTONE_DAYS: i64 = 30;
    /// A batch of a full extract (reconciliation needs only the latest).
    pub const EXTRACT_PART_DAYS: i64 = 35;
    /// A dated copy of a reconciliation report (the latest is kept until replaced).
    pub const REPORT_COPY_DAYS: i64 = 90;
    /// A reconciliation segment checkpoint.
    pub const CHECKPOINT_DAYS: i64 = 7;
    /// An LA's indicators for one week (counts only), from the end of the week.
    pub const INDICATOR_DAYS: i64 = 730;
    /// A user's lookups in one hour (counts only, for the privacy officer's view): a quarter of
    /// weeks, each with the four weeks before it that set a user's usual hours. Longer is only
    /// storage (up to one item per lookup): the audit trail itself keeps every access 2 years.
    pub const USAGE_DAYS: i64 = 92;
    /// A change to an LA's profile (who, when, old and new values): as long as the audit trail.
    pub const PROFILE_CHANGE_DAYS: i64 = 730;
    /// A clinician's demographic search: as long as the audit trail.
    pub const SEARCH_DAYS: i64 = 730;
    // Unmatched plans and their demographic entries: as plan records. A matched unmatched
    // record: the retention from when its number arrived.
    // Plan records and live projections: the plan's end date (or a withdrawal) plus the
    // configured retention (`cpindex::plan::Retention`, 12 months by default).
}

/// Every kind of item the table holds, as stored in its `entity` attribute. Reconciliation and
/// every reader classify items through this type, never through string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// The authoritative record of an LA's plan (under the LA's reference).
    PlanRecord,
    /// A plan as lookups see it (in the child's partition), or its tombstone.
    PlanProjection,
    /// An access (visit, silent read, denied attempt).
    Access,
    Notification,
    LaProfile,
    /// One batch of a full extract: the (plan reference, version) pairs it carried.
    ExtractPart,
    /// Which extract is an LA's latest.
    ExtractLatest,
    ReconciliationReport,
    /// Reconciliation's run state and segment checkpoints.
    ReconciliationRun,
    /// An LA's indicator counts for one week (events, or what the nightly pass measured).
    Indicators,
    /// The fingerprint of the child key the data is written under (one item, kept for good).
    KeyFingerprint,
    /// One user's lookups (and refusals, audit reads) in one hour (`cpindex::usage`).
    Usage,
    /// One change to an LA's profile: who made it, when, the values before and after.
    ProfileChange,
    /// When an LA was last alerted about a child, and whether it acknowledged (in the child's
    /// partition, read with the plans).
    AlertState,
    /// An alert waiting for its acknowledgement deadline (`cpindex::overdue`): gone once checked
    /// after the deadline.
    AlertDue,
    /// An overdue alert not yet acknowledged: gone when the LA acknowledges it.
    OverdueAlert,
    /// A plan recorded without an NHS number (`cpindex::unmatched`), beside the plan record.
    UnmatchedPlan,
    /// A pointer from one demographic key to a plan it was recorded with
    /// (`cpindex::demographics`): checked against the plan at every search.
    DemographicEntry,
    /// A clinician's demographic search, kept under its exact key (`cpindex::child_search`).
    DemographicSearch,
}

impl Entity {
    pub const ALL: [Entity; 19] = [
        Entity::PlanRecord,
        Entity::PlanProjection,
        Entity::Access,
        Entity::Notification,
        Entity::LaProfile,
        Entity::ExtractPart,
        Entity::ExtractLatest,
        Entity::ReconciliationReport,
        Entity::ReconciliationRun,
        Entity::Indicators,
        Entity::KeyFingerprint,
        Entity::Usage,
        Entity::ProfileChange,
        Entity::AlertState,
        Entity::AlertDue,
        Entity::OverdueAlert,
        Entity::UnmatchedPlan,
        Entity::DemographicEntry,
        Entity::DemographicSearch,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Entity::PlanRecord => "plan_record",
            Entity::PlanProjection => "plan_projection",
            Entity::Access => "access",
            Entity::Notification => "notification",
            Entity::LaProfile => "la_profile",
            Entity::ExtractPart => "extract_part",
            Entity::ExtractLatest => "extract_latest",
            Entity::ReconciliationReport => "reconciliation_report",
            Entity::ReconciliationRun => "reconciliation_run",
            Entity::Indicators => "indicators",
            Entity::KeyFingerprint => "key_fingerprint",
            Entity::Usage => "usage",
            Entity::ProfileChange => "profile_change",
            Entity::AlertState => "alert_state",
            Entity::AlertDue => "alert_due",
            Entity::OverdueAlert => "overdue_alert",
            Entity::UnmatchedPlan => "unmatched_plan",
            Entity::DemographicEntry => "demographic_entry",
            Entity::DemographicSearch => "demographic_search",
        }
    }

    pub fn parse(raw: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

/// A global secondary index (string keys, all attributes projected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GsiDef {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

/// The single table's shape (all keys are strings; billing on demand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDef {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub gsis: &'static [GsiDef],
    pub ttl_attribute: &'static str,
}

/// Per-organisation listings (an LA's plans, later its notifications and reports).
pub const GSI1: GsiDef = GsiDef {
    name: "gsi1",
    partition_key: attr::GSI1_PK,
    sort_key: attr::GSI1_SK,
};

/// The index table.
pub const TABLE: TableDef = TableDef {
    partition_key: attr::PK,
    sort_key: attr::SK,
    gsis: &[GSI1],
    ttl_attribute: attr::EXPIRES_AT,
};

/// A queue and its dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDef {
    /// Suffix of the queue's name (`<stack>-<suffix>`) and of its DLQ (`<suffix>-dlq`).
    pub suffix: &'static str,
    /// Environment variable that carries the queue's URL to functions.
    pub url_env: &'static str,
    /// Seconds a received message stays hidden; at least six times the consumer's timeout.
    pub visibility_timeout_s: u32,
    /// Receives before a message moves to the DLQ.
    pub max_receive_count: u32,
    /// Days a message is kept in the DLQ (the SQS maximum is 14).
    pub dlq_retention_days: u32,
}

/// Unscheduled-care accesses waiting to be turned into one notification per responsible LA.
pub const ALERT_FANOUT_QUEUE: QueueDef = QueueDef {
    suffix: "alert-fanout",
    url_env: crate::config::env::ALERT_FANOUT_QUEUE_URL,
    visibility_timeout_s: 180,
    max_receive_count: 5,
    dlq_retention_days: 14,
};

/// Notifications waiting to be delivered to an LA's webhook (retried with back-off).
pub const ALERT_DELIVERY_QUEUE: QueueDef = QueueDef {
    suffix: "alert-delivery",
    url_env: crate::config::env::ALERT_DELIVERY_QUEUE_URL,
    visibility_timeout_s: 180,
    max_receive_count: 6,
    dlq_retention_days: 14,
};

/// Every queue the system uses.
pub const QUEUES: &[QueueDef] = &[ALERT_FANOUT_QUEUE, ALERT_DELIVERY_QUEUE];

impl QueueDef {
    pub fn name(&self, stack: &str) -> String {
        format!("{stack}-{}", self.suffix)
    }

    pub fn dlq_name(&self, stack: &str) -> String {
        format!("{stack}-{}-dlq", self.suffix)
    }
}

/// Key builders. Every item's keys are made here and nowhere else.
pub mod key {
    use super::*;

    /// Partition of everything about one child (or, for UCPP, one pregnant woman), by the
    /// child's key: never the NHS number itself (`crate::child_key`).
    pub fn child_pk(child: &ChildKey) -> String {
        format!("{CHILD_PREFIX}{child}")
    }

    /// What [`child_pk`] puts before the child's key.
    pub const CHILD_PREFIX: &str = "CHILD#";

    pub const PLAN_PREFIX: &str = "PLAN#";
    pub const VISIT_PREFIX: &str = "VISIT#";
    pub const ACCESS_PREFIX: &str = "ACCESS#";
    /// Refused attempts and reads of the audit trail: kept apart from accesses, so that no number
    /// of them can push a real access out of a window that lists accesses.
    pub const AUDIT_PREFIX: &str = "AUDIT#";
    /// The first view of each attendance (one per user per day, written by fan-out for a child
    /// on a plan), inside the visits' own range but sorting before every raw visit ('~' is above
    /// every digit): the newest-first read of visits meets every attendance before any repeat,
    /// however many repeats there are.
    pub const ATTENDANCE_PREFIX: &str = "VISIT#~";

    /// A plan as a lookup sees it, inside the child's partition.
    pub fn child_plan_sk(org: &OrgCode, plan_ref: &PlanRef) -> String {
        format!("{PLAN_PREFIX}{org}#{plan_ref}")
    }

    /// An unmatched plan's record, beside the plan record under the same reference (one query
    /// reads both).
    pub const UNMATCHED_SK: &str = "UNMATCHED";

    /// GSI1: an LA's unmatched plans (its reconciliation report lists them).
    pub fn org_unmatched_gsi(org: &OrgCode) -> String {
        format!("ORG#{org}#UNMATCHED")
    }

    /// One demographic key's partition: entries pointing at plans, and the searches made.
    pub fn demographic_pk(key: &crate::demographics::DemographicKey) -> String {
        format!("DEMO#{key}")
    }

    /// A demographic entry's sort key (inside [`PLAN_PREFIX`]).
    pub fn demographic_plan_sk(org: &OrgCode, plan_ref: &PlanRef) -> String {
        format!("{PLAN_PREFIX}{org}#{plan_ref}")
    }

    pub const SEARCH_PREFIX: &str = "SEARCH#";

    /// A search's audit record under its exact key.
    pub fn demographic_search_sk(at: DateTime<Utc>, search_id: &str) -> String {
        format!("{SEARCH_PREFIX}{}#{search_id}", sortable_time(at))
    }

    /// The authoritative record of an LA's plan, addressed by the LA's own reference.
    pub fn plan_ref_pk(org: &OrgCode, plan_ref: &PlanRef) -> String {
        format!("ORG#{org}#PLAN#{plan_ref}")
    }

    /// Sort key of single-item partitions.
    pub const CURRENT: &str = "CURRENT";

    /// GSI1 partition listing one LA's plans.
    pub fn org_plans_gsi(org: &OrgCode) -> String {
        format!("ORG#{org}#PLANS")
    }

    /// Timestamps in sort keys: fixed width, so they sort as time does.
    pub fn sortable_time(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Refused attempts and history reads (see [`AUDIT_PREFIX`]).
    pub fn audit_sk(at: DateTime<Utc>, access_id: &str) -> String {
        format!("{AUDIT_PREFIX}{}#{access_id}", sortable_time(at))
    }

    /// An attendance's first view (see [`ATTENDANCE_PREFIX`]).
    pub fn attendance_sk(at: DateTime<Utc>, access_id: &str) -> String {
        format!("{ATTENDANCE_PREFIX}{}#{access_id}", sortable_time(at))
    }

    /// A visit to unscheduled care, newest last in key order.
    pub fn visit_sk(at: DateTime<Utc>, access_id: &str) -> String {
        format!("{VISIT_PREFIX}{}#{access_id}", sortable_time(at))
    }

    /// GSI1 partition of accesses whose alert fan-out is not yet confirmed (a sparse index:
    /// fan-out removes the attribute, so only pending accesses are listed).
    pub const PENDING_ACCESSES_GSI: &str = "PENDING#ACCESS";

    /// A notification to an LA.
    pub fn notification_pk(id: &str) -> String {
        format!("NOTE#{id}")
    }

    /// GSI1 partition listing one LA's notifications (newest last in key order).
    pub fn org_notifications_gsi(org: &OrgCode) -> String {
        format!("ORG#{org}#NOTES")
    }

    /// An LA's profile.
    pub fn profile_pk(org: &OrgCode) -> String {
        format!("ORG#{org}#PROFILE")
    }

    /// The audit record of one access.
    pub fn access_sk(at: DateTime<Utc>, access_id: &str) -> String {
        format!("{ACCESS_PREFIX}{}#{access_id}", sortable_time(at))
    }

    /// GSI1 partition listing every LA profile.
    pub const PROFILES_GSI: &str = "PROFILES";

    /// The parts of one full extract.
    pub fn extract_pk(org: &OrgCode, extract_id: &str) -> String {
        format!("ORG#{org}#EXTRACT#{extract_id}")
    }

    pub const EXTRACT_PART_PREFIX: &str = "PART#";

    /// One batch of a full extract.
    pub fn extract_part_sk(batch_id: &str) -> String {
        format!("{EXTRACT_PART_PREFIX}{batch_id}")
    }

    /// The pointer to an LA's latest full extract (sort key [`LATEST`]).
    pub fn latest_extract_pk(org: &OrgCode) -> String {
        format!("ORG#{org}#EXTRACTS")
    }

    /// GSI1 partition listing every LA with an extract.
    pub const EXTRACTS_GSI: &str = "EXTRACTS";

    /// Sort key of "the latest" pointers and reports.
    pub const LATEST: &str = "LATEST";

    /// An LA's reconciliation reports (sort keys [`LATEST`] and [`report_run_sk`]).
    pub fn la_report_pk(org: &OrgCode) -> String {
        format!("ORG#{org}#RECON")
    }

    /// The operator's reconciliation reports.
    pub const OPERATOR_REPORT_PK: &str = "OPS#RECON";

    /// The child key's fingerprint: partition and sort key of its one item.
    pub const KEY_FINGERPRINT_PK: &str = "CONFIG#CHILD-KEY";
    pub const KEY_FINGERPRINT_SK: &str = "CURRENT";

    /// A dated copy of a report.
    pub fn report_run_sk(at: DateTime<Utc>) -> String {
        format!("RUN#{}", sortable_time(at))
    }

    /// Prefix of reconciliation's own bookkeeping partitions (skipped by its scan).
    pub const RECON_PREFIX: &str = "RECON#";

    /// Reconciliation's run state (sort key [`CURRENT`]).
    pub const RECON_STATE_PK: &str = "RECON#STATE";

    /// The lease one reconciliation step holds while it runs (sort key [`CURRENT`]).
    pub const RECON_LEASE_PK: &str = "RECON#LEASE";

    /// The segment checkpoints of one reconciliation run.
    pub fn recon_run_pk(run_id: &str) -> String {
        format!("{RECON_PREFIX}RUN#{run_id}")
    }

    /// One segment's checkpoint.
    pub fn segment_sk(segment: u32) -> String {
        format!("SEG#{segment}")
    }

    /// The findings of one page of one segment's scan (pages counted from 1). Each page's are
    /// an item of their own, so no item grows with the table or the number of LAs.
    pub fn segment_page_sk(segment: u32, page: u64) -> String {
        format!("{}{page:08}", segment_pages_prefix(segment))
    }

    /// Every LA's indicators for one ISO week (`2026-W49`): one partition a page view queries
    /// whole, for the LA's figures and the national median at once.
    pub fn indicators_pk(week: &crate::indicators::IsoWeek) -> String {
        format!("IND#{week}")
    }

    /// An LA's event counts of the week (added to as events happen).
    pub fn indicator_events_sk(org: &OrgCode) -> String {
        format!("ORG#{org}#EVENTS")
    }

    /// What the nightly pass last measured for an LA that week (replaced on each pass).
    pub fn indicator_state_sk(org: &OrgCode) -> String {
        format!("ORG#{org}#STATE")
    }

    /// An LA's last alert about the child, in the child's partition: inside the plans' prefix
    /// (the lookup's one query reads it), before the LA's plans (`PLAN#<la>#<ref>`).
    pub fn alert_state_sk(org: &OrgCode) -> String {
        format!("{PLAN_PREFIX}{org}")
    }

    /// One organisation's usage for one ISO week: the privacy officer's view queries it whole.
    pub fn usage_pk(org: &OrgCode, week: &crate::indicators::IsoWeek) -> String {
        format!("USAGE#{org}#{week}")
    }

    /// One user's counts for one hour (the hour first, so a partition reads in time order; the
    /// user id last, as it may hold any printable character).
    pub fn usage_sk(hour: DateTime<Utc>, user: &crate::claims::UserId) -> String {
        format!("{}#{}", hour.format("%Y-%m-%dT%H"), user.as_str())
    }

    /// The changes to an LA's profile, oldest first (in the profile's own partition).
    pub fn profile_change_sk(at: DateTime<Utc>, change_id: &str) -> String {
        format!("CHANGE#{}#{change_id}", sortable_time(at))
    }

    /// Prefix of every change to a profile.
    pub const PROFILE_CHANGE_PREFIX: &str = "CHANGE#";

    /// Alerts waiting for their acknowledgement deadline: one partition, read by when each is
    /// next looked at, up to a moment (what waits is the alerts inside their LAs' windows).
    pub const ALERT_DUE_PK: &str = "ALERT#DUE";

    /// One waiting alert, by when it is next looked at.
    pub fn alert_due_sk(check_at: DateTime<Utc>, notification_id: &str) -> String {
        format!("{}#{notification_id}", sortable_time(check_at))
    }

    /// Overdue alerts not yet acknowledged, every LA's: the operators' page reads it whole, an
    /// LA's inbox its own prefix.
    pub const OVERDUE_PK: &str = "ALERT#OVERDUE";

    /// One overdue alert, under its LA.
    pub fn overdue_sk(la: &OrgCode, notification_id: &str) -> String {
        format!("{la}#{notification_id}")
    }

    /// Prefix of one LA's overdue alerts.
    pub fn overdue_prefix(la: &OrgCode) -> String {
        format!("{la}#")
    }

    /// Prefix of every page of one segment.
    pub fn segment_pages_prefix(segment: u32) -> String {
        format!("SEG#{segment}#P#")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keys_are_stable_and_do_not_collide_across_kinds() {
        let nhs = crate::NhsNumber::parse("9434765919").unwrap();
        let keys = crate::ChildKeys::from_secret(&"k".repeat(32)).unwrap();
        let org = OrgCode::parse("E08000035").unwrap();
        let r = PlanRef::parse("CP-1", "").unwrap();
        let pk = key::child_pk(&keys.of(&nhs));
        assert_eq!(pk, format!("CHILD#{}", keys.of(&nhs)));
        assert!(!pk.contains(&nhs.digits()));
        assert_eq!(key::child_plan_sk(&org, &r), "PLAN#E08000035#CP-1");
        assert_eq!(key::plan_ref_pk(&org, &r), "ORG#E08000035#PLAN#CP-1");
        assert_ne!(key::plan_ref_pk(&org, &r), key::org_plans_gsi(&org));
    }

    #[test]
    fn visit_keys_sort_by_time() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::milliseconds(1);
        let c = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        assert!(key::visit_sk(a, "z") < key::visit_sk(b, "a"));
        assert!(key::visit_sk(b, "z") < key::visit_sk(c, "a"));
    }

    #[test]
    fn entity_kinds_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for e in Entity::ALL {
            assert_eq!(Entity::parse(e.as_str()), Some(e));
            assert!(seen.insert(e.as_str()));
        }
        assert_eq!(Entity::parse("plan"), None);
    }

    #[test]
    fn bookkeeping_keys_never_collide_with_an_la_s_items() {
        let org = OrgCode::parse("E08000035").unwrap();
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let pks = [
            key::extract_pk(&org, "x"),
            key::latest_extract_pk(&org),
            key::la_report_pk(&org),
            key::org_plans_gsi(&org),
            key::profile_pk(&org),
            key::org_notifications_gsi(&org),
        ];
        let unique: std::collections::HashSet<_> = pks.iter().collect();
        assert_eq!(unique.len(), pks.len());
        assert!(key::recon_run_pk("r").starts_with(key::RECON_PREFIX));
        assert!(key::RECON_STATE_PK.starts_with(key::RECON_PREFIX));
        assert!(key::RECON_LEASE_PK.starts_with(key::RECON_PREFIX));
        assert!(key::report_run_sk(t) < key::report_run_sk(t + chrono::Duration::seconds(1)));
    }

    #[test]
    fn queue_names_derive_from_the_stack() {
        assert_eq!(ALERT_FANOUT_QUEUE.name("dev"), "dev-alert-fanout");
        assert_eq!(ALERT_FANOUT_QUEUE.dlq_name("dev"), "dev-alert-fanout-dlq");
    }
}
