//! Lookup against the emulator: what a clinician sees, what is recorded, what starts the alert,
//! and never a false "no plan".

use adapters::queue::SqsQueue;
use adapters::store::access::AccessStore;
use adapters::store::{Index, QueryOptions, Table};
use aws_sdk_sqs::Client as SqsClient;
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use cpindex::access::Access;
use cpindex::keys::ALERT_FANOUT_QUEUE;
use cpindex::{FixedClock, NhsNumber, Retention};
use integration_tests::fixtures::{CAMDEN, CHILD, LEEDS, MOTHER, NOBODY};
use integration_tests::http::{call, la, request, Answer, As};
use integration_tests::io_recorder::{critical_path, IoRecorder};
use integration_tests::{emulator_url, unreachable_store, Emulator};
use serde_json::{json, Value};

const ED: &str = "RR801";

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn ed(user: &str) -> As<'_> {
    Some(("unscheduled_care", ED, user))
}

fn plan(plan_ref: &str, nhs: &str, plan_type: &str, version: u64) -> Value {
    let mut p = json!({
        "planRef": plan_ref, "nhsNumber": nhs, "planType": plan_type, "startDate": "2026-01-10",
        "sourceVersion": version
    });
    if plan_type.starts_with("UCP") {
        p["expectedDueDate"] = json!("2027-01-15");
    }
    p
}

struct Fixture {
    emu: Emulator,
    table: Table,
    queue_url: String,
    upsert: Router,
    lookup: Router,
}

/// The `i`th valid NHS number of the never-issued test range (999 000 0000 onwards).
fn test_child(i: usize) -> String {
    (0..)
        .filter_map(|k: u32| {
            let n = 9_990_000_000u64 + u64::from(k) * 10;
            let first: [u8; 9] =
                std::array::from_fn(|d| ((n / 10u64.pow(9 - d as u32)) % 10) as u8);
            NhsNumber::from_first_nine(first).map(|n| n.digits())
        })
        .nth(i)
        .expect("the test range holds many valid numbers")
}

fn lookup_router(table: &Table, queue: SqsQueue, clock: FixedClock) -> Router {
    let retention = Retention::default();
    let store = table.clone();
    lookup::router(lookup::App::new(
        store.clone(),
        queue,
        integration_tests::child_keys(),
        retention,
        clock,
    ))
}

async fn fixture() -> Fixture {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (queue, urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let retention = Retention::default();
    let upsert = plan_upsert::router(plan_upsert::App::new(
        table.clone(),
        integration_tests::child_keys(),
        retention,
        FixedClock::at(now() - Duration::days(2)),
    ));
    let lookup = lookup_router(&table, queue, FixedClock::at(now()));
    Fixture {
        emu,
        table,
        queue_url: urls.queue,
        upsert,
        lookup,
    }
}

impl Fixture {
    async fn load(&self, org: &str, records: Vec<Value>) {
        let ack = call(
            &self.upsert,
            request(
                "POST",
                "/v1/plan-batches",
                la(org),
                Some(&json!({"mode": "delta", "records": records})),
            ),
        )
        .await;
        assert_eq!(ack.body["fileOutcome"], "all_loaded", "{ack:?}");
    }

    async fn look(&self, nhs: &str, caller: As<'_>) -> Answer {
        call(
            &self.lookup,
            request("GET", &format!("/v1/children/{nhs}"), caller, None),
        )
        .await
    }

    async fn queued(&self) -> Vec<Access> {
        let mut out = Vec::new();
        for _ in 0..3 {
            let got = self.emu.receive(&self.queue_url).await;
            if got.is_empty() {
                break;
            }
            out.extend(
                got.into_iter()
                    .map(|m| serde_json::from_str::<Access>(&m.body.unwrap()).unwrap()),
            );
        }
        out
    }

    async fn partition(&self, nhs: &str, prefix: &str) -> Vec<adapters::store::Item> {
        let pk = cpindex::keys::key::child_pk(&integration_tests::child_key(
            &NhsNumber::parse(nhs).unwrap(),
        ));
        self.table
            .query(Index::Table, &pk, Some(prefix), QueryOptions::default())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_looked_after_child_placed_out_of_area_shows_both_las_and_starts_the_alert() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "LAC", 1)]).await;
    f.load(CAMDEN, vec![plan("C-7", CHILD, "CPP", 3)]).await;

    let a = f.look(CHILD, ed("dr-1")).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(a.body["hasPlan"], true);
    let mut las: Vec<_> = a.body["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["responsibleLa"]["code"].clone(),
                p["nationalCode"].clone(),
            )
        })
        .collect();
    las.sort_by_key(|x| x.0.to_string());
    assert_eq!(
        las,
        vec![
            (json!(LEEDS), json!("LACI")),
            (json!(CAMDEN), json!("CPPI"))
        ]
    );
    // Each LA's numbers are its own profile's.
    for p in a.body["plans"].as_array().unwrap() {
        let org = p["responsibleLa"]["code"].as_str().unwrap();
        let profile = integration_tests::fixtures::profile(org);
        assert_eq!(
            p["responsibleLa"]["emergencyDutyPhone"],
            profile.emergency_duty_phone.unwrap().as_str()
        );
    }
    assert!(
        a.body["plans"][0].get("planRef").is_none(),
        "LA references are not shared"
    );

    let access_id = a.body["accessId"].as_str().unwrap();
    let queued = f.queued().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].access_id, access_id);
    let pending = AccessStore::new(f.table.clone())
        .pending_before(now() + Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|p| p.access_id.as_str())
            .collect::<Vec<_>>(),
        vec![access_id],
        "pending until fan-out confirms"
    );
}

#[tokio::test]
async fn an_unborn_child_plan_is_found_on_the_mothers_number() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("U-1", MOTHER, "UCPI", 1)]).await;
    let a = f.look(MOTHER, ed("mw-1")).await;
    assert_eq!(a.body["plans"][0]["planType"], "UCPP");
    assert_eq!(a.body["plans"][0]["expectedDueDate"], "2027-01-15");
}

#[tokio::test]
async fn no_plan_is_answered_only_after_reading_and_still_recorded() {
    let f = fixture().await;
    let a = f.look(NOBODY, ed("dr-1")).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        (a.body["hasPlan"].clone(), a.body["plans"].clone()),
        (json!(false), json!([]))
    );
    assert_eq!(
        f.partition(NOBODY, "VISIT#").await.len(),
        1,
        "the access is audited"
    );
    assert_eq!(
        f.queued().await.len(),
        0,
        "nothing for fan-out: a child with no plan costs the read and the audit write"
    );
    assert!(
        AccessStore::new(f.table.clone())
            .pending_before(now() + Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty(),
        "not pending: reconciliation has nothing to re-drive"
    );
}

#[tokio::test]
async fn scheduled_care_reads_silently_but_is_audited() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP", 1)]).await;
    let a = f
        .look(CHILD, Some(("scheduled_care", "Y02794", "gp-1")))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["hasPlan"], true);
    assert!(f.queued().await.is_empty(), "no alert");
    assert!(f.partition(CHILD, "VISIT#").await.is_empty(), "no visit");
    let audited = f.partition(CHILD, "ACCESS#").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["role"].as_s().unwrap(), "scheduled_care");
    assert!(
        !audited[0].contains_key("gsi1pk"),
        "not pending: nothing to fan out"
    );
}

#[tokio::test]
async fn visits_show_newest_first_and_repeats_within_a_day_collapse() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP", 1)]).await;
    let table = f.table.clone();
    let (queue, _) = f.emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let clock = FixedClock::at(now() - Duration::hours(30));
    let earlier = lookup_router(&table, queue, clock);
    // dr-1 at -30h, -29h (collapses), dr-2 at -30h; then dr-1 now.
    for user in ["dr-1", "dr-2"] {
        call(
            &earlier,
            request("GET", &format!("/v1/children/{CHILD}"), ed(user), None),
        )
        .await;
    }
    let (queue, _) = f.emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let later = lookup_router(&table, queue, FixedClock::at(now() - Duration::hours(29)));
    call(
        &later,
        request("GET", &format!("/v1/children/{CHILD}"), ed("dr-1"), None),
    )
    .await;

    let a = f.look(CHILD, ed("dr-1")).await;
    let visits = a.body["visits"].as_array().unwrap();
    assert_eq!(
        visits.len(),
        2,
        "dr-1's second view within 24 h collapses; this access is not listed: {visits:?}"
    );
    assert!(visits.iter().all(|v| v["settingCode"] == ED));
    assert!(visits[0]["at"].as_str() >= visits[1]["at"].as_str());
    // The current access was recorded and will show next time.
    let again = f.look(CHILD, ed("dr-3")).await;
    assert_eq!(again.body["visits"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn withdrawn_moved_and_expired_plans_are_not_shown_and_ended_ones_are() {
    let f = fixture().await;
    let mut ended = plan("E-1", CHILD, "CPP", 1);
    ended["endDate"] = json!("2026-06-01");
    let mut expired = plan("X-1", CHILD, "LAC", 1);
    expired["startDate"] = json!("2020-01-01");
    expired["endDate"] = json!("2025-01-01");
    f.load(
        LEEDS,
        vec![
            ended,
            expired,
            plan("W-1", CHILD, "CPP", 1),
            plan("M-1", CHILD, "CPP", 1),
        ],
    )
    .await;
    call(
        &f.upsert,
        request("DELETE", "/v1/plans/W-1?sourceVersion=2", la(LEEDS), None),
    )
    .await;
    f.load(LEEDS, vec![plan("M-1", MOTHER, "CPP", 2)]).await;

    let a = f.look(CHILD, ed("dr-1")).await;
    // The only plan shown has ended: it is listed apart, and the child has no (active) plan.
    assert_eq!(a.body["plans"], json!([]), "{}", a.body);
    let ended = a.body["endedPlans"].as_array().unwrap();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0]["status"], "ended");
    assert_eq!(a.body["hasPlan"], false);
}

#[tokio::test]
async fn has_plan_means_an_active_plan_whatever_else_is_held() {
    let f = fixture().await;
    // Every mix of active and ended plans for one child, in both orders of loading.
    for (i, mix) in [
        vec![true],
        vec![false],
        vec![true, false],
        vec![false, true],
        vec![false, false],
        vec![true, true, false],
    ]
    .into_iter()
    .enumerate()
    {
        let child = test_child(i);
        let records: Vec<Value> = mix
            .iter()
            .enumerate()
            .map(|(j, active)| {
                let mut p = plan(&format!("MIX-{i}-{j}"), &child, "CPP", 1);
                if !active {
                    p["endDate"] = json!("2026-06-01");
                }
                p
            })
            .collect();
        f.load(LEEDS, records).await;
        let a = f.look(&child, ed("dr-1")).await;
        let active = mix.iter().filter(|a| **a).count();
        assert_eq!(a.body["hasPlan"], active > 0, "{mix:?}: {}", a.body);
        assert_eq!(a.body["plans"].as_array().unwrap().len(), active, "{mix:?}");
        assert_eq!(
            a.body["endedPlans"].as_array().unwrap().len(),
            mix.len() - active,
            "{mix:?}"
        );
        for p in a.body["plans"].as_array().unwrap() {
            assert_eq!(p["status"], "active");
        }
        for p in a.body["endedPlans"].as_array().unwrap() {
            assert_eq!(p["status"], "ended");
        }
    }
}

#[tokio::test]
async fn bad_requests_are_refused_and_denials_are_audited() {
    let f = fixture().await;
    let bad = f.look("9876544321", ed("dr-1")).await;
    assert_eq!(
        (
            bad.status.as_u16(),
            bad.problem_code(),
            bad.body["field"].clone()
        ),
        (400, "invalid_nhs_number", json!("/nhsNumber"))
    );
    let anonymous = f.look(CHILD, None).await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.problem_code()),
        (401, "unauthenticated")
    );
    let browsing = f.look(CHILD, la(LEEDS)).await;
    assert_eq!(
        (browsing.status.as_u16(), browsing.problem_code()),
        (403, "forbidden_role")
    );
    let audited = f.partition(CHILD, cpindex::keys::key::AUDIT_PREFIX).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["outcome"].as_s().unwrap(), "denied_role");
    assert!(f.queued().await.is_empty());
}

#[tokio::test]
async fn a_store_that_cannot_be_read_answers_503_never_no_record() {
    // Unreachable store and queue.
    let down = unreachable_store();
    let table = Table::new(down.dynamo.clone(), "anything");
    let queue = SqsQueue::new(down.sqs.clone(), "http://127.0.0.1:9/000000000000/q");
    let router = lookup_router(&table, queue, FixedClock::at(now()));
    let a = call(
        &router,
        request("GET", &format!("/v1/children/{CHILD}"), ed("dr-1"), None),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (503, "store_unavailable")
    );
    assert_eq!(a.headers["retry-after"], "2");
    assert!(a.body.get("plans").is_none());

    // A store that answers, but not for this table (deleted, wrong region, permissions).
    let emu = Emulator::connect();
    let (queue, _) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let missing = Table::new(emu.dynamo.clone(), "no-such-table");
    let router = lookup_router(&missing, queue, FixedClock::at(now()));
    let a = call(
        &router,
        request("GET", &format!("/v1/children/{CHILD}"), ed("dr-1"), None),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (503, "store_unavailable")
    );
}

#[tokio::test]
async fn a_queue_that_is_down_costs_the_alert_nothing_the_lookup_still_answers() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP", 1)]).await;
    let down = unreachable_store();
    let queue = SqsQueue::new(down.sqs.clone(), "http://127.0.0.1:9/000000000000/q");
    let router = lookup_router(&f.table, queue, FixedClock::at(now()));
    let a = call(
        &router,
        request("GET", &format!("/v1/children/{CHILD}"), ed("dr-1"), None),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["hasPlan"], true);
    let pending = AccessStore::new(f.table.clone())
        .pending_before(now() + Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(
        pending.len(),
        1,
        "the pending access is there for reconciliation to re-drive"
    );
}

/// Refused over the hourly cap, a lookup of a child with a plan still reaches fan-out (the LA
/// learns its child was asked about); of a child without one, it still costs nothing more.
#[tokio::test]
async fn a_lookup_refused_over_the_cap_still_reaches_fan_out() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP", 1)]).await;
    let queue = SqsQueue::new(f.emu.sqs.clone(), f.queue_url.clone());
    let router = lookup::router(
        lookup::App::new(
            f.table.clone(),
            queue,
            integration_tests::child_keys(),
            Retention::default(),
            FixedClock::at(now()),
        )
        .with_usage_cap(cpindex::usage::UsageCap::new(1).unwrap()),
    );
    let ask = |nhs: &str| request("GET", &format!("/v1/children/{nhs}"), ed("dr-cap"), None);
    assert_eq!(call(&router, ask(NOBODY)).await.status, 200);
    assert!(f.queued().await.is_empty());
    for (nhs, queued) in [(NOBODY, 0), (CHILD, 1)] {
        let a = call(&router, ask(nhs)).await;
        assert_eq!(a.status, 429, "{a:?}");
        assert_eq!(f.queued().await.len(), queued, "{nhs}");
    }
}

#[tokio::test]
async fn a_lookup_is_one_round_trip_without_a_plan_and_two_with_one() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP", 1)]).await;
    let recorder = IoRecorder::default();
    let (dynamo, sqs): (_, SqsClient) = recorder.clients(&emulator_url());
    let table = Table::new(dynamo, f.table.name());
    let router = integration_tests::started_lookup(
        table,
        SqsQueue::new(sqs, f.queue_url.clone()),
        FixedClock::at(now()),
    )
    .await;
    // The reads, the audit write and the caller's count for the hour (UpdateItem) overlap;
    // only a child with a plan record takes a second round trip: the hand-off to fan-out and
    // the pending mark, side by side.
    for (nhs, second, depth) in [
        (NOBODY, vec![], 1),
        (CHILD, vec!["PutItem", "SendMessage"], 2),
    ] {
        recorder.take();
        let a = call(
            &router,
            request("GET", &format!("/v1/children/{nhs}"), ed("dr-1"), None),
        )
        .await;
        assert_eq!(a.status, 200);
        let spans = recorder.take();
        let mut ops: Vec<_> = spans.iter().map(|s| s.operation.as_str()).collect();
        ops.sort();
        let mut want = vec!["PutItem", "Query", "Query", "UpdateItem"];
        want.extend(second);
        want.sort();
        assert_eq!(ops, want);
        assert_eq!(critical_path(&spans), depth, "{spans:?}");
    }
}

/// An LA account cannot plant the number a clinician calls: LA B recording a plan on LA A's
/// child, naming LA A's team with a number of its own, is shown with its own vetted numbers
/// only; the team it names appears as given by it, beside those numbers, never instead of them.
#[tokio::test]
async fn a_clinician_sees_only_vetted_numbers_whoever_recorded_the_plan() {
    let f = fixture().await;
    f.load(LEEDS, vec![plan("L-1", CHILD, "CPP", 1)]).await;
    // LA B cannot name contacts at all…
    let mut planted = plan("B-1", CHILD, "CPP", 1);
    planted["responsibleLa"] = json!({"name": "Leeds City Council", "team": "Children's Front Door",
        "emergencyDutyPhone": "07700 900123"});
    let refused = call(
        &f.upsert,
        request("PUT", "/v1/plans/B-1", la(CAMDEN), Some(&planted)),
    )
    .await;
    assert_eq!(
        (
            refused.status.as_u16(),
            refused.problem_code(),
            refused.body["field"].as_str()
        ),
        (400, "contacts_from_profile", Some("/responsibleLa"))
    );
    // …and the case team it may give shows as its own, beside its vetted numbers.
    let mut with_team = plan("B-1", CHILD, "CPP", 1);
    with_team["caseTeam"] = json!({"team": "Leeds City Council, Children's Front Door",
        "phone": "07700 900123"});
    f.load(CAMDEN, vec![with_team]).await;
    let a = f.look(CHILD, ed("dr-1")).await;
    assert_eq!(a.status, 200);
    let plans = a.body["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    for p in plans {
        let la = &p["responsibleLa"];
        let vetted = integration_tests::fixtures::profile(la["code"].as_str().unwrap());
        assert_eq!(la["name"], vetted.name.as_str());
        assert_eq!(la["team"], vetted.team.as_str());
        assert_eq!(
            la["emergencyDutyPhone"],
            vetted.emergency_duty_phone.unwrap().as_str()
        );
        assert_eq!(
            la["officeHoursPhone"],
            vetted.office_hours_phone.unwrap().as_str()
        );
    }
    let camden = plans
        .iter()
        .find(|p| p["responsibleLa"]["code"] == CAMDEN)
        .unwrap();
    assert_eq!(camden["responsibleLa"]["caseTeam"]["phone"], "07700 900123");
    // The planted number is nowhere but in Camden's own case team.
    let text = a.body.to_string();
    assert_eq!(text.matches("07700 900123").count(), 1, "{text}");
}

/// An LA without a profile records nothing, through every write route, and is told who to ask.
#[tokio::test]
async fn an_la_without_a_profile_cannot_record_plans() {
    let f = fixture().await;
    let unprofiled = "E06000047";
    let mut one = plan("X-1", CHILD, "CPP", 1);
    one.as_object_mut().unwrap().remove("planRef");
    let put = call(
        &f.upsert,
        request("PUT", "/v1/plans/X-1", la(unprofiled), Some(&one)),
    )
    .await;
    assert_eq!(
        (put.status.as_u16(), put.problem_code()),
        (422, "la_profile_missing")
    );
    assert!(put.body["detail"].as_str().unwrap().contains("operators"));
    let batch = call(
        &f.upsert,
        request(
            "POST",
            "/v1/plan-batches",
            la(unprofiled),
            Some(&json!({"mode": "delta", "records": [plan("X-1", CHILD, "CPP", 1), plan("X-2", NOBODY, "LAC", 1)]})),
        ),
    )
    .await;
    assert_eq!(batch.status, 200);
    for r in batch.body["records"].as_array().unwrap() {
        assert_eq!(
            (r["outcome"].as_str(), r["code"].as_str()),
            (Some("rejected"), Some("la_profile_missing"))
        );
    }
    // Nothing but the upload's counts (the indicators count refused records too).
    let written: Vec<_> = f
        .emu
        .scan_data(&f.table)
        .await
        .into_iter()
        .filter(|i| i["entity"].as_s().unwrap() != cpindex::keys::Entity::Indicators.as_str())
        .collect();
    assert!(written.is_empty(), "nothing written: {written:?}");
}
