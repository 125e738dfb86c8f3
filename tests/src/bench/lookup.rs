//! Lookup: the handler called in-process against the same requests issued directly with the SDK
//! in the same pattern (two queries, the access put and the hourly count at once; for a child
//! with a plan, then a send and a put at once), interleaved one by one. The emulator serves
//! requests mostly one at a time, so overlap is counted, not timed: every request's start and
//! end is recorded and the longest chain of sequential requests the answer waited for reported,
//! apart for children with and without a plan (a cache refreshed in the background, once a
//! minute, is not on it).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use adapters::queue::SqsQueue;
use adapters::store::Table;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use cpindex::keys::{attr, key, ALERT_FANOUT_QUEUE};
use cpindex::{FixedClock, Retention};
use serde_json::json;

use crate::bench::ingest::{nhs, record};
use crate::http::{call, la, request};
use crate::io_recorder::{awaited, awaited_critical_path, IoRecorder};

const ORG: &str = "E08000035";

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(url: &str, lookups: usize) -> Vec<(String, String)> {
    let recorder = IoRecorder::default();
    // A shared, busy machine: a slow emulator call must not turn into a 503 mid-benchmark.
    let (dynamo, sqs) = recorder.clients_with(url, cpindex::config::CallTimeouts::bulk());
    let table_name = format!("bench-lookup-{}", uuid::Uuid::new_v4().simple());
    crate::create_bench_table(&dynamo, &table_name)
        .await
        .expect("table");
    let stack = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let urls = adapters::bootstrap::create_queue(&sqs, &stack, &ALERT_FANOUT_QUEUE)
        .await
        .expect("queue");
    let table = Table::new(dynamo.clone(), &table_name);
    let retention = Retention::default();
    let clock = || FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap());

    // Half of the children looked up have a plan.
    let children = 200usize;
    // The raw side gets its own copy of the same data: its hand-written access items are not
    // ours, and our lookups must not read them back.
    let raw_table_name = format!("bench-lookup-raw-{}", uuid::Uuid::new_v4().simple());
    crate::create_bench_table(&dynamo, &raw_table_name)
        .await
        .expect("table");
    // The FHIR view's lookups get a third copy, so the JSON and raw sides stay alike (the same
    // visits accumulating per child) while the FHIR side is measured beside them.
    let fhir_table_name = format!("bench-lookup-fhir-{}", uuid::Uuid::new_v4().simple());
    crate::create_bench_table(&dynamo, &fhir_table_name)
        .await
        .expect("table");
    let records: Vec<_> = (0..children).step_by(2).map(record).collect();
    for name in [&table_name, &raw_table_name, &fhir_table_name] {
        let upsert = plan_upsert::router(plan_upsert::App::new(
            Table::new(dynamo.clone(), name.as_str()),
            crate::child_keys(),
            retention,
            clock(),
        ));
        let body = json!({"mode": "delta", "records": records});
        let ack = call(
            &upsert,
            request("POST", "/v1/plan-batches", la(ORG), Some(&body)),
        )
        .await;
        assert_eq!(ack.body["fileOutcome"], "all_loaded");
    }

    let store = table.clone();
    let queue = SqsQueue::new(sqs.clone(), urls.queue.clone());
    let router = crate::started_lookup(store.clone(), queue, clock()).await;

    let fhir_table = Table::new(dynamo.clone(), &fhir_table_name);
    let fhir_store = fhir_table.clone();
    let fhir_router = crate::started_lookup(
        fhir_store.clone(),
        SqsQueue::new(sqs.clone(), urls.queue.clone()),
        clock(),
    )
    .await;

    let (mut ours, mut raw) = (Vec::with_capacity(lookups), Vec::with_capacity(lookups));
    // The critical path for a child with no plan (the lean path) and for one with a plan.
    let (mut max_depth, mut plan_depth) = (0, 0);
    let (mut fhir, mut fhir_depth, mut fhir_plan_depth) = (Vec::with_capacity(lookups), 0, 0);
    let mut requests = 0;
    let user = Some(("unscheduled_care", "RR801", "bench"));
    let (org, user_id) = (
        cpindex::OrgCode::parse("RR801").expect("an org code"),
        cpindex::claims::UserId::parse("bench").expect("a user id"),
    );
    for i in 0..lookups {
        let n = nhs(i % children);
        let req = request("GET", &format!("/v1/children/{}", n.digits()), user, None);
        recorder.take();
        let t = Instant::now();
        let answer = awaited(call(&router, req)).await;
        ours.push(t.elapsed());
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let spans = recorder.take();
        requests += spans.len();
        let has_plan = answer.body["plans"]
            .as_array()
            .is_some_and(|p| !p.is_empty());
        let depth = awaited_critical_path(&spans);
        if has_plan {
            plan_depth = plan_depth.max(depth);
        } else {
            max_depth = max_depth.max(depth);
        }

        // The same lookup through the FHIR view (the national CareTeam search), side by side.
        let uri = format!(
            "/FHIR/R4/CareTeam?{}={}%7C{}",
            cpindex::fhir::PATIENT_IDENTIFIER,
            cpindex::fhir::NHS_NUMBER_SYSTEM,
            n.digits()
        );
        let mut req = request("GET", &uri, user, None);
        req.headers_mut().insert(
            "TraceID",
            uuid::Uuid::new_v4()
                .to_string()
                .parse()
                .expect("a header value"),
        );
        let t = Instant::now();
        let answer = awaited(call(&fhir_router, req)).await;
        fhir.push(t.elapsed());
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let depth = awaited_critical_path(&recorder.take());
        if has_plan {
            fhir_plan_depth = fhir_plan_depth.max(depth);
        } else {
            fhir_depth = fhir_depth.max(depth);
        }

        // The same requests, raw: the reads, the audit write and the hourly count at once; for
        // a child with a plan, then the hand-off and the pending mark at once.
        let pk = key::child_pk(&crate::child_key(&n));
        let access_id = uuid::Uuid::new_v4().to_string();
        let at = Utc::now();
        let item = HashMap::from([
            (attr::PK.to_owned(), AttributeValue::S(pk.clone())),
            (
                attr::SK.to_owned(),
                AttributeValue::S(key::visit_sk(at, &access_id)),
            ),
            ("accessId".to_owned(), AttributeValue::S(access_id.clone())),
            (
                "child".to_owned(),
                AttributeValue::S(crate::child_key(&n).to_string()),
            ),
            (
                "role".to_owned(),
                AttributeValue::S("unscheduled_care".into()),
            ),
            ("org".to_owned(), AttributeValue::S("RR801".into())),
            ("user".to_owned(), AttributeValue::S("bench".into())),
        ]);
        let mut pending = item.clone();
        pending.insert(
            "gsi1pk".to_owned(),
            AttributeValue::S(key::PENDING_ACCESSES_GSI.into()),
        );
        pending.insert("gsi1sk".to_owned(), AttributeValue::S(access_id.clone()));
        let t = Instant::now();
        let query = |prefix: &'static str, forward: bool, limit: Option<i32>| {
            dynamo
                .query()
                .table_name(&raw_table_name)
                .consistent_read(true)
                .scan_index_forward(forward)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#sk", attr::SK)
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":sk", AttributeValue::S(prefix.into()))
                .set_limit(limit)
                .send()
        };
        let put = dynamo
            .put_item()
            .table_name(&raw_table_name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .send();
        let hour = cpindex::usage::hour_of(at);
        let count = dynamo
            .update_item()
            .table_name(&raw_table_name)
            .key(
                attr::PK,
                AttributeValue::S(key::usage_pk(&org, &cpindex::indicators::IsoWeek::of(at))),
            )
            .key(attr::SK, AttributeValue::S(key::usage_sk(hour, &user_id)))
            .update_expression("SET #entity = :entity, #hour = :hour ADD #c :one")
            .expression_attribute_names("#entity", attr::ENTITY)
            .expression_attribute_names("#hour", "hour")
            .expression_attribute_names("#c", "lookups")
            .expression_attribute_values(":entity", AttributeValue::S("usage".into()))
            .expression_attribute_values(":hour", AttributeValue::S(hour.to_rfc3339()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send();
        let (a, b, c, d) = tokio::join!(
            query(key::PLAN_PREFIX, true, None),
            query(key::VISIT_PREFIX, false, Some(100)),
            put,
            count,
        );
        let plans = a.expect("raw plans");
        b.expect("raw visits");
        c.expect("raw put");
        d.expect("raw hourly count");
        if plans.count > 0 {
            let send = sqs
                .send_message()
                .queue_url(&urls.queue)
                .message_body(
                    json!({"accessId": access_id, "child": crate::child_key(&n).to_string()})
                        .to_string(),
                )
                .send();
            let mark = dynamo
                .put_item()
                .table_name(&raw_table_name)
                .set_item(Some(pending))
                .send();
            let (d, e) = tokio::join!(send, mark);
            d.expect("raw send");
            e.expect("raw pending mark");
        }
        raw.push(t.elapsed());
        recorder.take();
    }
    // Keep the queue from growing without bound across runs.
    let _ = sqs.purge_queue().queue_url(&urls.queue).send().await;
    ours.sort();
    raw.sort();
    fhir.sort();
    let fhir_p50 = percentile(&fhir, 0.50);
    let p50 = percentile(&ours, 0.50);
    let raw_p50 = percentile(&raw, 0.50);
    vec![
        ("lookup_count".into(), lookups.to_string()),
        ("lookup_io_depth".into(), max_depth.to_string()),
        ("lookup_plan_io_depth".into(), plan_depth.to_string()),
        (
            "lookup_requests_per_lookup".into(),
            format!("{:.2}", requests as f64 / lookups as f64),
        ),
        ("lookup_p50_ms".into(), format!("{p50:.2}")),
        (
            "lookup_p99_ms".into(),
            format!("{:.2}", percentile(&ours, 0.99)),
        ),
        ("lookup_raw_p50_ms".into(), format!("{raw_p50:.2}")),
        (
            "lookup_raw_p99_ms".into(),
            format!("{:.2}", percentile(&raw, 0.99)),
        ),
        (
            "lookup_overhead_ratio".into(),
            format!("{:.3}", p50 / raw_p50),
        ),
        ("lookup_fhir_io_depth".into(), fhir_depth.to_string()),
        (
            "lookup_fhir_plan_io_depth".into(),
            fhir_plan_depth.to_string(),
        ),
        ("lookup_fhir_p50_ms".into(), format!("{fhir_p50:.2}")),
        (
            "lookup_fhir_over_json_ratio".into(),
            format!("{:.3}", fhir_p50 / p50),
        ),
    ]
}
