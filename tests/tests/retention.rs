//! Every item kind is stamped with the lifetime docs/DATA.md gives it (`cpindex::keys::keep` and
//! the plan retention are the one definition), read back from the table item by item; and a
//! change of the retention setting reaches plans already stored.
//!
//! Needs the emulator (`EMULATOR_URL`).

use std::time::{Duration as StdDuration, Instant};

use adapters::queue::SqsQueue;
use adapters::store::access::AccessStore;
use adapters::store::extracts::{self, ExtractEntry, ExtractPart};
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::{epoch_of_day, Known, PlanStore};
use adapters::store::{Item, Table};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cpindex::access::{Access, AccessOutcome};
use cpindex::claims::Claims;
use cpindex::keys::{attr, keep, Entity, ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::notification::Notification;
use cpindex::{FixedClock, NhsNumber, OrgCode, Plan, PlanRef, PlanType, Retention, Role};
use integration_tests::fixtures::LEEDS;
use integration_tests::Emulator;
use reconcile::{Budget, Reconciler, Settings};
use serde_json::json;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn org() -> OrgCode {
    OrgCode::parse(LEEDS).unwrap()
}

fn child() -> NhsNumber {
    NhsNumber::parse("9434765919").unwrap()
}

fn plan(plan_ref: &str, end: Option<&str>, version: u64) -> Plan {
    let mut v = json!({"planRef": plan_ref, "nhsNumber": "9434765919", "planType": "CPP",
        "startDate": "2026-01-10", "sourceVersion": version});
    if let Some(end) = end {
        v["endDate"] = json!(end);
    }
    Plan::from_json(&v, "", None, now().date_naive()).unwrap()
}

fn expires(item: &Item) -> Option<i64> {
    item.get(attr::EXPIRES_AT)?.as_n().ok()?.parse().ok()
}

fn entity(item: &Item) -> Option<Entity> {
    Entity::parse(item.get(attr::ENTITY)?.as_s().ok()?)
}

fn day(s: &str) -> i64 {
    epoch_of_day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn reconciler(
    emu: &Emulator,
    table: &Table,
    fanout: &str,
    delivery: (&str, &str),
    at: DateTime<Utc>,
    retention: Retention,
) -> Reconciler<FixedClock> {
    Reconciler::new(
        table.clone(),
        SqsQueue::new(emu.sqs.clone(), fanout),
        SqsQueue::new(emu.sqs.clone(), delivery.0),
        SqsQueue::new(emu.sqs.clone(), delivery.1),
        retention,
        FixedClock::at(at),
    )
    // One segment of one-item pages: a step stopped after a page is surely unfinished (the
    // scanned index holds only a few of the test's items).
    .with_settings(Settings {
        segments: 1,
        page_size: 1,
        ..Settings::default()
    })
}

#[tokio::test]
async fn every_item_kind_carries_the_lifetime_the_data_document_gives_it() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (_, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let (_, delivery) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
    let retention = Retention::default();
    let plans = PlanStore::new(table.clone(), retention);
    let t = now();
    let day_secs = 86_400;

    // Plans: a live, ended plan (end + retention), a withdrawn one (withdrawal + retention, and
    // its tombstone 30 days), an open plan (no expiry while open).
    for (plan_ref, end) in [
        ("ENDED", Some("2026-06-01")),
        ("OPEN", None),
        ("GONE", None),
    ] {
        plans
            .upsert(
                &org(),
                plan(plan_ref, end, 1),
                integration_tests::child_key(&child()),
                "sw",
                t,
                Known::Unread,
            )
            .await
            .unwrap();
    }
    plans
        .withdraw(&org(), &PlanRef::parse("GONE", "").unwrap(), 2, "sw", t)
        .await
        .unwrap();
    // An access, a notification, an extract part, reports.
    let claims = Claims::from_lookup(|k| match k {
        "org" => Some("RR801"),
        "role" => Some(Role::UnscheduledCare.as_str()),
        "sub" => Some("dr-1"),
        _ => None,
    })
    .unwrap();
    let access = Access::new(
        &claims,
        integration_tests::child_key(&child()),
        t,
        AccessOutcome::Allowed,
    );
    AccessStore::new(table.clone())
        .record(&access)
        .await
        .unwrap();
    adapters::store::usage::UsageStore::new(table.clone())
        .count(&claims, t, cpindex::usage::Use::Lookup)
        .await
        .unwrap();
    // A change to an LA's profile (its record and the LA's inbox note).
    let mut profile = integration_tests::fixtures::profile(integration_tests::fixtures::LEEDS);
    let before = profile.clone();
    profile.team = "Another team".into();
    let change =
        cpindex::profile_change::ProfileChange::between(Some(&before), &profile, &claims, t);
    adapters::store::profile_history::ProfileHistory::new(table.clone())
        .save(&profile, change.as_ref())
        .await
        .unwrap();
    let n = Notification::new(&access, child(), org(), vec![PlanType::Cpp], t);
    NotificationStore::new(table.clone())
        .create(&n)
        .await
        .unwrap();
    // Whether the LA knows: the alert's state in the child's partition.
    adapters::store::alert_state::AlertStates::new(table.clone())
        .alerted(
            &integration_tests::child_key(&child()),
            &org(),
            &n.notification_id,
            t,
        )
        .await
        .unwrap();
    // The alert waiting for its deadline, and (escalated by hand) listed overdue.
    let overdue = adapters::store::overdue::OverdueStore::new(table.clone());
    overdue.wait(&n).await.unwrap();
    let note = Notification::overdue(&n, t, t);
    let listed = cpindex::overdue::OverdueAlert {
        la: n.la.clone(),
        notification_id: n.notification_id.clone(),
        overdue_notification_id: note.notification_id.clone(),
        seen_at: t,
        deadline: t,
        overdue_at: t,
        setting_code: n.setting_code.clone(),
        setting_name: None,
    };
    assert_eq!(
        overdue.escalate(&n, &note, &listed).await.unwrap(),
        adapters::store::overdue::Escalated::Now
    );
    extracts::ExtractStore::new(table.clone())
        .record(&ExtractPart {
            org: org(),
            extract_id: "E-1".into(),
            batch_id: "b-1".into(),
            received_at: t,
            entries: vec![ExtractEntry {
                plan_ref: PlanRef::parse("OPEN", "").unwrap(),
                source_version: 1,
            }],
            not_loaded: vec![],
        })
        .await
        .unwrap();
    // A reconciliation step small enough to leave checkpoints, then a whole run (reports).
    let r = reconciler(
        &emu,
        &table,
        &fanout.queue,
        (&delivery.queue, &delivery.dlq),
        t,
        retention,
    );
    let stopped = r
        .run(Budget {
            deadline: Instant::now() + StdDuration::from_secs(60),
            max_pages: Some(1),
        })
        .await
        .unwrap();
    assert!(!stopped.complete);
    let items = emu.scan_all(&table).await;
    let mut checked = std::collections::BTreeSet::new();
    for item in &items {
        let pk = item
            .get(attr::PK)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        let sk = item
            .get(attr::SK)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        let Some(kind) = entity(item) else { continue };
        let want = match kind {
            Entity::PlanRecord if pk.ends_with("#ENDED") => Some(day("2027-06-01")),
            Entity::PlanRecord if pk.ends_with("#GONE") => Some(day("2027-11-22")),
            Entity::PlanRecord => None,
            Entity::PlanProjection if sk.ends_with("#ENDED") => Some(day("2027-06-01")),
            Entity::PlanProjection if sk.ends_with("#GONE") => {
                Some(t.timestamp() + keep::TOMBSTONE_DAYS * day_secs)
            }
            Entity::PlanProjection => None,
            Entity::Access => Some(t.timestamp() + keep::ACCESS_DAYS * day_secs),
            Entity::Usage => {
                Some(cpindex::usage::hour_of(t).timestamp() + keep::USAGE_DAYS * day_secs)
            }
            Entity::ProfileChange => Some(t.timestamp() + keep::PROFILE_CHANGE_DAYS * day_secs),
            Entity::Notification | Entity::AlertState | Entity::AlertDue | Entity::OverdueAlert => {
                Some(t.timestamp() + keep::NOTIFICATION_DAYS * day_secs)
            }
            Entity::ExtractPart => Some(t.timestamp() + keep::EXTRACT_PART_DAYS * day_secs),
            Entity::ReconciliationRun if sk.starts_with("SEG#") => {
                Some((t + Duration::days(keep::CHECKPOINT_DAYS)).timestamp())
            }
            Entity::ReconciliationRun
            | Entity::ExtractLatest
            | Entity::LaProfile
            | Entity::KeyFingerprint => None,
            Entity::ReconciliationReport | Entity::Indicators => continue,
            // Not written here: tests/tests/child_search.rs checks their expiry.
            Entity::UnmatchedPlan | Entity::DemographicEntry | Entity::DemographicSearch => {
                continue
            }
        };
        assert_eq!(expires(item), want, "{kind:?} {pk} {sk}");
        checked.insert(kind.as_str());
    }
    // Finish the run: the reports (the latest kept until replaced, dated copies 90 days).
    assert!(
        r.run(Budget {
            deadline: Instant::now() + StdDuration::from_secs(60),
            max_pages: None
        })
        .await
        .unwrap()
        .complete
    );
    for item in emu
        .scan_all(&table)
        .await
        .iter()
        .filter(|i| entity(i) == Some(Entity::ReconciliationReport))
    {
        let sk = item
            .get(attr::SK)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        let want = (sk != cpindex::keys::key::LATEST)
            .then(|| t.timestamp() + keep::REPORT_COPY_DAYS * day_secs);
        assert_eq!(expires(item), want, "report {sk}");
        checked.insert(Entity::ReconciliationReport.as_str());
    }
    // The pass's indicators: kept two years after the end of the week they count.
    for item in emu
        .scan_all(&table)
        .await
        .iter()
        .filter(|i| entity(i) == Some(Entity::Indicators))
    {
        let pk = item
            .get(attr::PK)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        let week: cpindex::indicators::IsoWeek = pk.trim_start_matches("IND#").parse().unwrap();
        assert_eq!(week, cpindex::indicators::IsoWeek::of(t));
        assert_eq!(
            expires(item),
            Some(week.kept_until().timestamp()),
            "indicators {pk}"
        );
        assert!(week.kept_until() >= t + Duration::days(keep::INDICATOR_DAYS));
        checked.insert(Entity::Indicators.as_str());
    }
    for kind in [
        Entity::PlanRecord,
        Entity::PlanProjection,
        Entity::Access,
        Entity::Usage,
        Entity::ProfileChange,
        Entity::AlertState,
        Entity::AlertDue,
        Entity::OverdueAlert,
        Entity::Notification,
        Entity::ExtractPart,
        Entity::ExtractLatest,
        Entity::ReconciliationReport,
        Entity::ReconciliationRun,
        Entity::Indicators,
    ] {
        assert!(
            checked.contains(kind.as_str()),
            "{kind:?} was not written and checked"
        );
    }
}

#[tokio::test]
async fn a_shorter_retention_reaches_plans_already_stored() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (_, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let (_, delivery) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
    let twelve = PlanStore::new(table.clone(), Retention::default());
    twelve
        .upsert(
            &org(),
            plan("ENDED", Some("2026-05-01"), 1),
            integration_tests::child_key(&child()),
            "sw",
            now(),
            Known::Unread,
        )
        .await
        .unwrap();
    let stamp = |items: &[Item]| -> Vec<Option<i64>> {
        let mut v: Vec<_> = items
            .iter()
            .filter(|i| matches!(entity(i), Some(Entity::PlanRecord | Entity::PlanProjection)))
            .map(expires)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        stamp(&emu.scan_all(&table).await),
        vec![Some(day("2027-05-01")); 2]
    );

    // The operator shortens the retention to 6 months: the next run re-stamps record and
    // projection (2026-11-01, already past), and the run after deletes both.
    let six = Retention { months: 6 };
    let budget = || Budget {
        deadline: Instant::now() + StdDuration::from_secs(60),
        max_pages: None,
    };
    let r = reconciler(
        &emu,
        &table,
        &fanout.queue,
        (&delivery.queue, &delivery.dlq),
        now(),
        six,
    );
    assert!(r.run(budget()).await.unwrap().complete);
    assert_eq!(
        stamp(&emu.scan_all(&table).await),
        vec![Some(day("2026-11-01")); 2]
    );
    assert!(r.run(budget()).await.unwrap().complete);
    assert!(
        stamp(&emu.scan_all(&table).await).is_empty(),
        "deleted under the retention in force"
    );
}
