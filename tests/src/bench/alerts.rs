//! Alerts: end to end from a lookup's response to the LA's webhook receiving the alert, through
//! the real queues and consumers (the local stack's pollers); and fan-out throughput.

use std::time::{Duration, Instant};

use adapters::queue::SqsQueue;
use chrono::Utc;
use cpindex::access::{Access, AccessOutcome};
use cpindex::claims::UserId;
use cpindex::{OrgCode, Retention, Role, SystemClock};
use futures::stream::{self, StreamExt};
use serde_json::json;

use crate::bench::ingest::{nhs, record};
use crate::bench::world::ORG;
use crate::http::{call, la, request};
const CHILDREN: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(url: &str, lookups: usize) -> Vec<(String, String)> {
    let sdk = adapters::aws::for_emulator(url, cpindex::config::CallTimeouts::bulk());
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let world = crate::bench::world::create(&dynamo, &sqs, "alerts").await;
    let upsert = world.upsert();
    let fanout = world.fanout(&sqs);
    let crate::bench::world::World {
        table_name: name,
        table,
        fanout: fanout_q,
        delivery: delivery_q,
        secrets_dir,
        receiver,
    } = world;
    let retention = Retention::default();

    let records: Vec<_> = (0..CHILDREN).map(record).collect();
    call(
        &upsert,
        request(
            "POST",
            "/v1/plan-batches",
            la(ORG),
            Some(&json!({"mode": "delta", "records": records})),
        ),
    )
    .await;

    // Fan-out throughput: accesses queued directly, drained by four concurrent consumers (Lambda
    // runs several at once), each handling batches of ten.
    let queued = 300;
    let fq = SqsQueue::new(sqs.clone(), &fanout_q.queue);
    for chunk in (0..queued).collect::<Vec<_>>().chunks(10) {
        let bodies = chunk
            .iter()
            .map(|i| {
                let a = Access {
                    access_id: uuid::Uuid::new_v4().to_string(),
                    child: crate::child_key(&nhs(i % CHILDREN)),
                    at: Utc::now(),
                    user: UserId::parse("bench").unwrap(),
                    role: Role::UnscheduledCare,
                    org: OrgCode::parse("RR801").unwrap(),
                    org_name: None,
                    setting_type: None,
                    outcome: AccessOutcome::Allowed,
                    aliases: Vec::new(),
                    purpose: None,
                    missed: None,
                    request_id: None,
                    correlation_id: None,
                };
                serde_json::to_string(&a).unwrap()
            })
            .collect();
        fq.send_batch(bodies).await.unwrap();
    }
    let t = Instant::now();
    let fanout = &fanout;
    let consumed: usize = stream::iter(0..4)
        .map(|_| async {
            let mut n = 0;
            loop {
                let p =
                    local_stack::poller::poll_once(&sqs, &fanout_q.queue, 10, 0, |e| async move {
                        fanout.handle(&e).await
                    })
                    .await
                    .unwrap();
                if p.received == 0 {
                    return n;
                }
                n += p.received - p.failed;
            }
        })
        .buffer_unordered(4)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let fanout_per_s = consumed as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "alerts: fan-out {consumed} accesses -> notifications in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let _ = sqs.purge_queue().queue_url(&delivery_q.queue).send().await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // End to end: the local stack's consumers poll the real queues; time from the lookup's answer
    // to the signed POST arriving at the LA's receiver.
    let stack = local_stack::Stack {
        keys: crate::child_keys().into(),
        dynamo: dynamo.clone(),
        sqs: sqs.clone(),
        table: name.clone(),
        fanout_queue: fanout_q.queue.clone(),
        delivery_queue: delivery_q.queue.clone(),
        delivery_dlq: delivery_q.dlq.clone(),
        secrets_dir,
        usage_cap: cpindex::usage::UsageCap::default(),
    };
    let consumers = tokio::spawn(local_stack::consumers::run(stack, retention, 1));
    let child = table.clone();
    let lookup = crate::started_lookup(
        child.clone(),
        SqsQueue::new(sqs.clone(), &fanout_q.queue),
        SystemClock,
    )
    .await;
    let mut latencies = Vec::with_capacity(lookups);
    for i in 0..lookups {
        // Each lookup by a clinician of its own: one clinician's repeated views of a child within
        // a day are one attendance, alerted once (and the children repeat after 100 lookups).
        let clinician = format!("bench-dr-{i}");
        let user = Some(("unscheduled_care", "RR801", clinician.as_str()));
        let a = call(
            &lookup,
            request(
                "GET",
                &format!("/v1/children/{}", nhs(i % CHILDREN).digits()),
                user,
                None,
            ),
        )
        .await;
        let answered = Instant::now();
        let access_id = a.body["accessId"].as_str().unwrap().to_owned();
        let deadline = answered + Duration::from_secs(30);
        let arrived = loop {
            if let Some(r) = receiver
                .received()
                .into_iter()
                .find(|r| r.body["accessId"] == access_id.as_str())
            {
                break r.at;
            }
            assert!(Instant::now() < deadline, "alert {i} never arrived");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        latencies.push(arrived.saturating_duration_since(answered));
    }
    consumers.abort();
    latencies.sort();
    vec![
        ("alert_e2e_count".into(), lookups.to_string()),
        (
            "alert_e2e_p50_ms".into(),
            format!("{:.1}", percentile(&latencies, 0.50)),
        ),
        (
            "alert_e2e_p95_ms".into(),
            format!("{:.1}", percentile(&latencies, 0.95)),
        ),
        ("fanout_per_s".into(), format!("{fanout_per_s:.1}")),
    ]
}
