//! Reconciliation over a large index against a raw parallel Scan of the same index (GSI1, what
//! reconciliation reads), same segments and page size, interleaved in one run.

use std::time::{Duration, Instant};

use adapters::queue::SqsQueue;
use adapters::store::Table;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use cpindex::keys::{attr, ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::{FixedClock, Retention};
use futures::stream::{self, StreamExt};
use reconcile::{Budget, Reconciler, Settings};
use serde_json::json;

use crate::bench::ingest::{raw_items, record};
use crate::http::{call, la, request};

const ORG: &str = "E08000035";

async fn raw_scan(dynamo: &aws_sdk_dynamodb::Client, table: &str, settings: Settings) -> u64 {
    let counts = stream::iter(0..settings.segments)
        .map(|seg| async move {
            let mut n = 0u64;
            let mut start = None;
            loop {
                // What reconciliation reads: GSI1, eventually consistent.
                let out = dynamo
                    .scan()
                    .table_name(table)
                    .index_name(cpindex::keys::GSI1.name)
                    .segment(seg as i32)
                    .total_segments(settings.segments as i32)
                    .limit(settings.page_size as i32)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .expect("raw scan");
                n += out.items.map_or(0, |i| i.len() as u64);
                match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                    Some(k) => start = Some(k),
                    None => return n,
                }
            }
        })
        .buffer_unordered(settings.segments as usize)
        .collect::<Vec<_>>()
        .await;
    counts.into_iter().sum()
}

pub async fn run(url: &str, plans: usize) -> Vec<(String, String)> {
    // The emulator scans slowly: generous timeouts so the benchmark measures, not gives up.
    let timeouts = cpindex::config::CallTimeouts {
        attempt: Duration::from_secs(120),
        operation: Duration::from_secs(300),
        ..Default::default()
    };
    let sdk = adapters::aws::for_emulator(url, timeouts);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let name = format!("bench-recon-{}", uuid::Uuid::new_v4().simple());
    crate::create_bench_table(&dynamo, &name)
        .await
        .expect("table");
    let stack = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let fanout = adapters::bootstrap::create_queue(&sqs, &stack, &ALERT_FANOUT_QUEUE)
        .await
        .expect("queue");
    let delivery = adapters::bootstrap::create_queue(&sqs, &stack, &ALERT_DELIVERY_QUEUE)
        .await
        .expect("queue");
    let table = Table::new(dynamo.clone(), &name);
    let retention = Retention::default();
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();

    // Item templates made by our own code on a scratch table, then the index loaded in bulk
    // (BatchWriteItem, 25 at a time): records and projections of `plans` plans.
    let scratch_name = format!("bench-recon-scratch-{}", uuid::Uuid::new_v4().simple());
    crate::create_bench_table(&dynamo, &scratch_name)
        .await
        .expect("table");
    let scratch = plan_upsert::router(plan_upsert::App::new(
        Table::new(dynamo.clone(), &scratch_name),
        crate::child_keys(),
        retention,
        FixedClock::at(at),
    ));
    call(
        &scratch,
        request(
            "POST",
            "/v1/plan-batches",
            la(ORG),
            Some(&json!({"mode": "delta", "records": [record(0)]})),
        ),
    )
    .await;
    let scan = dynamo
        .scan()
        .table_name(&scratch_name)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let by_entity = |e: &str| {
        scan.iter()
            .find(|i| {
                i.get(cpindex::keys::attr::ENTITY)
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some(e)
            })
            .cloned()
            .unwrap()
    };
    let (t_rec, t_proj) = (by_entity("plan_record"), by_entity("plan_projection"));
    let load = Instant::now();
    let chunks: Vec<Vec<usize>> = (0..plans)
        .collect::<Vec<_>>()
        .chunks(500)
        .map(<[usize]>::to_vec)
        .collect();
    stream::iter(chunks)
        .map(|chunk| {
            let table = table.clone();
            let (t_rec, t_proj) = (t_rec.clone(), t_proj.clone());
            async move {
                let items: Vec<_> = chunk
                    .into_iter()
                    .flat_map(|i| {
                        let (mut rec, proj, _, _) = raw_items(i, &t_rec, &t_proj);
                        rec.insert(attr::SOURCE_VERSION.into(), AttributeValue::N("1".into()));
                        [rec, proj]
                    })
                    .collect();
                table.batch_put(items).await.expect("load");
            }
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
    eprintln!(
        "reconcile: loaded {plans} plans ({} items) in {:.1}s",
        plans * 2,
        load.elapsed().as_secs_f64()
    );

    let settings = Settings {
        segments: 4,
        page_size: reconcile::MAX_PAGE_ITEMS,
        ..Settings::default()
    };
    let reconciler = Reconciler::new(
        table.clone(),
        SqsQueue::new(sqs.clone(), fanout.queue),
        SqsQueue::new(sqs.clone(), delivery.queue),
        SqsQueue::new(sqs.clone(), delivery.dlq),
        retention,
        FixedClock::at(at),
    )
    .with_settings(settings);
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for round in 0..1 {
        let t = Instant::now();
        let n = raw_scan(&dynamo, &name, settings).await;
        raw.push(t.elapsed());
        let t = Instant::now();
        let outcome = reconciler
            .run(Budget {
                deadline: Instant::now() + Duration::from_secs(3600),
                max_pages: None,
            })
            .await
            .expect("reconcile");
        ours.push(t.elapsed());
        assert!(outcome.complete);
        eprintln!(
            "reconcile: round {round}: raw scan {n} items {:.1}s, reconcile {:.1}s",
            raw[round].as_secs_f64(),
            ours[round].as_secs_f64()
        );
    }
    let report = adapters::store::reports::ReportStore::new(table.clone())
        .latest_la(&cpindex::OrgCode::parse(ORG).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        report["findings"]["indexCount"], plans as u64,
        "every plan counted once"
    );
    let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default().as_secs_f64();
    let ours_per_s = plans as f64 / best(&ours);
    let raw_per_s = plans as f64 / best(&raw);
    vec![
        ("reconcile_plans".into(), plans.to_string()),
        ("reconcile_per_s".into(), format!("{ours_per_s:.0}")),
        (
            "reconcile_raw_scan_plans_per_s".into(),
            format!("{raw_per_s:.0}"),
        ),
        (
            "reconcile_ratio".into(),
            format!("{:.3}", ours_per_s / raw_per_s),
        ),
    ]
}
