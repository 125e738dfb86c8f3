//! What England would pay a month, measured. Every kind of operation runs through the real
//! handlers against the emulator with every SDK request metered (DynamoDB capacity units by
//! `crate::capacity`, SQS requests, handler time); the metered amounts are scaled to England's
//! volumes and priced at published on-demand prices. BENCHMARKS.md states every volume, price
//! and assumption; this file holds the same numbers, once.

mod england;
mod meter;
mod template;

pub use england::{Prices, Volumes, ENGLAND, LONDON};

use std::time::{Duration, Instant};

use adapters::queue::SqsQueue;
use adapters::secrets::FileSecrets;
use alert_delivery::port::{HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use cpindex::{Retention, SystemClock};
use local_stack::poller::poll_once;
use reconcile::{Budget, Reconciler, Settings};
use serde_json::{json, Value};

use crate::bench::ingest::{nhs, record};
use crate::bench::world::ORG;
use crate::http::{call, la, request};
use crate::io_recorder::IoRecorder;
use england::{
    DAYS_PER_MONTH, IDLE_RECEIVES_PER_QUEUE_MINUTE, READ_UNIT_BYTES, RECONCILE_STEP_S,
    STEPS_PER_DAY,
};
use meter::{held, metered, Held, Measured, Use};
use template::{memory_mb, parameter_default, template_count, template_number};

/// A month of one operation: how many, on which function.
struct Line {
    name: &'static str,
    function: &'static str,
    per_month: f64,
    each: Measured,
    http_requests_each: f64,
}

pub async fn run(url: &str, plans_per_la: usize, lookups: usize) -> Vec<(String, String)> {
    price(measure(url, plans_per_la, lookups).await)
}

/// What the bench measured: each kind of operation over `lookups` of it (or one of it), the
/// pass at two page sizes, and what the table holds at the end.
struct Measurements {
    plans_per_la: usize,
    lookups: f64,
    first_extract: Measured,
    daily_extract: Measured,
    miss: Measured,
    /// A plan started on a child: its write and the recheck it queues, per plan.
    started: Measured,
    hit: Measured,
    hit_fanout: Measured,
    hit_delivery: Measured,
    inbox_reads: Measured,
    acks: Measured,
    idle_step: Measured,
    pass_all: Measured,
    pass_small: Measured,
    bench_pages: f64,
    small_pages: f64,
    held: std::collections::BTreeMap<String, Held>,
}

/// plan-upsert as main wires it over the bench's table: rechecks queued, here without delay.
fn world_upsert_rechecking(
    table: &adapters::store::Table,
    sqs: &aws_sdk_sqs::Client,
    fanout: &str,
) -> axum::Router {
    plan_upsert::router(
        plan_upsert::App::new(
            table.clone(),
            crate::child_keys(),
            Retention::default(),
            SystemClock,
        )
        .with_fanout(SqsQueue::new(sqs.clone(), fanout))
        .with_recheck_after(Duration::ZERO),
    )
}

/// One LA of England's average size through a month's kinds of operation, metered.
async fn measure(url: &str, plans_per_la: usize, lookups: usize) -> Measurements {
    meter::meter_logs(&template::application_log_level());
    let recorder = IoRecorder::default();
    let (dynamo, sqs) = recorder.clients_with(url, cpindex::config::CallTimeouts::bulk());
    let world = crate::bench::world::create(&dynamo, &sqs, "cost").await;
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

    let child = table.clone();
    let lookup = crate::started_lookup(
        child.clone(),
        SqsQueue::new(sqs.clone(), &fanout_q.queue),
        SystemClock,
    )
    .await;
    let inbox = inbox::router(inbox::App::new(
        table.clone(),
        retention,
        SystemClock,
        cpindex::profile::WebhookPolicy::LocalHttpAllowed,
    ));
    let delivery = Delivery {
        store: alert_delivery::port::DeliveryStores::new(table.clone()),
        secrets: FileSecrets(secrets_dir),
        webhook: HttpWebhook::new(
            Duration::from_secs(5),
            cpindex::profile::WebhookPolicy::LocalHttpAllowed,
        ),
        visibility: SqsVisibility {
            client: sqs.clone(),
            queue_url: delivery_q.queue.clone(),
        },
        clock: SystemClock,
        policy: RetryPolicy::default(),
        webhooks: cpindex::profile::WebhookPolicy::LocalHttpAllowed,
    };
    let reconciler = Reconciler::new(
        table.clone(),
        SqsQueue::new(sqs.clone(), &fanout_q.queue),
        SqsQueue::new(sqs.clone(), &delivery_q.queue),
        SqsQueue::new(sqs.clone(), &delivery_q.dlq),
        retention,
        SystemClock,
    )
    .with_settings(Settings {
        pass_every: Some(reconcile::DAILY_PASS),
        ..Settings::default()
    });
    let whole = || Budget {
        deadline: Instant::now() + Duration::from_secs(3600),
        max_pages: None,
    };
    let extract = |version_of: &dyn Fn(usize) -> u64| {
        let records: Vec<Value> = (0..plans_per_la)
            .map(|i| {
                let mut r = record(i);
                r["sourceVersion"] = json!(version_of(i));
                r
            })
            .collect();
        json!({"mode": "full", "extractId": uuid::Uuid::new_v4().to_string(), "records": records})
    };
    let upload = |body: Value| {
        let upsert = &upsert;
        async move {
            let a = call(
                upsert,
                request("POST", "/v1/plan-batches", la(ORG), Some(&body)),
            )
            .await;
            assert_eq!(a.body["fileOutcome"], "all_loaded", "{:?}", a.body);
        }
    };

    // Day one: the LA's first full extract, then the night's pass over it.
    let ((), first_extract) = metered(&recorder, 1.0, upload(extract(&|_| 1))).await;
    let (pass, _) = metered(&recorder, 1.0, reconciler.run(whole())).await;
    assert!(pass.expect("pass").complete);

    // Day two: the same extract with one record in a hundred changed.
    let changed_every = (1.0 / ENGLAND.daily_changed_share) as usize;
    let ((), daily_extract) = metered(
        &recorder,
        1.0,
        upload(extract(&|i| if i % changed_every == 0 { 2 } else { 1 })),
    )
    .await;

    // Lookups: half of children with no plan, half with one (each kind measured apart).
    let user = Some(("unscheduled_care", "RR801", "bench-dr"));
    let look = |n: cpindex::NhsNumber| {
        let lookup = &lookup;
        async move {
            let a = call(
                lookup,
                request("GET", &format!("/v1/children/{}", n.digits()), user, None),
            )
            .await;
            assert_eq!(a.status, 200, "{:?}", a.body);
        }
    };
    let drain = |queue: String, handler: &'static str| {
        let (sqs, fanout, delivery) = (&sqs, &fanout, &delivery);
        async move {
            let mut polls = 0.0;
            loop {
                let p = poll_once(sqs, &queue, 10, 0, |e| async move {
                    if handler == "fanout" {
                        fanout.handle(&e).await
                    } else {
                        delivery.handle(&e).await
                    }
                })
                .await
                .expect("poll");
                if p.received == 0 {
                    return polls;
                }
                assert_eq!(p.failed, 0, "{handler}: every message handled");
                polls += 1.0;
            }
        }
    };
    let n = lookups as f64;
    let (_, miss) = metered(&recorder, n, async {
        for i in 0..lookups {
            look(nhs(plans_per_la + i)).await;
        }
    })
    .await;
    // The lean path: nothing was handed to fan-out.
    assert_eq!(
        drain(fanout_q.queue.clone(), "fanout").await,
        0.0,
        "a lookup that finds no plan queues nothing"
    );
    let (_, hit) = metered(&recorder, n, async {
        for i in 0..lookups {
            look(nhs(i)).await;
        }
    })
    .await;
    let (_, hit_fanout) = metered(&recorder, n, drain(fanout_q.queue.clone(), "fanout")).await;

    let (_, hit_delivery) =
        metered(&recorder, n, drain(delivery_q.queue.clone(), "delivery")).await;
    assert_eq!(receiver.received().len(), lookups, "every alert delivered");

    // The LA's team reads its inbox and acknowledges each alert.
    let (ids, inbox_reads) = metered(&recorder, 1.0, async {
        let a = call(&inbox, request("GET", "/v1/notifications", la(ORG), None)).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        a.body["items"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|n| n["notificationId"].as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    })
    .await;
    assert_eq!(ids.len(), lookups, "every alert in the inbox");
    let (_, acks) = metered(&recorder, n, async {
        for id in &ids {
            let a = call(
                &inbox,
                request(
                    "POST",
                    &format!("/v1/notifications/{id}/ack"),
                    la(ORG),
                    None,
                ),
            )
            .await;
            assert_eq!(a.status, 200, "{:?}", a.body);
        }
    })
    .await;

    // A step the same day (nothing due but the re-drive check), then the next day's pass.
    let (_, idle_step) = metered(&recorder, 1.0, reconciler.run(whole())).await;
    let forced = reconciler.with_settings(Settings::default());
    let (pass, pass_all) = metered(&recorder, 1.0, forced.run(whole())).await;
    let pass = pass.expect("pass");
    assert!(pass.complete);
    let bench_pages = pass.pages.max(1) as f64;
    // The same pass with pages a tenth the size: more pages, the same reports.
    let small = forced.with_settings(Settings {
        page_size: reconcile::MAX_PAGE_ITEMS / 10,
        ..Settings::default()
    });
    let (pass, pass_small) = metered(&recorder, 1.0, small.run(whole())).await;
    let pass = pass.expect("pass");
    assert!(pass.complete);
    let small_pages = pass.pages.max(1) as f64;
    let held = held(&dynamo, &name).await;

    // Plans started (a delta through plan-upsert as main wires it; after the table's holdings
    // are counted, which scale plans by England's count): each write queues a recheck, which
    // fan-out handles (here without the delay).
    let starts = lookups;
    let rechecking = world_upsert_rechecking(&table, &sqs, &fanout_q.queue);
    let records: Vec<Value> = (0..starts)
        .map(|i| record(plans_per_la + lookups + i))
        .collect();
    let ((), start_writes) = metered(&recorder, 1.0, async {
        let a = call(
            &rechecking,
            request(
                "POST",
                "/v1/plan-batches",
                la(ORG),
                Some(&json!({"mode": "delta", "records": records})),
            ),
        )
        .await;
        assert_eq!(a.body["fileOutcome"], "all_loaded", "{:?}", a.body);
    })
    .await;
    let (polls, rechecks) = metered(&recorder, 0.0, drain(fanout_q.queue.clone(), "fanout")).await;
    assert!(polls > 0.0, "each started plan queued a recheck");
    let started = start_writes.with(Measured {
        invocations: polls,
        ..rechecks
    });

    Measurements {
        plans_per_la,
        lookups: n,
        first_extract,
        daily_extract,
        miss,
        started,
        hit,
        hit_fanout,
        hit_delivery,
        inbox_reads,
        acks,
        idle_step,
        pass_all,
        pass_small,
        bench_pages,
        small_pages,
        held,
    }
}

/// The measurements scaled to England's month and priced: the `cost_*` metrics.
fn price(m: Measurements) -> Vec<(String, String)> {
    let Measurements {
        plans_per_la,
        lookups: n,
        first_extract,
        daily_extract,
        miss,
        started,
        hit,
        hit_fanout,
        hit_delivery,
        inbox_reads,
        acks,
        idle_step,
        pass_all,
        pass_small,
        bench_pages,
        small_pages,
        held,
    } = m;
    // England, a month.
    let v = ENGLAND;
    let lookups_m = v.lookups_per_year / 12.0;
    let hits_m = lookups_m * v.plan_found_share;
    let misses_m = lookups_m - hits_m;
    let la_scale = v.plans / v.las / plans_per_la as f64;
    let retained_lookups = v.lookups_per_year * cpindex::keys::keep::ACCESS_DAYS as f64 / 365.0;
    // Each kind of item at England's count: plans by the plan count, accesses and notifications
    // for as long as they are kept, extracts per LA for as long as they are kept, reports per
    // LA (the bench's LA has two extracts and three passes' reports).
    let plans_scale = v.plans / plans_per_la as f64;
    // Usage counts: one item per user and hour with a lookup, kept USAGE_DAYS. At most one per
    // lookup (an upper bound: a clinician's lookups in one hour share one), against the bench's
    // items (its few users' hours).
    let usage_items = v.lookups_per_year * cpindex::keys::keep::USAGE_DAYS as f64 / 365.0;
    let bench_usage_items = held
        .iter()
        .find(|(kind, _)| *kind == "usage")
        .map_or(1.0, |(_, h)| h.items.max(1.0));
    let scale = |kind: &str| match kind {
        "usage" => usage_items / bench_usage_items,
        "plan_record" | "plan_projection" => plans_scale,
        // The bench's visits are half of children without a plan, half with one.
        "access" => retained_lookups / (2.0 * n),
        meter::ATTENDANCE_KIND => retained_lookups * v.plan_found_share / n,
        "notification" => retained_lookups * v.plan_found_share / n,
        "extract_part" => v.las * cpindex::keys::keep::EXTRACT_PART_DAYS as f64 / 2.0,
        "reconciliation_report" => v.las * cpindex::keys::keep::REPORT_COPY_DAYS as f64 / 3.0,
        "extract_latest" | "la_profile" => v.las,
        _ => plans_scale,
    };
    let national = held.iter().fold(Held::default(), |acc, (kind, h)| Held {
        items: acc.items + h.items * scale(kind),
        bytes: acc.bytes + h.bytes * scale(kind),
        stored: acc.stored + h.stored * scale(kind),
        indexed_items: acc.indexed_items + h.indexed_items * scale(kind),
        indexed_bytes: acc.indexed_bytes + h.indexed_bytes * scale(kind),
    });
    for (kind, h) in &held {
        eprintln!(
            "cost:   held {kind:<24} {:>6} items {:>9.0} bytes in the bench, x {:.0} for England",
            h.items,
            h.bytes,
            scale(kind)
        );
    }
    // The nightly pass reads every item of GSI1 once (eventually consistent: an index reads no
    // other way). Its writes are a part per page (findings, checkpoint) and a part per pass (the
    // reports, the run state): the two passes over the same table with different page sizes
    // separate them, and the per-pass part is counted once per LA (an upper bound).
    let national_pages = national.indexed_items / reconcile::MAX_PAGE_ITEMS as f64;
    let per_page_writes = ((pass_small.uses.write_units - pass_all.uses.write_units)
        / (small_pages - bench_pages))
        .max(0.0);
    let per_pass_writes = (pass_all.uses.write_units - per_page_writes * bench_pages).max(0.0);
    let national_pass = Measured {
        uses: Use {
            read_units: 0.5 * national.indexed_bytes / READ_UNIT_BYTES,
            write_units: per_page_writes * national_pages + per_pass_writes * v.las,
            sqs_requests: pass_all.uses.sqs_requests,
            secret_calls: 0.0,
            log_bytes: pass_all.uses.log_bytes / bench_pages * national_pages,
        },
        invocations: (pass_all.handler_ms / bench_pages * national_pages
            / 1000.0
            / RECONCILE_STEP_S)
            .ceil(),
        handler_ms: pass_all.handler_ms / bench_pages * national_pages,
    };
    eprintln!(
        "cost: the pass: {bench_pages} pages wrote {:.1} units, {small_pages} smaller pages {:.1}: {per_page_writes:.2} a page, {per_pass_writes:.1} a pass",
        pass_all.uses.write_units, pass_small.uses.write_units
    );
    let per_la_day = |m: Measured| Measured {
        uses: m.uses.scaled(la_scale),
        invocations: (m.invocations * la_scale).ceil(),
        handler_ms: m.handler_ms * la_scale,
    };
    let lines = [
        Line {
            name: "lookup (no plan)",
            function: "lookup",
            per_month: misses_m,
            each: miss.per(n),
            http_requests_each: 1.0,
        },
        Line {
            name: "lookup (plan found)",
            function: "lookup",
            per_month: hits_m,
            each: hit.per(n),
            http_requests_each: 1.0,
        },
        Line {
            name: "alert fan-out",
            function: "alert-fanout",
            per_month: hits_m,
            each: hit_fanout.per(n).one_invocation(),
            http_requests_each: 0.0,
        },
        Line {
            name: "alert delivery",
            function: "alert-delivery",
            per_month: hits_m,
            each: hit_delivery.per(n).one_invocation().with_secret_call(),
            http_requests_each: 0.0,
        },
        Line {
            name: "inbox read and acknowledgement",
            function: "inbox",
            per_month: hits_m,
            each: acks.per(n).with(inbox_reads),
            http_requests_each: 2.0,
        },
        Line {
            name: "daily full extract",
            function: "plan-upsert",
            per_month: v.las * DAYS_PER_MONTH,
            each: per_la_day(daily_extract),
            http_requests_each: per_la_day(daily_extract).invocations,
        },
        Line {
            name: "plan started (write and recheck)",
            function: "plan-upsert",
            per_month: v.plans_started_per_year / 12.0,
            each: started.per(n),
            http_requests_each: 0.0,
        },
        Line {
            name: "nightly reconciliation pass",
            function: "reconcile",
            per_month: DAYS_PER_MONTH,
            each: national_pass,
            http_requests_each: 0.0,
        },
        Line {
            name: "reconciliation steps between passes",
            function: "reconcile",
            per_month: STEPS_PER_DAY * DAYS_PER_MONTH,
            each: idle_step,
            http_requests_each: 0.0,
        },
        Line {
            name: "web app sessions (page and config)",
            function: "web",
            per_month: v.web_sessions_per_day * DAYS_PER_MONTH,
            each: Measured {
                uses: Use::default(),
                invocations: 2.0,
                handler_ms: 2.0,
            },
            http_requests_each: 2.0,
        },
    ];
    let memory = memory_mb();
    let p = LONDON;
    // The table class and tracing mode a deployment gets unless it chooses otherwise.
    let class = parameter_default("TableClass");
    let d = p.dynamo(&class);
    let mut out: Vec<(String, String)> = Vec::new();
    let (mut lambda, mut api, mut dynamo_rw, mut sqs_cost, mut secrets, mut logs) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    // Read and write units a month, to price the other table class beside this one.
    let (mut rru_m, mut wru_m) = (0.0, 0.0);
    let mut invocations_m = 0.0;
    let mut reconciliation = 0.0;
    eprintln!("cost: per operation (units each) and a month in England:");
    for l in &lines {
        let mb = memory[l.function];
        let each = l.each;
        let gb_s = mb / 1024.0 * (each.handler_ms.ceil() / 1000.0);
        let lambda_l = l.per_month * (each.invocations * p.lambda_request + gb_s * p.lambda_gb_s);
        let api_l = l.per_month * l.http_requests_each * p.http_api_request;
        let dyn_l = l.per_month
            * (each.uses.read_units * d.read_unit + each.uses.write_units * d.write_unit);
        rru_m += l.per_month * each.uses.read_units;
        wru_m += l.per_month * each.uses.write_units;
        let sqs_l = l.per_month * each.uses.sqs_requests * p.sqs_request;
        let sec_l = l.per_month * each.uses.secret_calls * p.secret_call;
        let log_l = l.per_month * each.uses.log_bytes / 1e9 * p.log_gb;
        invocations_m += l.per_month * each.invocations;
        eprintln!(
            "cost:   {:<38} rru {:>10.2} wru {:>10.2} sqs {:>6.2} log {:>7.0} B ms {:>9.1} x {:>12.0}/month = ${:.2}",
            l.name,
            each.uses.read_units,
            each.uses.write_units,
            each.uses.sqs_requests,
            each.uses.log_bytes,
            each.handler_ms,
            l.per_month,
            lambda_l + api_l + dyn_l + sqs_l + sec_l + log_l
        );
        if l.function == "reconcile" {
            reconciliation += lambda_l + dyn_l + sqs_l + log_l;
        }
        lambda += lambda_l;
        api += api_l;
        dynamo_rw += dyn_l;
        sqs_cost += sqs_l;
        secrets += sec_l;
        logs += log_l;
    }
    // Idle polling of both alert queues by Lambda's event sources.
    let idle_polls = 2.0 * IDLE_RECEIVES_PER_QUEUE_MINUTE * 60.0 * 24.0 * DAYS_PER_MONTH;
    sqs_cost += idle_polls * p.sqs_request;
    let stored_gb = national.stored / 1e9;
    let storage = stored_gb * d.gb_month;
    // Fixed: the child key and the LAs' webhook keys in one shared secret (what OPERATIONS.md
    // recommends nationally; a secret per LA would add the figure printed below), the alarms,
    // the table's key.
    let secrets_fixed = 2.0 * p.secret_month;
    let per_la_secrets = (v.las - 1.0) * p.secret_month;
    let alarms = template_count("AWS::CloudWatch::Alarm") * p.alarm_month;
    let kms = template_count("AWS::KMS::Key") * p.kms_key_month;
    // KMS: SQS asks for a data key once per reuse period per principal and active queue (two
    // queues, their producer and consumer), DynamoDB for the table key about as often per
    // function, and Lambda decrypts a function's environment at each cold start (one in a
    // hundred invocations assumed).
    let reuse_s = template_number("AlertFanoutQueue", "KmsDataKeyReusePeriodSeconds");
    let periods = DAYS_PER_MONTH * 86_400.0 / reuse_s;
    let kms_calls =
        periods * (2.0 * 2.0 + cpindex::routes::FUNCTIONS.len() as f64) + invocations_m / 100.0;
    let kms_requests = kms_calls * p.kms_request;
    // Point-in-time recovery (the template turns it on) is billed on the table's size.
    let backups = stored_gb * p.pitr_gb_month;
    // X-Ray, when the template turns it on: Lambda samples one request a second and 5 % beyond,
    // and England's invocations average under one a second, so about every one is a trace.
    let xray_active = invocations_m * p.xray_trace;
    let xray = if parameter_default("TracingMode") == "Active" {
        xray_active
    } else {
        0.0
    };
    let usage = lambda
        + api
        + dynamo_rw
        + sqs_cost
        + secrets
        + logs
        + storage
        + backups
        + kms_requests
        + xray;
    let fixed = secrets_fixed + alarms + kms;
    let total = usage + fixed;
    // The same month under the other table class.
    let other_class = if class == "STANDARD" {
        "STANDARD_INFREQUENT_ACCESS"
    } else {
        "STANDARD"
    };
    let o = p.dynamo(other_class);
    let total_other_class = total - dynamo_rw - storage
        + rru_m * o.read_unit
        + wru_m * o.write_unit
        + stored_gb * o.gb_month;
    eprintln!(
        "cost: first extract of {plans_per_la} plans: rru {:.1} wru {:.1}; stored {:.2} GB",
        first_extract.uses.read_units, first_extract.uses.write_units, stored_gb
    );
    let usd = |x: f64| format!("{x:.2}");
    out.push((
        "cost_lookup_rru".into(),
        format!("{:.2}", miss.per(n).uses.read_units),
    ));
    out.push((
        "cost_lookup_wru".into(),
        format!("{:.2}", miss.per(n).uses.write_units),
    ));
    out.push(("cost_stored_gb".into(), format!("{stored_gb:.2}")));
    out.push(("cost_lambda_usd_month".into(), usd(lambda)));
    out.push(("cost_http_api_usd_month".into(), usd(api)));
    out.push(("cost_dynamodb_requests_usd_month".into(), usd(dynamo_rw)));
    out.push(("cost_dynamodb_storage_usd_month".into(), usd(storage)));
    out.push(("cost_dynamodb_backups_usd_month".into(), usd(backups)));
    out.push(("cost_sqs_usd_month".into(), usd(sqs_cost)));
    out.push(("cost_logs_usd_month".into(), usd(logs)));
    out.push((
        "cost_secrets_and_keys_usd_month".into(),
        usd(secrets + kms_requests + secrets_fixed + kms),
    ));
    out.push(("cost_alarms_usd_month".into(), usd(alarms)));
    out.push(("cost_reconciliation_usd_month".into(), usd(reconciliation)));
    // What the nightly scan would cost if it read only the plans (the items it checks).
    let plan_bytes: f64 = held
        .iter()
        .filter(|(k, _)| k.starts_with("plan_"))
        .map(|(k, h)| h.bytes * scale(k))
        .sum();
    out.push((
        "cost_plan_only_scan_usd_month".into(),
        usd(plan_bytes / READ_UNIT_BYTES * DAYS_PER_MONTH * d.read_unit),
    ));
    out.push((
        "cost_index_scan_usd_month".into(),
        usd(0.5 * national.indexed_bytes / READ_UNIT_BYTES * DAYS_PER_MONTH * d.read_unit),
    ));
    // What reading the table instead cost (strongly consistent, every item): before this round.
    out.push((
        "cost_table_scan_usd_month".into(),
        usd(national.bytes / READ_UNIT_BYTES * DAYS_PER_MONTH * d.read_unit),
    ));
    out.push(("cost_usage_usd_month".into(), usd(usage)));
    out.push(("cost_fixed_usd_month".into(), usd(fixed)));
    out.push((
        "cost_secret_per_la_extra_usd_month".into(),
        usd(per_la_secrets),
    ));
    out.push(("cost_table_class".into(), class.clone()));
    out.push((
        format!("cost_england_{}_usd_month", other_class.to_lowercase()),
        usd(total_other_class),
    ));
    out.push(("cost_xray_if_active_usd_month".into(), usd(xray_active)));
    out.push(("cost_xray_usd_month".into(), usd(xray)));
    out.push(("cost_england_usd_month".into(), usd(total)));
    out
}
