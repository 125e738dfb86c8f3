//! What each sample is for.

use super::*;

/// State a sample needs beyond the seeded world (applied in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prep {
    /// Leeds's seeded notification failed every delivery attempt and sits in the delivery DLQ.
    DeadLettered,
    /// An unscheduled-care access ten minutes old whose fan-out never confirmed.
    PendingAccess,
    /// One complete reconciliation run: the LA and operator reports exist.
    Reconciled,
}

/// The answer a sample gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// An HTTP response with this status.
    Status(u16),
    /// An SQS batch response reporting exactly these message ids as failed.
    Failed(&'static [&'static str]),
    /// A complete reconciliation run.
    Run,
}

/// A fact about the answer's JSON: the value at a pointer, or the length of the array there.
#[derive(Debug, Clone)]
pub(crate) enum Fact {
    Is(&'static str, Value),
    Len(&'static str, usize),
}

/// A fact about the world after the sample ran.
#[derive(Debug, Clone, Copy)]
pub(crate) enum After {
    /// Messages waiting on the fan-out queue.
    FanoutQueued(usize),
    /// Messages waiting on the delivery queue.
    DeliveryQueued(usize),
    /// The status of the notification of (access id, LA).
    Notification(&'static str, &'static str, DeliveryStatus),
}

#[derive(Debug, Clone)]
pub(crate) struct Expectation {
    pub(crate) sample: &'static str,
    pub(crate) prep: &'static [Prep],
    pub(crate) expect: Expect,
    pub(crate) facts: Vec<Fact>,
    pub(crate) after: Vec<After>,
}

pub(crate) fn sample(sample: &'static str, expect: Expect) -> Expectation {
    Expectation {
        sample,
        prep: &[],
        expect,
        facts: Vec::new(),
        after: Vec::new(),
    }
}

impl Expectation {
    pub(crate) fn prep(mut self, prep: &'static [Prep]) -> Self {
        self.prep = prep;
        self
    }

    pub(crate) fn is(mut self, pointer: &'static str, value: Value) -> Self {
        self.facts.push(Fact::Is(pointer, value));
        self
    }

    pub(crate) fn len(mut self, pointer: &'static str, n: usize) -> Self {
        self.facts.push(Fact::Len(pointer, n));
        self
    }

    pub(crate) fn after(mut self, after: After) -> Self {
        self.after.push(after);
        self
    }
}

/// Every sample in `events/` and what its handler must answer.
pub(crate) fn expectations() -> Vec<Expectation> {
    use Expect::{Failed, Run, Status};
    use Prep::{DeadLettered, PendingAccess, Reconciled};
    let seeded_note = seeded_notification();
    vec![
        // plan-upsert
        sample("plan-upsert/put-plan.json", Status(201))
            .is("/outcome", json!("created"))
            .is("/planRef", json!("CP-2026-0002"))
            .is("/status", json!("active")),
        sample("plan-upsert/put-plan-stale-version.json", Status(409))
            .is("/code", json!("stale_version"))
            .is("/currentVersion", json!(3)),
        sample("plan-upsert/get-plan.json", Status(200))
            .is("/planRef", json!("CP-2026-0001"))
            .is("/sourceVersion", json!(3)),
        sample("plan-upsert/list-plans.json", Status(200))
            .len("/items", 1)
            .is("/items/0/planRef", json!("CP-2026-0001")),
        sample("plan-upsert/withdraw-plan.json", Status(200)).is("/status", json!("withdrawn")),
        sample("plan-upsert/post-csv-extract.json", Status(200))
            .is("/batch/records/0/outcome", json!("created"))
            .is("/batch/records/1/outcome", json!("rejected"))
            .is("/lines", json!([2, 3]))
            .is("/columns/1", json!("nhs_number")),
        sample("plan-upsert/post-full-extract.json", Status(200))
            .is("/fileOutcome", json!("all_loaded"))
            .is("/extractId", json!("leeds-2026-11-22"))
            .is("/records/0/outcome", json!("unchanged"))
            .is("/records/1/outcome", json!("created")),
        // web
        sample("web/get-app.json", Status(200)),
        sample("web/get-asset.json", Status(200)),
        sample("web/get-site-root.json", Status(303)),
        // lookup
        sample("lookup/get-child.json", Status(200))
            .is("/hasPlan", json!(true))
            .len("/plans", 1)
            .is("/plans/0/responsibleLa/code", json!(LEEDS))
            .len("/visits", 1)
            .after(After::FanoutQueued(1)),
        sample("lookup/get-child-silent-read.json", Status(200))
            .len("/plans", 1)
            .is("/plans/0/responsibleLa/code", json!(CAMDEN))
            .after(After::FanoutQueued(0)),
        // The operator's audit: the read itself is audited first, so it leads the trail.
        sample("lookup/get-child-accesses.json", Status(200))
            .is("/0/outcome", json!("history_read"))
            .is("/0/userId", json!("ops-17"))
            .is(
                "/0/purpose",
                json!("SAR-2026-114: the mother's subject access request"),
            )
            .after(After::FanoutQueued(0)),
        // A health visitor records a missed appointment: the same 202 for any child, the
        // record handed to fan-out (which tells the LAs of an active plan).
        sample("lookup/post-missed-appointment.json", Status(202)).after(After::FanoutQueued(1)),
        // A search without an NHS number: nothing seeded carries demographics, so no match, and
        // no one is alerted.
        sample("lookup/post-child-search.json", Status(200))
            .is("/outcome", json!("no_match"))
            .is("/widened", json!(true))
            .len("/matches", 0)
            .after(After::FanoutQueued(0)),
        // FHIR: the national searches, through API Gateway's event as an ED system sends it.
        sample("lookup/fhir-care-team.json", Status(200))
            .is("/resourceType", json!("Bundle"))
            .is("/total", json!(1))
            .is(
                "/entry/0/resource/category/0/coding/0/code",
                json!("342191000000101"),
            )
            .after(After::FanoutQueued(1)),
        // The Patient Flags search: one flag, its care plan and care team included.
        sample("lookup/fhir-flag.json", Status(200))
            .is("/resourceType", json!("Bundle"))
            .is("/total", json!(1))
            .is(
                "/entry/0/resource/code/coding/0/code",
                json!("child-protection-information-system-flag"),
            )
            .len("/entry", 3)
            .after(After::FanoutQueued(1)),
        sample("lookup/fhir-audit-event-silent.json", Status(200))
            .is("/resourceType", json!("Bundle"))
            .is("/type", json!("searchset"))
            .after(After::FanoutQueued(0)),
        sample("lookup/fhir-metadata.json", Status(200))
            .is("/resourceType", json!("CapabilityStatement")),
        sample("lookup/get-child-invalid-nhs-number.json", Status(400))
            .is("/code", json!("invalid_nhs_number"))
            .is("/field", json!("/nhsNumber"))
            .after(After::FanoutQueued(0)),
        // inbox
        sample("inbox/list-notifications.json", Status(200))
            .len("/items", 1)
            .is("/items/0/notificationId", json!(seeded_note))
            .is("/items/0/status", json!("pending")),
        sample("inbox/acknowledge-notification.json", Status(200))
            .is("/notificationId", json!(seeded_note))
            .is("/acknowledgedBy", json!("sw-1042")),
        sample("inbox/get-plan-accesses.json", Status(200))
            .len("", 1)
            .is("/0/accessId", json!(SEEDED_ACCESS))
            .is("/0/settingCode", json!("RR801")),
        sample("inbox/put-la-profile.json", Status(200))
            .is("/org", json!(CAMDEN))
            .is("/updatedBy", json!("ops-3")),
        sample("inbox/get-la-profile.json", Status(200))
            .is("/org", json!(LEEDS))
            .is("/emergencyDutyPhone", json!("0113 535 0600")),
        // The world's profiles were set up directly in the table: no change recorded through
        // the API yet.
        sample("inbox/get-la-profile-history.json", Status(200)).len("/items", 0),
        sample("inbox/list-la-profiles.json", Status(200))
            .len("/items", 2)
            .is("/items/0/org", json!(LEEDS))
            .is("/items/1/org", json!(CAMDEN)),
        sample("inbox/get-reconciliation-report.json", Status(200))
            .prep(&[Reconciled])
            .is("/la", json!(LEEDS))
            .is("/findings/indexCount", json!(1))
            .is("/extract", Value::Null),
        // After a pass: Leeds's one plan counted, and shown as "fewer than 5".
        sample("reports/get-indicators.json", Status(200))
            .prep(&[Reconciled])
            .is("/scope", json!(LEEDS))
            .len("/weeks", 4)
            .is("/indicators/1/key", json!("plans_cpp"))
            .is("/indicators/1/values/3", json!({"shown": "fewer_than_5"})),
        // The privacy officer's week: the sample world's clinician (RR801) is another
        // organisation's, so RR8's view of that week holds no user.
        sample("reports/get-usage.json", Status(200))
            .is("/org", json!("RR8"))
            .is("/week", json!("2026-W47"))
            .len("/users", 0),
        // The operators' page of overdue alerts: the world's alert is younger than its window.
        sample("reports/get-overdue-alerts.json", Status(200))
            .is("/total", json!(0))
            .len("/las", 0),
        // ops
        sample("ops/run-reconciliation.json", Status(200))
            .is("/complete", json!(true))
            .is("/reportsWritten", json!(2)),
        sample("ops/get-dead-letters.json", Status(200))
            .prep(&[DeadLettered, Reconciled])
            .is("/queueDepth", json!(1))
            .is("/latestReport/deadLettersByLa/E08000035/failed", json!(1)),
        sample("ops/redrive-dead-letters.json", Status(200))
            .prep(&[DeadLettered])
            .is("/redriven", json!(1))
            .after(After::DeliveryQueued(1))
            .after(After::Notification(
                SEEDED_ACCESS,
                LEEDS,
                DeliveryStatus::Pending,
            )),
        // queue consumers: the poison message, and it alone, comes back for retry
        sample(
            "alert-fanout/accesses-with-poison.json",
            Failed(&["0a6f5b2e-5d1c-4f7a-9e3b-2c8d7f6a1b02"]),
        )
        .after(After::Notification(
            SAMPLE_ACCESS,
            LEEDS,
            DeliveryStatus::Pending,
        ))
        .after(After::DeliveryQueued(1)),
        sample(
            "alert-delivery/deliveries-with-poison.json",
            Failed(&["3c9e1d7a-8b2f-4e5c-a6d4-7f0b9e2c3d02"]),
        )
        .after(After::Notification(
            SEEDED_ACCESS,
            LEEDS,
            DeliveryStatus::Inbox,
        )),
        // the schedule
        sample("reconcile/scheduled-run.json", Run)
            .prep(&[PendingAccess])
            .is("/complete", json!(true))
            .is("/alertsRedriven", json!(1))
            .is("/reportsWritten", json!(2))
            .after(After::FanoutQueued(1)),
    ]
}

pub(crate) fn seeded_notification() -> String {
    notification_id(SEEDED_ACCESS, &org(LEEDS))
}
