//! Ingest: a full extract through the plan-upsert handler (validation, mapping, batched read,
//! conditional writes, acknowledgement) against the same store requests issued directly.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use adapters::store::{Item, Table};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};
use chrono::{TimeZone, Utc};
use cpindex::keys::{attr, key};
use cpindex::{FixedClock, NhsNumber, OrgCode, PlanRef, Retention};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::http::{call, la, request};
use crate::io_recorder::IoRecorder;

const ORG: &str = "E08000035";
const BATCH: usize = 1000;

/// Test-range NHS numbers (999 000 0000 upwards), distinct per record.
pub fn nhs(i: usize) -> NhsNumber {
    (0..)
        .map(|k| {
            let n = 990_000_000 + i * 10 + k;
            let d: Vec<u8> = format!("{n:09}").bytes().map(|b| b - b'0').collect();
            NhsNumber::from_first_nine(d.try_into().unwrap())
        })
        .find_map(|n| n)
        .expect("some check digit fits within ten tries")
}

pub fn record(i: usize) -> Value {
    let plan_type = ["CPP", "LAC", "UCPP"][i % 3];
    json!({
        "planRef": format!("LA-{i:06}"),
        "nhsNumber": nhs(i).digits(),
        "planType": plan_type,
        "startDate": "2025-03-01",
        "expectedDueDate": if i % 3 == 2 { json!("2026-12-01") } else { Value::Null },
        "sourceVersion": 1
    })
}

/// A table key.
pub type Key = (String, String);
/// What the raw baseline writes and reads for one record: record item, projection item, keys.
pub type RawRow = (Item, Item, Key, Key);

/// The items our code writes for record `i`, built ahead of time for the raw baseline.
pub fn raw_items(i: usize, template_record: &Item, template_projection: &Item) -> RawRow {
    let org = OrgCode::parse(ORG).unwrap();
    let plan_ref = PlanRef::parse(&format!("LA-{i:06}"), "").unwrap();
    let n = nhs(i);
    let mut rec = template_record.clone();
    rec.insert(
        attr::PK.into(),
        AttributeValue::S(key::plan_ref_pk(&org, &plan_ref)),
    );
    rec.insert(
        attr::GSI1_SK.into(),
        AttributeValue::S(plan_ref.as_str().into()),
    );
    rec.insert(
        "planRef".into(),
        AttributeValue::S(plan_ref.as_str().into()),
    );
    rec.insert("nhsNumber".into(), AttributeValue::S(n.digits()));
    rec.insert(
        "child".into(),
        AttributeValue::S(crate::child_key(&n).to_string()),
    );
    let mut proj = template_projection.clone();
    proj.insert(
        attr::PK.into(),
        AttributeValue::S(key::child_pk(&crate::child_key(&n))),
    );
    proj.insert(
        attr::SK.into(),
        AttributeValue::S(key::child_plan_sk(&org, &plan_ref)),
    );
    proj.insert(
        "planRef".into(),
        AttributeValue::S(plan_ref.as_str().into()),
    );
    let rk = (key::plan_ref_pk(&org, &plan_ref), key::CURRENT.to_owned());
    let pk = (
        key::child_pk(&crate::child_key(&n)),
        key::child_plan_sk(&org, &plan_ref),
    );
    (rec, proj, rk, pk)
}

fn key_item((pk, sk): &Key) -> Item {
    HashMap::from([
        (attr::PK.to_owned(), AttributeValue::S(pk.clone())),
        (attr::SK.to_owned(), AttributeValue::S(sk.clone())),
    ])
}

async fn cond_put(client: &aws_sdk_dynamodb::Client, table: &str, item: Item) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk) OR #v < :v")
        .expression_attribute_names("#pk", attr::PK)
        .expression_attribute_names("#v", attr::SOURCE_VERSION)
        .expression_attribute_values(":v", AttributeValue::N("1".into()))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("raw put");
}

/// The same requests our handler issues for one batch: the LA's profile, a batched consistent
/// read of record and projection keys (100 per call), then per plan a conditional put of the
/// record followed by one of the projection and, the plan being new on its child, a consistent
/// query of the child's plans (other LAs', docs/ARCHITECTURE.md "LAs that share a child"; 16
/// plans at a time), then the extract part and its pointer and the LA's upload counts.
async fn raw_batch(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    rows: Vec<RawRow>,
    extract: Item,
) {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key_item(&(
            key::profile_pk(&OrgCode::parse(ORG).expect("an org")),
            key::CURRENT.to_owned(),
        ))))
        .send()
        .await
        .expect("raw profile");
    let keys: Vec<Item> = rows
        .iter()
        .flat_map(|r| [key_item(&r.2), key_item(&r.3)])
        .collect();
    for chunk in keys.chunks(100) {
        let ka = KeysAndAttributes::builder()
            .set_keys(Some(chunk.to_vec()))
            .consistent_read(true)
            .build()
            .unwrap();
        client
            .batch_get_item()
            .request_items(table, ka)
            .send()
            .await
            .expect("raw batch get");
    }
    stream::iter(rows)
        .map(|(rec, proj, _, (child_pk, _))| async move {
            cond_put(client, table, rec).await;
            cond_put(client, table, proj).await;
            client
                .query()
                .table_name(table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#sk", attr::SK)
                .expression_attribute_values(":pk", AttributeValue::S(child_pk))
                .expression_attribute_values(":sk", AttributeValue::S(key::PLAN_PREFIX.into()))
                .send()
                .await
                .expect("raw other LAs' plans");
        })
        .buffer_unordered(plan_upsert::batch::WRITE_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut latest = key_item(&(format!("ORG#{ORG}#EXTRACTS"), "LATEST".into()));
    latest.insert("extractId".into(), AttributeValue::S("x".into()));
    client
        .put_item()
        .table_name(table)
        .set_item(Some(extract))
        .send()
        .await
        .expect("raw extract");
    client
        .put_item()
        .table_name(table)
        .set_item(Some(latest))
        .send()
        .await
        .expect("raw latest");
    client
        .update_item()
        .table_name(table)
        .set_key(Some(key_item(&(
            format!("IND#bench#{ORG}"),
            "COUNTS".to_owned(),
        ))))
        .update_expression("ADD #c :n")
        .expression_attribute_names("#c", "created")
        .expression_attribute_values(":n", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("raw counts");
}

pub async fn run(url: &str, records: usize) -> Vec<(String, String)> {
    let recorder = IoRecorder::default();
    // A shared, busy machine: a slow emulator call must not turn into a failure mid-benchmark.
    let (dynamo, _) = recorder.clients_with(url, cpindex::config::CallTimeouts::bulk());
    let make_table =
        |suffix: &str| format!("bench-ingest-{suffix}-{}", uuid::Uuid::new_v4().simple());
    let ours_name = make_table("ours");
    let raw_name = make_table("raw");
    for name in [&ours_name, &raw_name] {
        crate::create_bench_table(&dynamo, name)
            .await
            .expect("create table");
    }
    let clock = FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    let retention = Retention::default();
    let app = plan_upsert::App::new(
        Table::new(dynamo.clone(), &ours_name),
        crate::child_keys(),
        retention,
        clock,
    );
    let router = plan_upsert::router(app);

    // Templates for the raw items: exactly what our code stores for one record (built by our code,
    // outside any timed region, on a scratch table).
    let scratch = make_table("scratch");
    crate::create_bench_table(&dynamo, &scratch)
        .await
        .expect("create table");
    let scratch_router = plan_upsert::router(plan_upsert::App::new(
        Table::new(dynamo.clone(), &scratch),
        crate::child_keys(),
        retention,
        FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()),
    ));
    let body = json!({"mode": "full", "extractId": "tmpl", "records": [record(0)]});
    call(
        &scratch_router,
        request("POST", "/v1/plan-batches", la(ORG), Some(&body)),
    )
    .await;
    let scan = dynamo
        .scan()
        .table_name(&scratch)
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
    let (t_rec, t_proj, t_part) = (
        by_entity("plan_record"),
        by_entity("plan_projection"),
        by_entity("extract_part"),
    );

    let batches = records.div_ceil(BATCH);
    let (mut ours, mut raw) = (Duration::ZERO, Duration::ZERO);
    let mut requests = 0usize;
    for b in 0..batches {
        let range = b * BATCH..((b + 1) * BATCH).min(records);
        let rows: Vec<_> = range
            .clone()
            .map(|i| raw_items(i, &t_rec, &t_proj))
            .collect();
        let mut part = t_part.clone();
        part.insert(attr::SK.into(), AttributeValue::S(format!("PART#{b}")));
        let body = json!({"mode": "full", "extractId": "bench", "records": range.clone().map(record).collect::<Vec<_>>()});
        let req = request("POST", "/v1/plan-batches", la(ORG), Some(&body));

        // Alternate which side goes first, so drift in the emulator favours neither.
        let run_raw = async {
            let t = Instant::now();
            raw_batch(&dynamo, &raw_name, rows, part).await;
            t.elapsed()
        };
        if b % 2 == 0 {
            raw += run_raw.await;
        }
        recorder.take();
        let t = Instant::now();
        let ack = call(&router, req).await;
        ours += t.elapsed();
        requests += recorder.take().len();
        assert_eq!(
            ack.body["fileOutcome"], "all_loaded",
            "{:?}",
            ack.body["counts"]
        );
        if b % 2 == 1 {
            let rows: Vec<_> = range.map(|i| raw_items(i, &t_rec, &t_proj)).collect();
            let mut part = t_part.clone();
            part.insert(attr::SK.into(), AttributeValue::S(format!("PART#{b}")));
            let t = Instant::now();
            raw_batch(&dynamo, &raw_name, rows, part).await;
            raw += t.elapsed();
        }
        eprintln!(
            "ingest: batch {}/{batches}: ours {:.1}s raw {:.1}s",
            b + 1,
            ours.as_secs_f64(),
            raw.as_secs_f64()
        );
    }
    let ours_per_s = records as f64 / ours.as_secs_f64();
    let raw_per_s = records as f64 / raw.as_secs_f64();
    vec![
        ("ingest_records".into(), records.to_string()),
        ("ingest_per_s".into(), format!("{ours_per_s:.1}")),
        ("ingest_raw_per_s".into(), format!("{raw_per_s:.1}")),
        (
            "ingest_ratio".into(),
            format!("{:.3}", ours_per_s / raw_per_s),
        ),
        (
            "ingest_requests_per_record".into(),
            format!("{:.3}", requests as f64 / records as f64),
        ),
    ]
}
