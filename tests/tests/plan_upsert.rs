//! The LA write path against the emulator: semantics, ownership, ordering, batch
//! acknowledgements, and "bad input changes nothing" (proved by reading the table back).

use std::sync::Arc;

use adapters::store::plans::PlanStore;
use adapters::store::Table;
use axum::Router;
use chrono::{TimeZone, Utc};
use cpindex::answers::RecordOutcome;
use cpindex::indicators::Counter;
use cpindex::keys::attr;
use cpindex::PlanState;
use cpindex::{FixedClock, NhsNumber, Retention};
use integration_tests::fixtures::{CHILD, OTHER_CHILD};
use integration_tests::http::{call, la, raw_request, request, Answer};
use integration_tests::{unreachable_store, Emulator};
use plan_upsert::{router, App};
use serde_json::{json, Value};

const LA_A: &str = "E08000035";
const LA_B: &str = "E09000033";

fn clock() -> FixedClock {
    FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap())
}

fn plan(nhs: &str, version: u64) -> Value {
    json!({
        "nhsNumber": nhs,
        "planType": "CPP",
        "startDate": "2026-01-10",
        "sourceVersion": version
    })
}

struct Fixture {
    emu: Emulator,
    table: Table,
    router: Router,
}

async fn fixture_with(retention: Retention) -> Fixture {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let app = App::new(
        table.clone(),
        integration_tests::child_keys(),
        retention,
        clock(),
    );
    Fixture {
        router: router(app),
        emu,
        table,
    }
}

async fn fixture() -> Fixture {
    fixture_with(Retention::default()).await
}

impl Fixture {
    async fn put(&self, org: &str, plan_ref: &str, body: &Value) -> Answer {
        call(
            &self.router,
            request("PUT", &format!("/v1/plans/{plan_ref}"), la(org), Some(body)),
        )
        .await
    }

    async fn get(&self, org: &str, plan_ref: &str) -> Answer {
        call(
            &self.router,
            request("GET", &format!("/v1/plans/{plan_ref}"), la(org), None),
        )
        .await
    }

    async fn batch(&self, org: &str, body: &Value) -> Answer {
        call(
            &self.router,
            request("POST", "/v1/plan-batches", la(org), Some(body)),
        )
        .await
    }

    /// Items other than the LA's indicator counts (a batch counts its outcomes, rejected
    /// records too, in one item of counts: no plan data).
    async fn item_count(&self) -> usize {
        self.emu
            .scan_data(&self.table)
            .await
            .iter()
            .filter(|i| {
                i.get(cpindex::keys::attr::ENTITY)
                    .and_then(|e| e.as_s().ok())
                    .map(String::as_str)
                    != Some(cpindex::keys::Entity::Indicators.as_str())
            })
            .count()
    }

    /// The LA's upload counts for this week, by outcome.
    async fn upload_counts(&self, org: &str) -> cpindex::indicators::Counts {
        let week = cpindex::indicators::IsoWeek::of(cpindex::Clock::now(&clock()));
        adapters::store::indicators::IndicatorStore::new(self.table.clone())
            .week(week)
            .await
            .unwrap()
            .into_iter()
            .find(|w| w.org.as_str() == org)
            .map(|w| w.counts)
            .unwrap_or_default()
    }

    fn store(&self) -> PlanStore {
        PlanStore::new(self.table.clone(), Retention::default())
    }

    async fn live_projections(&self, nhs: &str) -> Vec<(String, u64)> {
        let nhs = NhsNumber::parse(nhs).unwrap();
        self.store()
            .projections_for(&integration_tests::child_key(&nhs))
            .await
            .unwrap()
            .into_iter()
            .filter(|p| p.state == PlanState::Live)
            .map(|p| (p.plan_ref.as_str().to_owned(), p.source_version))
            .collect()
    }
}

#[tokio::test]
async fn create_then_read_then_replay_is_idempotent() {
    let f = fixture().await;
    let created = f.put(LA_A, "CP-1", &plan(CHILD, 1)).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["outcome"], "created");
    assert_eq!(created.body["status"], "active");
    assert_eq!(created.body["nationalCode"], "CPPI");
    assert_eq!(created.headers["location"], "/v1/plans/CP-1");

    let replay = f.put(LA_A, "CP-1", &plan(CHILD, 1)).await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body["outcome"], "unchanged");
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("outcome");
        v
    };
    assert_eq!(
        strip(replay.body.clone()),
        strip(created.body.clone()),
        "same answer"
    );

    let read = f.get(LA_A, "CP-1").await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["sourceVersion"], 1);
    assert_eq!(
        f.live_projections(CHILD).await,
        vec![("CP-1".to_owned(), 1)]
    );
    assert_eq!(f.item_count().await, 2, "one record and one projection");
}

#[tokio::test]
async fn an_older_version_is_refused_as_stale_and_changes_nothing() {
    let f = fixture().await;
    f.put(LA_A, "CP-1", &plan(CHILD, 5)).await;
    let before = f.emu.scan_all(&f.table).await;

    let stale = f.put(LA_A, "CP-1", &plan(OTHER_CHILD, 4)).await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.problem_code(), "stale_version");
    assert_eq!(stale.body["currentVersion"], 5);

    let mut changed = plan(CHILD, 5);
    changed["planType"] = json!("LAC");
    let conflict = f.put(LA_A, "CP-1", &changed).await;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.problem_code(), "version_conflict");

    let after = f.emu.scan_all(&f.table).await;
    assert_eq!(before.len(), after.len());
    assert_eq!(
        f.live_projections(CHILD).await,
        vec![("CP-1".to_owned(), 5)]
    );
    assert!(f.live_projections(OTHER_CHILD).await.is_empty());
}

#[tokio::test]
async fn another_la_can_neither_read_nor_change_a_plan() {
    let f = fixture().await;
    f.put(LA_A, "CP-1", &plan(CHILD, 3)).await;

    assert_eq!(f.get(LA_B, "CP-1").await.status, 404);
    let del = call(
        &f.router,
        request("DELETE", "/v1/plans/CP-1?sourceVersion=9", la(LA_B), None),
    )
    .await;
    assert_eq!(del.status, 404);
    assert_eq!(del.problem_code(), "not_found");

    // The same reference from another LA names another LA's plan: A's is untouched.
    let b = f.put(LA_B, "CP-1", &plan(OTHER_CHILD, 1)).await;
    assert_eq!(b.status, 201);
    let a = f.get(LA_A, "CP-1").await;
    assert_eq!(
        (a.body["sourceVersion"].clone(), a.body["nhsNumber"].clone()),
        (json!(3), json!(CHILD))
    );
    let list_b = call(&f.router, request("GET", "/v1/plans", la(LA_B), None)).await;
    let refs: Vec<_> = list_b.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["nhsNumber"].clone())
        .collect();
    assert_eq!(refs, vec![json!(OTHER_CHILD)], "B lists only its own plans");
}

#[tokio::test]
async fn concurrent_writers_always_end_with_the_highest_version() {
    let f = Arc::new(fixture().await);
    for round in 0..4 {
        let plan_ref = format!("RACE-{round}");
        let mut versions: Vec<u64> = (1..=16).collect();
        versions.rotate_left(round * 5);
        versions.reverse();
        let tasks: Vec<_> = versions
            .into_iter()
            .map(|v| {
                let f = f.clone();
                let plan_ref = plan_ref.clone();
                tokio::spawn(async move {
                    f.put(LA_A, &plan_ref, &plan(CHILD, v))
                        .await
                        .status
                        .as_u16()
                })
            })
            .collect();
        for t in tasks {
            let status = t.await.unwrap();
            assert!([200, 201, 409].contains(&status), "{status}");
        }
        assert_eq!(
            f.get(LA_A, &plan_ref).await.body["sourceVersion"],
            16,
            "round {round}"
        );
        let projected: Vec<_> = f
            .live_projections(CHILD)
            .await
            .into_iter()
            .filter(|(r, _)| *r == plan_ref)
            .collect();
        assert_eq!(projected, vec![(plan_ref.clone(), 16)], "round {round}");
    }
}

#[tokio::test]
async fn a_corrected_nhs_number_moves_the_plan() {
    let f = fixture().await;
    f.put(LA_A, "CP-9", &plan(OTHER_CHILD, 1)).await;
    let moved = f.put(LA_A, "CP-9", &plan(CHILD, 2)).await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.body["outcome"], "moved");
    assert!(
        f.live_projections(OTHER_CHILD).await.is_empty(),
        "the old number no longer shows it"
    );
    assert_eq!(
        f.live_projections(CHILD).await,
        vec![("CP-9".to_owned(), 2)]
    );

    // A late, older write to the old number cannot resurrect it.
    let late = f.put(LA_A, "CP-9", &plan(OTHER_CHILD, 1)).await;
    assert_eq!(late.status, 409);
    assert!(f.live_projections(OTHER_CHILD).await.is_empty());

    // The tombstone under the old number, read back from the table, holds only what ordering
    // needs: not the plan, not the LA's contacts, and never the number the plan moved to.
    let old_partition = cpindex::keys::key::child_pk(&integration_tests::child_key(
        &NhsNumber::parse(OTHER_CHILD).unwrap(),
    ));
    let items = f.emu.scan_all(&f.table).await;
    // The wrong number the plan was first recorded under may be a child with no plan at all:
    // after the move no item holds it in clear (the record keeps only its child key).
    for item in &items {
        assert!(
            !format!("{item:?}").contains(OTHER_CHILD),
            "the number moved from is held in clear: {item:?}"
        );
    }
    let tomb: Vec<_> = items
        .iter()
        .filter(|i| i.get(attr::PK).and_then(|v| v.as_s().ok()) == Some(&old_partition))
        .collect();
    assert_eq!(tomb.len(), 1, "{tomb:?}");
    let text = format!("{:?}", tomb[0]);
    assert!(
        !text.contains(CHILD),
        "the new number is not kept under the old one"
    );
    assert!(
        !text.contains("Leeds") && !text.contains("emergencyDutyPhone"),
        "{text}"
    );
    assert_eq!(
        tomb[0]
            .get("state")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("moved")
    );
}

#[tokio::test]
async fn a_replay_repairs_a_projection_lost_mid_write() {
    let f = fixture().await;
    f.put(LA_A, "CP-2", &plan(CHILD, 1)).await;
    // Simulate a crash after the record was written but before the projection was.
    let nhs = NhsNumber::parse(CHILD).unwrap();
    let org = cpindex::OrgCode::parse(LA_A).unwrap();
    let r = cpindex::PlanRef::parse("CP-2", "").unwrap();
    f.table
        .delete(
            &cpindex::keys::key::child_pk(&integration_tests::child_key(&nhs)),
            &cpindex::keys::key::child_plan_sk(&org, &r),
            None,
        )
        .await
        .unwrap();
    assert!(f.live_projections(CHILD).await.is_empty());

    let replay = f
        .batch(
            LA_A,
            &json!({"mode": "delta", "records": [with_ref(plan(CHILD, 1), "CP-2")]}),
        )
        .await;
    assert_eq!(replay.body["records"][0]["outcome"], "unchanged");
    assert_eq!(
        f.live_projections(CHILD).await,
        vec![("CP-2".to_owned(), 1)]
    );
}

#[tokio::test]
async fn withdrawal_hides_the_plan_at_once_and_keeps_the_record() {
    let f = fixture().await;
    f.put(LA_A, "CP-3", &plan(CHILD, 1)).await;

    let missing = call(
        &f.router,
        request("DELETE", "/v1/plans/CP-3", la(LA_A), None),
    )
    .await;
    assert_eq!(
        (missing.status.as_u16(), missing.problem_code()),
        (400, "invalid_version")
    );
    let same = call(
        &f.router,
        request("DELETE", "/v1/plans/CP-3?sourceVersion=1", la(LA_A), None),
    )
    .await;
    assert_eq!(same.status, 409, "a withdrawal needs a newer version");

    let gone = call(
        &f.router,
        request("DELETE", "/v1/plans/CP-3?sourceVersion=2", la(LA_A), None),
    )
    .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    assert_eq!(gone.body["status"], "withdrawn");
    assert!(f.live_projections(CHILD).await.is_empty());
    let kept = f.get(LA_A, "CP-3").await;
    assert_eq!(
        (
            kept.body["status"].clone(),
            kept.body["sourceVersion"].clone()
        ),
        (json!("withdrawn"), json!(2))
    );

    let unknown = call(
        &f.router,
        request("DELETE", "/v1/plans/NOPE?sourceVersion=2", la(LA_A), None),
    )
    .await;
    assert_eq!(unknown.status, 404);
}

fn expires_at(items: &[adapters::store::Item], pk_prefix: &str) -> Option<i64> {
    items
        .iter()
        .find(|i| i[attr::PK].as_s().unwrap().starts_with(pk_prefix))
        .and_then(|i| i.get(attr::EXPIRES_AT))
        .map(|v| v.as_n().unwrap().parse().unwrap())
}

#[tokio::test]
async fn an_ended_plan_carries_its_deletion_date_as_ttl() {
    let mut ended = plan(CHILD, 2);
    ended["endDate"] = json!("2026-06-30");
    let f = fixture().await;
    let resp = f.put(LA_A, "CP-4", &ended).await;
    assert_eq!(resp.body["status"], "ended");
    assert_eq!(resp.body["deleteOn"], "2027-06-30");
    let items = f.emu.scan_all(&f.table).await;
    let want = Utc
        .with_ymd_and_hms(2027, 6, 30, 0, 0, 0)
        .unwrap()
        .timestamp();
    assert_eq!(expires_at(&items, &format!("ORG#{LA_A}#PLAN#")), Some(want));
    assert_eq!(expires_at(&items, "CHILD#"), Some(want));

    let f24 = fixture_with(Retention { months: 24 }).await;
    f24.put(LA_A, "CP-4", &ended).await;
    let items = f24.emu.scan_all(&f24.table).await;
    assert_eq!(
        expires_at(&items, "CHILD#"),
        Some(
            Utc.with_ymd_and_hms(2028, 6, 30, 0, 0, 0)
                .unwrap()
                .timestamp()
        )
    );

    // An open plan has no TTL.
    let open = fixture().await;
    open.put(LA_A, "CP-5", &plan(CHILD, 1)).await;
    assert_eq!(
        expires_at(&open.emu.scan_all(&open.table).await, "CHILD#"),
        None
    );
}

fn with_ref(mut v: Value, plan_ref: &str) -> Value {
    v["planRef"] = json!(plan_ref);
    v
}

#[tokio::test]
async fn a_batch_acknowledges_each_record_in_order_and_bad_records_write_nothing() {
    let f = fixture().await;
    f.put(LA_A, "OLD", &plan(CHILD, 9)).await;
    let mut bad = with_ref(plan(CHILD, 1), "BAD");
    bad["nhsNumber"] = json!("9876544321");
    let body = json!({"mode": "delta", "records": [
        with_ref(plan(CHILD, 1), "NEW-1"),
        bad,
        with_ref(plan(CHILD, 3), "OLD"),
        with_ref(plan(OTHER_CHILD, 1), "DUP"),
        with_ref(plan(OTHER_CHILD, 2), "DUP"),
        {"planRef": "PLANTED", "nhsNumber": CHILD, "planType": "CPP", "startDate": "2026-01-01", "sourceVersion": 1,
         "responsibleLa": {"name": "L", "team": "T", "emergencyDutyPhone": "07700 900123"}},
    ]});
    let ack = f.batch(LA_A, &body).await;
    assert_eq!(ack.status, 200, "{ack:?}");
    let outcomes: Vec<_> = ack.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].clone(), r["outcome"].clone(), r["code"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (json!(0), json!("created"), json!("ok")),
            (json!(1), json!("rejected"), json!("invalid_nhs_number")),
            (json!(2), json!("stale"), json!("stale_version")),
            (json!(3), json!("created"), json!("ok")),
            (json!(4), json!("updated"), json!("ok")),
            (json!(5), json!("rejected"), json!("contacts_from_profile")),
        ]
    );
    assert_eq!(ack.body["records"][1]["field"], "/records/1/nhsNumber");
    assert_eq!(ack.body["records"][2]["currentVersion"], 9);
    assert_eq!(ack.body["fileOutcome"], "partly_loaded");
    assert_eq!(ack.body["fileCode"], "CPF03");
    assert_eq!(ack.body["counts"]["received"], 6);
    assert_eq!(ack.body["counts"]["rejected"], 2);

    assert_eq!(
        f.get(LA_A, "BAD").await.status,
        404,
        "a rejected record writes nothing"
    );
    assert_eq!(f.get(LA_A, "NO-PHONE").await.status, 404);
    assert_eq!(
        f.get(LA_A, "DUP").await.body["sourceVersion"],
        2,
        "records of one plan apply in order"
    );
    // OLD, NEW-1, DUP: three records and three projections.
    assert_eq!(f.item_count().await, 6);
    // Every record's outcome counted once in the LA's upload indicators.
    let counts = f.upload_counts(LA_A).await;
    let acks = batch_outcomes(&ack.body);
    for outcome in [
        RecordOutcome::Created,
        RecordOutcome::Updated,
        RecordOutcome::Rejected,
        RecordOutcome::Stale,
    ] {
        let acked = acks.iter().filter(|o| **o == outcome.as_str()).count() as u64;
        assert_eq!(
            counts.counter(Counter::Record(outcome)),
            acked,
            "{outcome:?}"
        );
    }
}

fn batch_outcomes(body: &serde_json::Value) -> Vec<String> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_full_extract_is_kept_for_reconciliation() {
    let f = fixture().await;
    let body = json!({"mode": "full", "extractId": "2026-11-22", "records": [
        with_ref(plan(CHILD, 1), "F-1"), with_ref(plan(OTHER_CHILD, 4), "F-2")]});
    let ack = f.batch(LA_A, &body).await;
    assert_eq!(ack.body["fileOutcome"], "all_loaded");
    assert_eq!(ack.body["fileCode"], "CPF02");
    let org = cpindex::OrgCode::parse(LA_A).unwrap();
    let parts = adapters::store::extracts::ExtractStore::new(f.table.clone())
        .latest(&org)
        .await
        .unwrap()
        .unwrap();
    let mut entries: Vec<_> = parts
        .iter()
        .flat_map(|p| {
            p.entries
                .iter()
                .map(|e| (e.plan_ref.as_str().to_owned(), e.source_version))
        })
        .collect();
    entries.sort();
    assert_eq!(entries, vec![("F-1".to_owned(), 1), ("F-2".to_owned(), 4)]);
    let other = cpindex::OrgCode::parse(LA_B).unwrap();
    assert!(
        adapters::store::extracts::ExtractStore::new(f.table.clone())
            .latest(&other)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn listing_pages_through_every_plan_once() {
    let f = fixture().await;
    let records: Vec<Value> = (0..7)
        .map(|i| with_ref(plan(CHILD, 1), &format!("L-{i}")))
        .collect();
    f.batch(LA_A, &json!({"mode": "delta", "records": records}))
        .await;
    let mut seen = Vec::new();
    let mut uri = "/v1/plans?limit=3".to_owned();
    for _ in 0..5 {
        let page = call(&f.router, request("GET", &uri, la(LA_A), None)).await;
        assert_eq!(page.status, 200, "{page:?}");
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["planRef"].as_str().unwrap().to_owned()),
        );
        match page.body["nextCursor"].as_str() {
            Some(c) => uri = format!("/v1/plans?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("L-{i}")).collect::<Vec<_>>());
    let forged = call(
        &f.router,
        request("GET", "/v1/plans?cursor=%%%", la(LA_A), None),
    )
    .await;
    assert_eq!(
        (forged.status.as_u16(), forged.problem_code()),
        (400, "invalid_query")
    );
    let big = call(
        &f.router,
        request("GET", "/v1/plans?limit=201", la(LA_A), None),
    )
    .await;
    assert_eq!(big.status, 400);
}

#[tokio::test]
async fn every_kind_of_bad_input_gets_a_problem_and_writes_nothing() {
    let f = fixture().await;
    let with = |k: &str, v: Value| {
        let mut p = plan(CHILD, 1);
        p[k] = v;
        p
    };
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            with("nhsNumber", json!("9876544321")),
            400,
            "invalid_nhs_number",
            "/nhsNumber",
        ),
        (
            with("startDate", json!("2026-02-30")),
            400,
            "invalid_date",
            "/startDate",
        ),
        (
            with("startDate", json!("yesterday")),
            400,
            "invalid_date",
            "/startDate",
        ),
        (
            with("endDate", json!("2026-01-01")),
            400,
            "end_before_start",
            "/endDate",
        ),
        (
            with("startDate", json!("2026-11-24")),
            400,
            "start_in_future",
            "/startDate",
        ),
        (
            with("planType", json!("CIN")),
            400,
            "invalid_plan_type",
            "/planType",
        ),
        (
            with("planType", json!("UCPP")),
            400,
            "missing_due_date",
            "/expectedDueDate",
        ),
        // Whom a clinician calls comes from the LA's profile, never from a record.
        (
            with(
                "responsibleLa",
                json!({"name": "Leeds City Council", "team": "T", "emergencyDutyPhone": "07700 900123"}),
            ),
            400,
            "contacts_from_profile",
            "/responsibleLa",
        ),
        (
            with(
                "caseTeam",
                json!({"team": "T", "emergencyDutyPhone": "07700 900123"}),
            ),
            400,
            "unknown_field",
            "/caseTeam/emergencyDutyPhone",
        ),
        (
            with("caseTeam", json!({"team": "T", "phone": "call me"})),
            400,
            "invalid_phone",
            "/caseTeam/phone",
        ),
        (
            with("favouriteColour", json!("red")),
            400,
            "unknown_field",
            "/favouriteColour",
        ),
        (
            with("sourceVersion", json!(-1)),
            400,
            "invalid_version",
            "/sourceVersion",
        ),
    ];
    for (body, status, code, field) in cases {
        let a = f.put(LA_A, "CP-X", &body).await;
        assert_eq!(
            (
                a.status.as_u16(),
                a.problem_code(),
                a.body["field"].as_str()
            ),
            (status, code, Some(field)),
            "{body}"
        );
    }
    let bad_ref = f.put(LA_A, "bad%20ref", &plan(CHILD, 1)).await;
    assert_eq!(bad_ref.problem_code(), "invalid_plan_ref");

    let raw = |ct: &str, body: Vec<u8>| raw_request("PUT", "/v1/plans/CP-X", la(LA_A), ct, body);
    let malformed = call(
        &f.router,
        raw("application/json", b"{\"nhsNumber\": ".to_vec()),
    )
    .await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.problem_code()),
        (400, "malformed_json")
    );
    let wrong_type = call(&f.router, raw("text/csv", b"a,b".to_vec())).await;
    assert_eq!(
        (wrong_type.status.as_u16(), wrong_type.problem_code()),
        (415, "unsupported_media_type")
    );
    let huge = call(
        &f.router,
        raw("application/json", vec![b' '; 1024 * 1024 + 1]),
    )
    .await;
    assert_eq!(
        (huge.status.as_u16(), huge.problem_code()),
        (413, "body_too_large")
    );

    let batch_malformed = call(
        &f.router,
        raw_request(
            "POST",
            "/v1/plan-batches",
            la(LA_A),
            "application/json",
            b"[1,".to_vec(),
        ),
    )
    .await;
    assert_eq!(batch_malformed.problem_code(), "malformed_json");
    assert_eq!(batch_malformed.body["fileOutcome"], "unreadable");
    let records: Vec<Value> = (0..1001)
        .map(|i| with_ref(plan(CHILD, 1), &format!("R{i}")))
        .collect();
    let too_many = f
        .batch(LA_A, &json!({"mode": "full", "records": records}))
        .await;
    assert_eq!(
        (too_many.status.as_u16(), too_many.problem_code()),
        (400, "too_many_records")
    );
    let bad_mode = f
        .batch(LA_A, &json!({"mode": "sometimes", "records": []}))
        .await;
    assert_eq!(bad_mode.status, 400);

    let scheduled = call(
        &f.router,
        request(
            "PUT",
            "/v1/plans/CP-X",
            Some(("scheduled_care", "RR8", "dr-1")),
            Some(&plan(CHILD, 1)),
        ),
    )
    .await;
    assert_eq!(
        (scheduled.status.as_u16(), scheduled.problem_code()),
        (403, "forbidden_role")
    );
    let anonymous = call(
        &f.router,
        request("PUT", "/v1/plans/CP-X", None, Some(&plan(CHILD, 1))),
    )
    .await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.problem_code()),
        (401, "unauthenticated")
    );
    let bad_claims = call(
        &f.router,
        request(
            "PUT",
            "/v1/plans/CP-X",
            Some(("local_authority", "lower", "u")),
            Some(&plan(CHILD, 1)),
        ),
    )
    .await;
    assert_eq!(bad_claims.status, 401);

    assert_eq!(
        f.item_count().await,
        0,
        "nothing was written by any bad request"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_problems() {
    let f = fixture().await;
    let nf = call(&f.router, request("GET", "/v1/nothing", la(LA_A), None)).await;
    assert_eq!((nf.status.as_u16(), nf.problem_code()), (404, "not_found"));
    let na = call(
        &f.router,
        request("PATCH", "/v1/plans/CP-1", la(LA_A), None),
    )
    .await;
    assert_eq!(
        (na.status.as_u16(), na.problem_code()),
        (405, "method_not_allowed")
    );
}

#[tokio::test]
async fn an_unreachable_store_answers_503_with_retry_after() {
    let emu = unreachable_store();
    let table = Table::new(emu.dynamo.clone(), "anything");
    let app = App::new(
        table,
        integration_tests::child_keys(),
        Retention::default(),
        clock(),
    );
    let router = router(app);
    let a = call(
        &router,
        request("PUT", "/v1/plans/CP-1", la(LA_A), Some(&plan(CHILD, 1))),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (503, "store_unavailable")
    );
    assert_eq!(a.headers["retry-after"], "2");
    assert!(
        !a.body.to_string().contains("dispatch"),
        "no SDK detail leaks: {}",
        a.body
    );
    let b = call(
        &router,
        request(
            "POST",
            "/v1/plan-batches",
            la(LA_A),
            Some(&json!({"mode": "delta", "records": [with_ref(plan(CHILD, 1), "A")]})),
        ),
    )
    .await;
    assert_eq!(b.status, 503);
}

/// Every class of bad input the contract rules out, generated member by member: each is refused
/// with the field's own code and pointer, through both the single-plan and the batch route, and
/// the table is read back empty afterwards.
#[tokio::test]
async fn each_class_of_bad_input_is_refused_with_its_field_and_writes_nothing() {
    let f = fixture().await;
    // (pointer inside a plan, a bad value, the code the field answers)
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    // Wrong JSON types name the field's own code, never `malformed_json`.
    let wrong_types = [
        json!(9434765919u64),
        json!(["x"]),
        json!({"a": 1}),
        json!(true),
    ];
    for v in &wrong_types {
        cases.push(("/nhsNumber", v.clone(), "invalid_nhs_number"));
        cases.push(("/planType", v.clone(), "invalid_plan_type"));
        cases.push(("/startDate", v.clone(), "invalid_date"));
        cases.push(("/endDate", v.clone(), "invalid_date"));
        cases.push(("/caseTeam/team", v.clone(), "invalid_text"));
        cases.push(("/caseTeam/phone", v.clone(), "invalid_phone"));
    }
    // Versions outside 1 to 2^53 - 1, or not whole numbers.
    for v in [
        json!(0),
        json!(-1),
        json!(9007199254740992u64),
        json!(9223372036854775808u64),
        json!(18446744073709551615u64),
        json!(1.5),
        json!(1e300),
        json!("7"),
        json!(null),
    ] {
        let code = if v.is_null() {
            "missing_field"
        } else {
            "invalid_version"
        };
        cases.push(("/sourceVersion", v, code));
    }
    // `null` for a required field is the field missing, with the field's own code.
    cases.push(("/nhsNumber", json!(null), "invalid_nhs_number"));
    cases.push(("/planType", json!(null), "invalid_plan_type"));
    cases.push(("/startDate", json!(null), "missing_field"));
    cases.push(("/caseTeam/team", json!(null), "missing_field"));
    // Text that would display as something else.
    for c in [
        '\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{0007}', '\u{2028}', '\u{E000}',
    ] {
        cases.push((
            "/caseTeam/team",
            json!(format!("{c}Leeds North CP team")),
            "invalid_text",
        ));
        cases.push((
            "/caseTeam/phone",
            json!(format!("0113 535{c} 0600")),
            "invalid_phone",
        ));
    }
    // Phone numbers no UK or international number could be.
    for p in [
        "999",
        "535 0600",
        "+0 113 535 0600",
        "0113 535 0600 ext 2",
        "call 0113 535 0600",
    ] {
        cases.push(("/caseTeam/phone", json!(p), "invalid_phone"));
    }
    for (i, (pointer, value, code)) in cases.iter().enumerate() {
        let mut body = plan(CHILD, 1);
        body["caseTeam"] = json!({"team": "Leeds North CP team"});
        // Optional fields absent from the base plan are added by their parent.
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        parent[name] = value.clone();
        let one = f.put(LA_A, &format!("CP-BAD-{i}"), &body).await;
        assert_eq!(
            (
                one.status.as_u16(),
                one.problem_code(),
                one.body["field"].as_str()
            ),
            (400, *code, Some(*pointer)),
            "PUT with {pointer} = {value}: {}",
            one.body
        );
        body["planRef"] = json!(format!("CP-BAD-B{i}"));
        let batch = f
            .batch(LA_A, &json!({"mode": "delta", "records": [body]}))
            .await;
        let rec = &batch.body["records"][0];
        assert_eq!(
            (
                rec["outcome"].as_str(),
                rec["code"].as_str(),
                rec["field"].as_str()
            ),
            (
                Some("rejected"),
                Some(*code),
                Some(format!("/records/0{pointer}").as_str())
            ),
            "batch with {pointer} = {value}: {}",
            batch.body
        );
    }
    assert_eq!(f.item_count().await, 0, "no bad input wrote anything");
}

/// Optional fields may be `null`, which means absent (the contract marks them `nullable`).
#[tokio::test]
async fn null_for_an_optional_field_means_absent() {
    let f = fixture().await;
    let mut body = plan(CHILD, 1);
    body["endDate"] = Value::Null;
    body["expectedDueDate"] = Value::Null;
    body["caseTeam"] = json!({"team": "Leeds North CP team", "phone": null});
    let a = f.put(LA_A, "CP-NULLS", &body).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(a.body.get("endDate").is_none());
    assert!(a.body["caseTeam"].get("phone").is_none());
    body["caseTeam"] = Value::Null;
    body["sourceVersion"] = json!(2);
    let a = f.put(LA_A, "CP-NULLS", &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.get("caseTeam").is_none());
}

/// Query integers outside their documented ranges are refused and change nothing.
#[tokio::test]
async fn query_integers_outside_their_ranges_are_refused() {
    let f = fixture().await;
    assert_eq!(f.put(LA_A, "CP-Q", &plan(CHILD, 1)).await.status, 201);
    for v in [
        "0",
        "-1",
        "9007199254740992",
        "9223372036854775808",
        "1.5",
        "x",
        "",
    ] {
        let a = call(
            &f.router,
            request(
                "DELETE",
                &format!("/v1/plans/CP-Q?sourceVersion={v}"),
                la(LA_A),
                None,
            ),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (400, "invalid_version"),
            "sourceVersion={v}"
        );
        let a = call(
            &f.router,
            request("GET", &format!("/v1/plans?limit={v}"), la(LA_A), None),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (400, "invalid_query"),
            "limit={v}"
        );
    }
    assert_eq!(
        f.get(LA_A, "CP-Q").await.body["status"],
        "active",
        "still held"
    );
}

/// A valid test-range NHS number for `i`, and an invalid one (its check digit changed).
fn numbers(i: u32) -> (String, String) {
    let good = (0..)
        .find_map(|k| {
            let d: Vec<u8> = format!("{:09}", 999_200_000 + i * 10 + k)
                .bytes()
                .map(|b| b - b'0')
                .collect();
            NhsNumber::from_first_nine(d.try_into().unwrap())
        })
        .unwrap()
        .digits();
    let last = good.as_bytes()[9] - b'0';
    let bad = format!("{}{}", &good[..9], (last + 1) % 10);
    (good, bad)
}

#[tokio::test]
async fn a_csv_extract_is_acknowledged_line_by_line_and_only_its_good_rows_are_stored() {
    let f = fixture().await;
    let header = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,case_team,case_team_phone,case_worker";
    let row = |r: &str, nhs: &str, ty: &str, start: &str, due: &str, phone: &str| {
        format!("{r},{nhs},{ty},{start},,{due},1,Leeds North CP team,{phone},someone")
    };
    // Good rows, and bad ones of each kind generated in turn: a wrong check digit, a case
    // team's phone that is no number, an impossible date, an unborn-child plan without its due
    // date, and a row whose cells do not fit the header (unreadable: never sent).
    let mut lines = vec![header.to_owned()];
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for i in 0..20u32 {
        let (ok, wrong) = numbers(i);
        let r = format!("CSV-{i:03}");
        let line = lines.len() as u64 + 1;
        match i % 6 {
            0 | 1 => {
                lines.push(row(&r, &ok, "CPP", "2026-02-01", "", "0113 535 0600"));
                good.push((r, line));
            }
            2 => {
                lines.push(row(&r, &wrong, "CPP", "2026-02-01", "", "0113 535 0600"));
                bad.push((r, line, "nhs_number"));
            }
            3 => {
                lines.push(row(&r, &ok, "LAC", "2026-02-01", "", "call me"));
                bad.push((r, line, "case_team_phone"));
            }
            4 => {
                lines.push(row(&r, &ok, "CPP", "2026-02-30", "", "0113 535 0600"));
                bad.push((r, line, "start_date"));
            }
            _ => {
                lines.push(row(&r, &ok, "UCPP", "2026-02-01", "", "0113 535 0600"));
                bad.push((r, line, "expected_due_date"));
            }
        }
    }
    let unreadable_line = lines.len() as u64 + 1;
    lines.push("CSV-999,only,three".into());
    let csv = lines.join("\n") + "\n";
    let a = call(
        &f.router,
        raw_request(
            "POST",
            "/v1/plan-extracts?mode=delta",
            la(LA_A),
            "text/csv",
            csv.into_bytes(),
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    let records = a.body["batch"]["records"].as_array().unwrap();
    let line_of = |i: usize| a.body["lines"][i].as_u64().unwrap();
    for (i, r) in records.iter().enumerate() {
        let plan_ref = r["planRef"].as_str().unwrap();
        if let Some((_, line)) = good.iter().find(|(g, _)| g == plan_ref) {
            assert_eq!(r["outcome"], "created", "{r}");
            assert_eq!(line_of(i), *line);
        } else {
            let (_, line, column) = bad.iter().find(|(b, _, _)| b == plan_ref).unwrap();
            assert_eq!(r["outcome"], "rejected", "{r}");
            assert_eq!(line_of(i), *line, "{r}");
            assert_eq!(a.body["columns"][i], *column, "{r}");
        }
    }
    assert_eq!(records.len(), good.len() + bad.len());
    assert_eq!(a.body["unreadRows"][0]["line"], unreadable_line);
    assert_eq!(a.body["ignoredColumns"], json!(["case_worker"]));

    // Read back: the good rows are held, no bad or unreadable one is.
    for (r, _) in &good {
        assert_eq!(f.get(LA_A, r).await.status, 200, "{r} is stored");
    }
    for (r, _, _) in &bad {
        assert_eq!(f.get(LA_A, r).await.status, 404, "{r} is not stored");
    }
    assert_eq!(f.get(LA_A, "CSV-999").await.status, 404);
}

#[tokio::test]
async fn a_file_that_is_not_an_extract_is_refused_whole_and_nothing_is_stored() {
    let f = fixture().await;
    let cases: [(&str, Vec<u8>, u16, &str); 4] = [
        ("text/csv", b"name,age\nx,1\n".to_vec(), 400, "invalid_csv"),
        (
            "text/csv",
            vec![0xff, 0xfe, 0x00, b'\n'],
            400,
            "invalid_csv",
        ),
        ("text/csv", Vec::new(), 400, "invalid_csv"),
        (
            "application/json",
            b"{}".to_vec(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let a = call(
            &f.router,
            raw_request("POST", "/v1/plan-extracts", la(LA_A), content_type, body),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (status, code),
            "{a:?}"
        );
    }
    let listed = call(&f.router, request("GET", "/v1/plans", la(LA_A), None)).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was stored");
}

/// Envelopes refused whole, of every kind: each answers with the acknowledgement's
/// `fileOutcome: unreadable` and writes nothing.
#[tokio::test]
async fn every_refused_upload_says_unreadable_and_stores_nothing() {
    use proptest::prelude::{prop_oneof, Just};
    use proptest::strategy::{Strategy, ValueTree};
    let f = fixture().await;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    // Unknown modes, generated: anything but the two the API knows.
    let modes = "[a-zA-Z_ -]{0,12}".prop_filter("not a mode", |m| m != "delta" && m != "full");
    let mut bodies: Vec<(String, Vec<u8>, &str)> = (0..12)
        .map(|_| {
            let mode = modes.new_tree(&mut runner).unwrap().current();
            let body = json!({"mode": mode, "records": [plan(CHILD, 1)]});
            (
                format!("mode {mode:?}"),
                serde_json::to_vec(&body).unwrap(),
                "application/json",
            )
        })
        .collect();
    // Source lines that are not one whole number from 1 per record, generated.
    let bad_lines = prop_oneof![
        Just(json!("4")),
        Just(json!({"0": 4})),
        proptest::collection::vec(1u64..100, 2..5).prop_map(|v| json!(v)),
        Just(json!([])),
        (-5i64..=0).prop_map(|n| json!([n])),
        "[a-z]{1,3}".prop_map(|t| json!([t])),
        Just(json!([1.5])),
    ];
    for _ in 0..12 {
        let lines = bad_lines.new_tree(&mut runner).unwrap().current();
        let body = json!({"mode": "full", "records": [plan(CHILD, 1)], "lines": lines});
        bodies.push((
            format!("lines {lines}"),
            serde_json::to_vec(&body).unwrap(),
            "application/json",
        ));
    }
    let too_many: Vec<Value> = (0..=cpindex::batch::MAX_RECORDS)
        .map(|_| plan(CHILD, 1))
        .collect();
    for (what, body, ct) in [
        (
            "no mode",
            json!({"records": [plan(CHILD, 1)]}),
            "application/json",
        ),
        (
            "mode not a string",
            json!({"mode": 1, "records": []}),
            "application/json",
        ),
        (
            "too many records",
            json!({"mode": "delta", "records": too_many}),
            "application/json",
        ),
        ("not an object", json!([plan(CHILD, 1)]), "application/json"),
        (
            "wrong media type",
            json!({"mode": "delta", "records": [plan(CHILD, 1)]}),
            "text/plain",
        ),
    ] {
        bodies.push((what.into(), serde_json::to_vec(&body).unwrap(), ct));
    }
    bodies.push((
        "malformed JSON".into(),
        b"{\"mode\": ".to_vec(),
        "application/json",
    ));
    for (what, body, ct) in bodies {
        let a = call(
            &f.router,
            integration_tests::http::raw_request("POST", "/v1/plan-batches", la(LA_A), ct, body),
        )
        .await;
        assert!(a.status.is_client_error(), "{what}: {}", a.status);
        assert_eq!(a.body["fileOutcome"], "unreadable", "{what}: {}", a.body);
    }
    // The CSV route: wrong media type, an unknown mode in its query.
    for (uri, ct) in [
        ("/v1/plan-extracts", "application/json"),
        ("/v1/plan-extracts?mode=sideways", "text/csv"),
    ] {
        let csv = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,la_name,team,office_hours_phone,emergency_duty_phone\n".to_owned();
        let a = call(
            &f.router,
            integration_tests::http::raw_request("POST", uri, la(LA_A), ct, csv.into_bytes()),
        )
        .await;
        assert!(a.status.is_client_error(), "{uri}: {}", a.status);
        assert_eq!(a.body["fileOutcome"], "unreadable", "{uri}: {}", a.body);
    }
    assert_eq!(f.item_count().await, 0, "a refused upload stores nothing");
}
