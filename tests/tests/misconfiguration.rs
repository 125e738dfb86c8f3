//! A missing table or queue (or a role that may not use it) is a configuration fault, not an
//! outage: the adapters classify it, log one error line naming the resource (what the
//! template's metric filters count), and every caller still answers 503, never "no plan".

use adapters::queue::{QueueError, SqsQueue};
use adapters::store::{Index, QueryOptions, StoreError, Table};
use chrono::{TimeZone, Utc};
use cpindex::keys::ALERT_FANOUT_QUEUE;
use cpindex::log::MISCONFIGURED;
use cpindex::{FixedClock, Retention};
use integration_tests::fixtures::CHILD;
use integration_tests::http::{call, la, request};
use integration_tests::logs;
use integration_tests::Emulator;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

/// A table name no test creates.
fn missing_table(emu: &Emulator) -> Table {
    Table::new(
        emu.dynamo.clone(),
        format!("missing-{}", uuid::Uuid::new_v4().simple()),
    )
}

#[tokio::test]
async fn a_missing_table_is_a_configuration_fault_logged_with_its_name() {
    let emu = Emulator::connect();
    let table = missing_table(&emu);
    let (captured, _guard) = logs::capture();
    let err = table
        .query(Index::Table, "P", None, QueryOptions::default())
        .await
        .unwrap_err();
    match &err {
        StoreError::Misconfigured { resource, code, .. } => {
            assert_eq!(resource, table.name());
            assert_eq!(code, "ResourceNotFoundException");
        }
        other => panic!("expected a configuration fault, got {other:?}"),
    }
    assert!(err.is_transient(), "callers answer 503");
    let lines = captured.events(MISCONFIGURED);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(lines[0]["fields"]["resource"], table.name());
    assert_eq!(lines[0]["fields"]["service"], "dynamodb");
}

#[tokio::test]
async fn a_missing_queue_is_a_configuration_fault_logged_with_its_url() {
    let emu = Emulator::connect();
    let (real, urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let url = format!("{}-gone", urls.queue);
    let queue = SqsQueue::new(emu.sqs.clone(), &url);
    let (captured, _guard) = logs::capture();
    let err = queue.send("{}".into()).await.unwrap_err();
    assert!(
        matches!(&err, QueueError::Misconfigured { resource, .. } if resource == &url),
        "{err:?}"
    );
    let lines = captured.events(MISCONFIGURED);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["fields"]["resource"], url.as_str());
    assert_eq!(lines[0]["fields"]["service"], "sqs");
    // The queue that exists is untouched by the classification.
    real.send("{}".into()).await.unwrap();
}

#[tokio::test]
async fn every_function_over_a_missing_table_answers_503_and_the_operator_is_told() {
    let emu = Emulator::connect();
    let table = missing_table(&emu);
    let (queue, _) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let retention = Retention::default();
    let store = table.clone();
    let lookup = lookup::router(lookup::App::new(
        store.clone(),
        queue,
        integration_tests::child_keys(),
        retention,
        FixedClock::at(now()),
    ));
    let upsert = plan_upsert::router(plan_upsert::App::new(
        table.clone(),
        integration_tests::child_keys(),
        retention,
        FixedClock::at(now()),
    ));
    let inbox = inbox::router(inbox::App::new(
        table.clone(),
        retention,
        FixedClock::at(now()),
        cpindex::profile::WebhookPolicy::LocalHttpAllowed,
    ));
    let (captured, _guard) = logs::capture();
    let ed = Some(("unscheduled_care", "RR801", "dr-1"));
    let plan = serde_json::json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": "2026-01-10",
        "sourceVersion": 1});
    let cases = [
        (
            "lookup",
            call(
                &lookup,
                request("GET", &format!("/v1/children/{CHILD}"), ed, None),
            )
            .await,
        ),
        (
            "plan upsert",
            call(
                &upsert,
                request("PUT", "/v1/plans/CP-1", la("E08000035"), Some(&plan)),
            )
            .await,
        ),
        (
            "inbox",
            call(
                &inbox,
                request("GET", "/v1/notifications", la("E08000035"), None),
            )
            .await,
        ),
    ];
    for (what, a) in &cases {
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (503, "store_unavailable"),
            "{what}: {a:?}"
        );
        assert!(
            a.body.get("plans").is_none(),
            "{what}: never an empty answer"
        );
    }
    let lines = captured.events(MISCONFIGURED);
    assert!(
        lines.len() >= cases.len(),
        "one line per failed call: {lines:?}"
    );
    assert!(lines
        .iter()
        .all(|l| l["fields"]["resource"] == table.name()));
}

/// The functions over `table` with the child key `secret`, as a (re)started process wires them.
fn functions_with_key(
    table: &Table,
    queue: SqsQueue,
    secret: &str,
) -> (axum::Router, axum::Router) {
    let keys = cpindex::ChildKeys::from_secret(secret).unwrap();
    let lookup = lookup::router(lookup::App::new(
        table.clone(),
        queue,
        keys.clone(),
        Retention::default(),
        FixedClock::at(now()),
    ));
    let upsert = plan_upsert::router(plan_upsert::App::new(
        table.clone(),
        keys,
        Retention::default(),
        FixedClock::at(now()),
    ));
    (lookup, upsert)
}

/// A clinician's lookup of the child finds its plan.
async fn assert_has_plan(lookup: &axum::Router) {
    let ed = Some(("unscheduled_care", "RR801", "dr-1"));
    let seen = call(
        lookup,
        request("GET", &format!("/v1/children/{CHILD}"), ed, None),
    )
    .await;
    assert_eq!(
        (seen.status.as_u16(), &seen.body["hasPlan"]),
        (200, &serde_json::json!(true))
    );
}

/// Every item, sorted, as text: a stable picture of the whole table.
async fn picture(emu: &Emulator, table: &Table) -> Vec<String> {
    let mut items: Vec<String> = emu
        .scan_all(table)
        .await
        .iter()
        .map(|i| {
            // As JSON, whose maps are sorted: the item's own maps iterate in any order.
            serde_dynamo::from_item::<_, serde_json::Value>(i.clone())
                .unwrap()
                .to_string()
        })
        .collect();
    items.sort();
    items
}

#[tokio::test]
async fn a_changed_child_key_is_an_outage_that_writes_nothing_never_a_no_plan_answer() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (queue, _) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let ed = Some(("unscheduled_care", "RR801", "dr-1"));
    let plan = serde_json::json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": "2026-01-10",
        "sourceVersion": 1});
    // Given a plan recorded under the stack's key.
    let (lookup, upsert) = functions_with_key(
        &table,
        queue.clone(),
        integration_tests::TEST_CHILD_KEY_SECRET,
    );
    let put = call(
        &upsert,
        request("PUT", "/v1/plans/CP-1", la("E08000035"), Some(&plan)),
    )
    .await;
    assert_eq!(put.status, 201, "{:?}", put.body);
    assert_has_plan(&lookup).await;

    // When the functions restart with other secrets (rotated, re-created, mistyped; the same
    // secret under a new id is not a change).
    let before = picture(&emu, &table).await;
    for other in [
        "another-secret-0123456789abcdef0123456789",
        &format!("{}x", integration_tests::TEST_CHILD_KEY_SECRET),
        r#"{"id": "2", "secret": "rotated-0123456789abcdef0123456789"}"#,
    ] {
        let (captured, _guard) = logs::capture();
        let (lookup, upsert) = functions_with_key(&table, queue.clone(), other);
        // Then every lookup answers 503 (never 200 "no plan"), every write is refused…
        for _ in 0..3 {
            let a = call(
                &lookup,
                request("GET", &format!("/v1/children/{CHILD}"), ed, None),
            )
            .await;
            assert_eq!(
                (a.status.as_u16(), a.problem_code()),
                (503, "store_unavailable")
            );
            assert!(a.headers.contains_key("retry-after"));
        }
        let w = call(
            &upsert,
            request("PUT", "/v1/plans/CP-2", la("E08000035"), Some(&plan)),
        )
        .await;
        assert_eq!(
            (w.status.as_u16(), w.problem_code()),
            (503, "store_unavailable")
        );
        let w = call(
            &upsert,
            request(
                "POST",
                "/v1/plan-batches",
                la("E08000035"),
                Some(&serde_json::json!({"mode": "full", "records": [plan.clone()]})),
            ),
        )
        .await;
        assert_eq!(w.status.as_u16(), 503);
        // …and each function logs one configuration fault, however many requests it refused.
        let faults = captured.events(MISCONFIGURED);
        assert_eq!(faults.len(), 2, "{faults:?}");
        assert!(faults.iter().all(|f| f["fields"]["service"] == "child-key"));
    }
    // Nothing was written under the wrong keys: the table reads back exactly as before.
    assert_eq!(picture(&emu, &table).await, before);

    // The right key again (the same secret, named with an id): the plan is there.
    let (lookup, _) = functions_with_key(
        &table,
        queue,
        &format!(
            r#"{{"id": "7", "secret": "{}"}}"#,
            integration_tests::TEST_CHILD_KEY_SECRET
        ),
    );
    assert_has_plan(&lookup).await;
}
