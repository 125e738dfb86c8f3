//! A missing table or queue (or a role that may not use it) is a configuration fault, not an
//! outage: the adapters classify it, log one error line naming the resource (what the
//! template's metric filters count), and every caller still answers 503, never "no plan".

use adapters::queue::{QueueError, SqsQueue};
use adapters::store::{Index, QueryOptions, StoreError, Table};
use chrono::{TimeZone, Utc};
use cpindex::keys::ALERT_FANOUT_QUEUE;
use cpindex::log::MISCONFIGURED;
use cpindex::{FixedClock, Retention};
use integration_tests::http::{call, la, request};
use integration_tests::logs;
use integration_tests::Emulator;

const CHILD: &str = "9434765919";

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
        "sourceVersion": 1,
        "responsibleLa": {"name": "LA", "team": "T", "emergencyDutyPhone": "0113 535 0600"}});
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
