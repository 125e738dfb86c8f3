//! A child key rotation on the emulator, with lookups running throughout: functions restarted
//! with both keys, a switch planned ahead, plans written and re-keyed, a process that never got
//! the new key, and the old key retired once its accesses have expired. No lookup of a child on
//! a plan answers anything but the plan or 503 (`cpindex::key_state`, docs/OPERATIONS.md).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use adapters::key_rotation::{Rotation, RotationFault};
use adapters::queue::SqsQueue;
use adapters::store::plans::PlanStore;
use adapters::store::Table;
use chrono::{TimeZone, Utc};
use cpindex::key_state::{RotationError, MIN_SWITCH_LEAD};
use cpindex::keys::{key, ALERT_FANOUT_QUEUE};
use cpindex::plan_record::KeyChange;
use cpindex::{
    ChildKeys, Clock, FixedClock, Keyring, NhsNumber, OrgCode, PlanRef, PlanState, Retention,
};
use integration_tests::fixtures::{CHILD, ED, LEEDS, NOBODY, OPERATOR, OTHER_CHILD};
use integration_tests::http::{call, la, request};
use integration_tests::{logs, Emulator, TEST_CHILD_KEY_SECRET};

const NEW_SECRET: &str = "rotated-child-key-secret-fedcba9876543210";
/// How often the functions here re-read the key state (in AWS: a minute).
const REFRESH: Duration = Duration::from_millis(150);

fn one() -> String {
    format!(r#"{{"keys": [{{"id": "1", "secret": "{TEST_CHILD_KEY_SECRET}"}}]}}"#)
}

fn both() -> String {
    format!(
        r#"{{"keys": [{{"id": "1", "secret": "{TEST_CHILD_KEY_SECRET}"}}, {{"id": "2", "secret": "{NEW_SECRET}"}}]}}"#
    )
}

fn key2() -> ChildKeys {
    ChildKeys::from_secret(NEW_SECRET).unwrap()
}

fn nhs(raw: &str) -> NhsNumber {
    NhsNumber::parse(raw).unwrap()
}

/// A valid NHS number no other test uses.
fn newcomer() -> NhsNumber {
    (0..100u8)
        .find_map(|i| NhsNumber::from_first_nine([9, 4, 3, 4, 7, 6, 4, i / 10, i % 10]))
        .unwrap()
}

/// The lookup and plan-upsert routers of one (re)started process, holding `secret`.
struct Process {
    lookup: axum::Router,
    upsert: axum::Router,
    inbox: axum::Router,
}

fn start(table: &Table, queue: &SqsQueue, secret: &str, clock: &Arc<FixedClock>) -> Process {
    let ring = Keyring::from_secret(secret).unwrap();
    let retention = Retention::default();
    Process {
        lookup: lookup::router(
            lookup::App::new(
                table.clone(),
                queue.clone(),
                ring.clone(),
                retention,
                clock.clone(),
            )
            .with_key_refresh(REFRESH),
        ),
        upsert: plan_upsert::router(
            plan_upsert::App::new(table.clone(), ring, retention, clock.clone())
                .with_key_refresh(REFRESH),
        ),
        inbox: inbox::router(inbox::App::new(
            table.clone(),
            retention,
            clock.clone(),
            cpindex::profile::WebhookPolicy::PublicHttpsOnly,
        )),
    }
}

fn plan(nhs: &str, version: u64) -> serde_json::Value {
    serde_json::json!({"nhsNumber": nhs, "planType": "CPP", "startDate": "2026-01-10",
        "sourceVersion": version})
}

async fn put(p: &Process, plan_ref: &str, body: &serde_json::Value) -> String {
    let a = call(
        &p.upsert,
        request(
            "PUT",
            &format!("/v1/plans/{plan_ref}"),
            la(LEEDS),
            Some(body),
        ),
    )
    .await;
    assert!(a.status.is_success(), "{:?}", a.body);
    a.body["outcome"].as_str().unwrap_or_default().to_owned()
}

/// What one lookup answered: 200 with or without a plan, or another status.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Plan,
    NoPlan,
    Status(u16),
}

async fn look(p: &axum::Router, nhs: &str) -> Seen {
    let a = call(p, request("GET", &format!("/v1/children/{nhs}"), ED, None)).await;
    match (a.status.as_u16(), &a.body["hasPlan"]) {
        (200, serde_json::Value::Bool(true)) => Seen::Plan,
        (200, _) => Seen::NoPlan,
        (s, _) => Seen::Status(s),
    }
}

async fn record_of(table: &Table, plan_ref: &str) -> cpindex::PlanRecord {
    PlanStore::new(table.clone(), Retention::default())
        .get(
            &OrgCode::parse(LEEDS).unwrap(),
            &PlanRef::parse(plan_ref, "/planRef").unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
}

// One thread: the lookers run between the steps' own awaits, and the captured log is this
// thread's.
#[tokio::test]
async fn a_rotation_keeps_every_plan_findable_and_a_process_without_the_new_key_answers_503() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (queue, _) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(t0));
    let key1 = integration_tests::child_keys();

    // Given plans recorded under the first key.
    let old = start(&table, &queue, &one(), &clock);
    assert_eq!(put(&old, "CP-1", &plan(CHILD, 1)).await, "created");
    assert_eq!(put(&old, "CP-2", &plan(OTHER_CHILD, 1)).await, "created");

    // When the functions restart with both keys (the old process keeps running), and lookups
    // of both children run throughout the rotation, against both processes.
    let both_keys = start(&table, &queue, &both(), &clock);
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<(&str, Seen)>>> = Arc::default();
    let lookers = {
        let (stop, seen) = (stop.clone(), seen.clone());
        let routers = [
            ("old", old.lookup.clone()),
            ("new", both_keys.lookup.clone()),
        ];
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                for (name, router) in &routers {
                    for child in [CHILD, OTHER_CHILD] {
                        let s = look(router, child).await;
                        seen.lock().unwrap().push((name, s));
                    }
                }
            }
        })
    };
    // Nothing changes yet: writes still go under key 1.
    assert_eq!(put(&both_keys, "CP-1", &plan(CHILD, 2)).await, "updated");
    assert_eq!(record_of(&table, "CP-1").await.child, key1.of(&nhs(CHILD)));

    // The operator plans the switch (the secret given holds both keys).
    let rotation = Rotation::new(
        table.clone(),
        Keyring::from_secret(&both()).unwrap(),
        Retention::default(),
    );
    let lead = chrono::Duration::from_std(MIN_SWITCH_LEAD).unwrap();
    assert!(matches!(
        rotation.switch("2", t0, t0 + lead / 2).await,
        Err(RotationFault::Refused(RotationError::TooSoon))
    ));
    assert!(matches!(
        rotation.switch("3", t0, t0 + lead).await,
        Err(RotationFault::UnknownKey(_))
    ));
    let (captured, _guard) = logs::capture();
    let planned = rotation.switch("2", t0, t0 + lead).await.unwrap();
    assert_eq!(planned.next.as_ref().unwrap().key.key_id, "2");
    tokio::time::sleep(REFRESH * 3).await;
    // The process without the new key stops (fail closed) and says why, once.
    assert_eq!(look(&old.lookup, CHILD).await, Seen::Status(503));
    let w = call(
        &old.upsert,
        request("PUT", "/v1/plans/CP-9", la(LEEDS), Some(&plan(NOBODY, 1))),
    )
    .await;
    assert_eq!(w.status.as_u16(), 503);
    let faults = captured.events(cpindex::log::MISCONFIGURED);
    assert_eq!(faults.len(), 2, "one per function: {faults:?}");

    // From the switch time, new plans go under key 2; an update of a plan under key 1 moves it
    // to key 2 (the same child: "updated", not "moved").
    clock.advance(lead);
    let newcomer = newcomer();
    assert_eq!(
        put(&both_keys, "CP-3", &plan(&newcomer.digits(), 1)).await,
        "created"
    );
    assert_eq!(record_of(&table, "CP-3").await.child, key2().of(&newcomer));
    assert_eq!(
        look(&both_keys.lookup, &newcomer.digits()).await,
        Seen::Plan
    );
    assert_eq!(put(&both_keys, "CP-1", &plan(CHILD, 3)).await, "updated");
    let cp1 = record_of(&table, "CP-1").await;
    assert_eq!(cp1.child, key2().of(&nhs(CHILD)));
    assert_eq!(cp1.earlier_keys[0].child, key1.of(&nhs(CHILD)));
    assert_eq!(cp1.earlier_keys[0].why, KeyChange::Rekeyed);
    // CP-2 is still under key 1 and still found; a lookup's access names both of its keys.
    assert_eq!(
        record_of(&table, "CP-2").await.child,
        key1.of(&nhs(OTHER_CHILD))
    );
    assert_eq!(look(&both_keys.lookup, OTHER_CHILD).await, Seen::Plan);

    // The re-key step moves every remaining plan, and says so in the state.
    let (state, report) = rotation.rekey(clock.now(), |_| {}).await.unwrap();
    assert_eq!((report.plans, report.moved, report.unrecognised), (3, 1, 0));
    assert!(state.previous[0].rekeyed_at.is_some());
    for plan_ref in ["CP-1", "CP-2", "CP-3"] {
        let r = record_of(&table, plan_ref).await;
        assert_eq!(r.child, key2().of(&r.nhs_number), "{plan_ref}");
    }
    // Key 1's partitions hold only tombstones now.
    for child in [CHILD, OTHER_CHILD] {
        let under_old = PlanStore::new(table.clone(), Retention::default())
            .projections_for(&key1.of(&nhs(child)))
            .await
            .unwrap();
        assert!(under_old.iter().all(|p| p.state == PlanState::Moved));
    }
    // A second run has nothing to do.
    let (_, again) = rotation.rekey(clock.now(), |_| {}).await.unwrap();
    assert_eq!(again.moved, 0);

    tokio::time::sleep(REFRESH * 2).await;
    stop.store(true, Ordering::Relaxed);
    lookers.await.unwrap();
    let seen = seen.lock().unwrap().clone();
    // Then no lookup ever said "no plan" for a child on a plan; the old process answered 503
    // once the switch was planned; the restarted one always found the plan.
    assert!(!seen.iter().any(|(_, s)| *s == Seen::NoPlan), "{seen:?}");
    assert!(seen
        .iter()
        .all(|(p, s)| *s == Seen::Plan || (*p == "old" && *s == Seen::Status(503))));
    assert!(seen.iter().filter(|(p, _)| *p == "new").count() > 10);
    assert!(seen
        .iter()
        .any(|(p, s)| *p == "old" && *s == Seen::Status(503)));

    // The LA's history and the operator's audit hold the accesses under both keys.
    let history = call(
        &both_keys.inbox,
        request("GET", "/v1/plans/CP-1/accesses", la(LEEDS), None),
    )
    .await;
    assert_eq!(history.status, 200);
    let times: Vec<chrono::DateTime<Utc>> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.iter().any(|t| *t < t0 + lead), "{times:?}");
    assert!(times.iter().any(|t| *t >= t0 + lead), "{times:?}");
    let audit = call(
        &both_keys.lookup,
        request(
            "GET",
            &format!("/v1/children/{CHILD}/accesses?purpose=SAR-2026-9%3A+rotation+check"),
            OPERATOR,
            None,
        ),
    )
    .await;
    assert_eq!(audit.status, 200);
    assert_eq!(
        audit.body.as_array().unwrap().len() as u64,
        history.body.as_array().unwrap().len() as u64 + 2,
        "every visit, the LA's read of its history and the operator's own read"
    );

    // Key 1 is read until its accesses have expired; then it may be retired, and a process
    // holding only key 2 finds every plan.
    assert!(matches!(
        rotation.retire("1", clock.now()).await,
        Err(RotationFault::Refused(RotationError::AccessesKept(..)))
    ));
    clock.advance(chrono::Duration::days(cpindex::keys::keep::ACCESS_DAYS + 1));
    let retired = rotation.retire("1", clock.now()).await.unwrap();
    assert!(retired.previous.is_empty());
    let only_new = start(
        &table,
        &queue,
        &format!(r#"{{"id": "2", "secret": "{NEW_SECRET}"}}"#),
        &clock,
    );
    for child in [CHILD, OTHER_CHILD, &newcomer.digits()] {
        assert_eq!(look(&only_new.lookup, child).await, Seen::Plan, "{child}");
    }
    let stored = emu.scan_all(&table).await;
    let state = stored
        .iter()
        .find(|i| i["pk"].as_s().unwrap() == key::KEY_FINGERPRINT_PK)
        .unwrap();
    assert_eq!(state["keyId"].as_s().unwrap(), "2");
}

/// The operator's tool, as run: it reads the secret from a file, prints the state, refuses a
/// switch at too short notice (exit 1) and plans one otherwise.
#[tokio::test]
async fn the_rotation_tool_prints_the_state_and_refuses_steps_out_of_order() {
    use clap::Parser;
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (queue, _) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let clock = Arc::new(FixedClock::at(Utc::now()));
    // A function starts on the table and claims it for key 1.
    let p = start(&table, &queue, &one(), &clock);
    assert_eq!(put(&p, "CP-1", &plan(CHILD, 1)).await, "created");
    let dir = integration_tests::local_state_dir("keys-tool");
    let secret = dir.join("child-key");
    std::fs::write(&secret, both()).unwrap();
    let url = integration_tests::emulator_url();
    let tool = |args: &[&str]| {
        let mut all = vec![
            "cpindex-keys",
            "--table",
            table.name(),
            "--emulator-url",
            &url,
            "--secret-file",
            secret.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        cpindex_keys::KeysCli::try_parse_from(all).unwrap()
    };
    let run = |cli| async move {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = cpindex_keys::run(cli, &mut out, &mut err).await;
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (code, out, _) = run(tool(&["status"])).await;
    assert_eq!((code, out.trim()), (0, "writes under key 1"));
    let (code, _, err) = run(tool(&["switch", "--to", "2", "--in-minutes", "1"])).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("notice"), "{err}");
    let (code, _, err) = run(tool(&["rekey"])).await;
    assert_eq!(code, 0, "nothing to re-key yet: {err}");
    let (code, out, err) = run(tool(&["switch", "--to", "2"])).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("switching to key 2 at"), "{out}");
    let (code, _, err) = run(tool(&["rekey"])).await;
    assert_eq!(code, 1, "before the switch time: {err}");
    assert!(err.contains("re-key after it"), "{err}");
    let (code, out, _) = run(tool(&["--json", "status"])).await;
    assert_eq!(code, 0);
    let state: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(state["next"]["keyId"], "2");
    assert_eq!(state["keyId"], "1");
}
