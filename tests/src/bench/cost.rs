//! What England would pay a month, measured. Every kind of operation runs through the real
//! handlers against the emulator with every SDK request metered (DynamoDB capacity units by
//! `crate::capacity`, SQS requests, handler time); the metered amounts are scaled to England's
//! volumes and priced at published on-demand prices. BENCHMARKS.md states every volume, price
//! and assumption; this file holds the same numbers, once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use adapters::queue::SqsQueue;
use adapters::secrets::FileSecrets;
use adapters::store::access::AccessStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::PlanStore;
use alert_delivery::port::{HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use alert_fanout::port::Stores;
use alert_fanout::Fanout;
use cpindex::keys::attr;
use cpindex::{Retention, SystemClock};
use local_stack::poller::poll_once;
use reconcile::{Budget, Reconciler, Settings};
use serde_json::{json, Value};

use crate::bench::ingest::{nhs, record};
use crate::http::{call, la, request};
use crate::io_recorder::{IoRecorder, Span};

use crate::bench::world::ORG;

/// England's volumes (sources in BENCHMARKS.md).
#[derive(Debug, Clone, Copy)]
pub struct Volumes {
    /// Unscheduled-care contacts with children a year, each one lookup.
    pub lookups_per_year: f64,
    /// Share of lookups that find a plan (and so alert the responsible LA).
    pub plan_found_share: f64,
    /// Local authorities, each sending one full extract a day.
    pub las: f64,
    /// Plans held nationally (child protection plans, looked-after children, unborn).
    pub plans: f64,
    /// Share of an LA's records that change from one day's extract to the next.
    pub daily_changed_share: f64,
    /// Web app sessions a day (LA teams reading their inbox, clinicians without an EPR link).
    pub web_sessions_per_day: f64,
}

pub const ENGLAND: Volumes = Volumes {
    lookups_per_year: 10_000_000.0,
    plan_found_share: 0.03,
    las: 150.0,
    plans: 135_000.0,
    daily_changed_share: 0.01,
    web_sessions_per_day: 3_000.0,
};

/// On-demand prices, eu-west-2 (London), arm64, USD, no free tier.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub lambda_gb_s: f64,
    pub lambda_request: f64,
    pub http_api_request: f64,
    pub dynamo_write_unit: f64,
    pub dynamo_read_unit: f64,
    pub dynamo_gb_month: f64,
    pub sqs_request: f64,
    pub secret_month: f64,
    pub secret_call: f64,
    pub log_gb: f64,
    pub alarm_month: f64,
    pub kms_key_month: f64,
    pub kms_request: f64,
    pub pitr_gb_month: f64,
}

pub const LONDON: Prices = Prices {
    lambda_gb_s: 0.000_013_333_4,
    lambda_request: 0.20 / 1e6,
    http_api_request: 1.11 / 1e6,
    dynamo_write_unit: 0.7425 / 1e6,
    dynamo_read_unit: 0.1485 / 1e6,
    dynamo_gb_month: 0.297,
    sqs_request: 0.40 / 1e6,
    secret_month: 0.40,
    secret_call: 0.05 / 1e4,
    log_gb: 0.5985,
    alarm_month: 0.10,
    kms_key_month: 1.0,
    kms_request: 0.03 / 1e4,
    pitr_gb_month: 0.2376,
};

const DAYS_PER_MONTH: f64 = 30.4;
/// How often the schedule starts a reconciliation step (the template's default).
const STEPS_PER_DAY: f64 = 24.0 * 4.0;
/// Lambda's SQS event source keeps long-polling an idle queue: AWS documents five pollers to
/// start with, each a 20-second receive, so 15 receives a minute per queue.
const IDLE_RECEIVES_PER_QUEUE_MINUTE: f64 = 15.0;
/// Log bytes per invocation: the platform's START/END/REPORT lines and our own few lines.
const LOG_BYTES_PER_INVOCATION: f64 = 1_000.0;
/// Per-item storage overhead DynamoDB charges on top of the item's size.
const ITEM_OVERHEAD_BYTES: f64 = 100.0;
/// What a strongly consistent read unit reads.
const READ_UNIT_BYTES: f64 = 4096.0;
/// A reconciliation step's working time (the function's 900 s timeout less its margin).
const RECONCILE_STEP_S: f64 = 800.0;

/// What a set of requests consumed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Use {
    pub read_units: f64,
    pub write_units: f64,
    pub sqs_requests: f64,
    pub secret_calls: f64,
}

impl Use {
    fn of(spans: &[Span]) -> Self {
        let mut u = Use::default();
        for s in spans {
            u.read_units += s.read_units;
            u.write_units += s.write_units;
            match s.service.as_str() {
                "SQS" => u.sqs_requests += 1.0,
                "Secrets Manager" => u.secret_calls += 1.0,
                _ => {}
            }
        }
        u
    }

    fn scaled(self, k: f64) -> Self {
        Use {
            read_units: self.read_units * k,
            write_units: self.write_units * k,
            sqs_requests: self.sqs_requests * k,
            secret_calls: self.secret_calls * k,
        }
    }

    fn plus(self, o: Use) -> Self {
        Use {
            read_units: self.read_units + o.read_units,
            write_units: self.write_units + o.write_units,
            sqs_requests: self.sqs_requests + o.sqs_requests,
            secret_calls: self.secret_calls + o.secret_calls,
        }
    }
}

/// One kind of operation, measured: what one of it consumed and how long its handler took.
#[derive(Debug, Clone, Copy)]
struct Measured {
    uses: Use,
    invocations: f64,
    handler_ms: f64,
}

impl Measured {
    fn per(self, n: f64) -> Self {
        Measured {
            uses: self.uses.scaled(1.0 / n),
            invocations: self.invocations / n,
            handler_ms: self.handler_ms / n,
        }
    }
}

/// A month of one operation: how many, on which function.
struct Line {
    name: &'static str,
    function: &'static str,
    per_month: f64,
    each: Measured,
    http_requests_each: f64,
}

fn template_path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")
}

/// Each function's memory, as the template configures it.
fn memory_mb() -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    cpindex::routes::FUNCTIONS
        .iter()
        .map(|f| {
            let mb = t["Resources"][f.logical_id]["Properties"]["MemorySize"]
                .as_f64()
                .unwrap_or_else(|| panic!("{} has a MemorySize", f.logical_id));
            (f.binary.to_owned(), mb)
        })
        .collect()
}

/// A number the template sets on one resource.
fn template_number(resource: &str, property: &str) -> f64 {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    t["Resources"][resource]["Properties"][property]
        .as_f64()
        .unwrap_or_else(|| panic!("{resource} sets {property}"))
}

/// How many resources of `kind` the template declares.
fn template_count(kind: &str) -> f64 {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    t["Resources"]
        .as_mapping()
        .map_or(0, |m| m.values().filter(|r| r["Type"] == kind).count()) as f64
}

/// What a table holds, per kind of item (`entity`): items, their bytes (what a scan reads),
/// and what DynamoDB bills as stored (per-item overhead; the index's copies).
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    items: f64,
    bytes: f64,
    stored: f64,
    /// Of them, in GSI1 (what reconciliation's scan reads).
    indexed_items: f64,
    indexed_bytes: f64,
}

async fn held(dynamo: &aws_sdk_dynamodb::Client, name: &str) -> BTreeMap<String, Held> {
    let mut out: BTreeMap<String, Held> = BTreeMap::new();
    let mut start = None;
    loop {
        let page = dynamo
            .scan()
            .table_name(name)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        for i in page.items() {
            let kind = i
                .get(attr::ENTITY)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_else(|| "other".into());
            let copies = if i.contains_key(attr::GSI1_PK) {
                2.0
            } else {
                1.0
            };
            let bytes = adapters::store::size::item_size(i) as f64;
            let h = out.entry(kind).or_default();
            h.items += 1.0;
            h.bytes += bytes;
            h.stored += copies * (bytes + ITEM_OVERHEAD_BYTES);
            if copies > 1.0 {
                h.indexed_items += 1.0;
                h.indexed_bytes += bytes;
            }
        }
        match page.last_evaluated_key.filter(|k| !k.is_empty()) {
            Some(k) => start = Some(k),
            None => return out,
        }
    }
}

/// What a request to DynamoDB or SQS takes on AWS, counted along each operation's critical
/// path (the emulator's own times are far slower and say nothing of Lambda's bill).
const AWS_REQUEST_MS: f64 = 20.0;

/// Time inside requests: the union of their spans.
fn in_requests(spans: &[Span]) -> Duration {
    let mut sorted: Vec<(Instant, Instant)> = spans.iter().map(|s| (s.start, s.end)).collect();
    sorted.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in sorted {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(Duration::ZERO, |(s, e)| e - s)
}

/// Runs `f`, returning what it consumed by the recorder and the time Lambda would bill: our
/// own time (wall time less time inside requests) plus [`AWS_REQUEST_MS`] per request on the
/// critical path.
async fn metered<F: std::future::Future<Output = T>, T>(
    recorder: &IoRecorder,
    invocations: f64,
    f: F,
) -> (T, Measured) {
    recorder.take();
    let t = Instant::now();
    let out = f.await;
    let wall = t.elapsed();
    let spans = recorder.take();
    let own = wall.saturating_sub(in_requests(&spans));
    let handler_ms = own.as_secs_f64() * 1000.0
        + crate::io_recorder::critical_path(&spans) as f64 * AWS_REQUEST_MS;
    (
        out,
        Measured {
            uses: Use::of(&spans),
            invocations,
            handler_ms,
        },
    )
}

pub async fn run(url: &str, plans_per_la: usize, lookups: usize) -> Vec<(String, String)> {
    let recorder = IoRecorder::default();
    let (dynamo, sqs) = recorder.clients_with(url, cpindex::config::CallTimeouts::bulk());
    let crate::bench::world::World {
        table_name: name,
        table,
        fanout: fanout_q,
        delivery: delivery_q,
        secrets_dir,
        receiver,
    } = crate::bench::world::create(&dynamo, &sqs, "cost").await;
    let retention = Retention::default();

    let upsert = plan_upsert::router(plan_upsert::App {
        keys: crate::child_keys(),
        store: PlanStore::new(table.clone(), retention),
        clock: SystemClock,
        retention,
    });
    let child = lookup::port::ChildStore {
        plans: PlanStore::new(table.clone(), retention),
        accesses: AccessStore::new(table.clone()),
    };
    let lookup = lookup::router(lookup::App {
        keys: crate::child_keys(),
        reads: child.clone(),
        log: child,
        queue: SqsQueue::new(sqs.clone(), &fanout_q.queue),
        clock: SystemClock,
        retention,
    });
    let inbox = inbox::router(inbox::App {
        notifications: NotificationStore::new(table.clone()),
        plans: PlanStore::new(table.clone(), retention),
        accesses: AccessStore::new(table.clone()),
        clock: SystemClock,
        local_mode: true,
    });
    let fanout = Fanout {
        store: Stores {
            plans: PlanStore::new(table.clone(), retention),
            accesses: AccessStore::new(table.clone()),
            notifications: NotificationStore::new(table.clone()),
        },
        queue: SqsQueue::new(sqs.clone(), &delivery_q.queue),
        clock: SystemClock,
        retention,
    };
    let delivery = Delivery {
        store: NotificationStore::new(table.clone()),
        secrets: FileSecrets(secrets_dir),
        webhook: HttpWebhook::new(Duration::from_secs(5), true),
        visibility: SqsVisibility {
            client: sqs.clone(),
            queue_url: delivery_q.queue.clone(),
        },
        clock: SystemClock,
        policy: RetryPolicy::default(),
        local_mode: true,
    };
    let reconciler = Reconciler {
        table: table.clone(),
        fanout: SqsQueue::new(sqs.clone(), &fanout_q.queue),
        delivery: SqsQueue::new(sqs.clone(), &delivery_q.queue),
        delivery_dlq: SqsQueue::new(sqs.clone(), &delivery_q.dlq),
        clock: SystemClock,
        retention,
        settings: Settings {
            pass_every: Some(reconcile::DAILY_PASS),
            ..Settings::default()
        },
    };
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
    let (_, miss_fanout) = metered(&recorder, n, drain(fanout_q.queue.clone(), "fanout")).await;
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
    let forced = Reconciler {
        settings: Settings::default(),
        ..reconciler
    };
    let (pass, pass_all) = metered(&recorder, 1.0, forced.run(whole())).await;
    let pass = pass.expect("pass");
    assert!(pass.complete);
    let bench_pages = pass.pages.max(1) as f64;
    // The same pass with pages a tenth the size: more pages, the same reports.
    let small = Reconciler {
        settings: Settings {
            page_size: reconcile::MAX_PAGE_ITEMS / 10,
            ..Settings::default()
        },
        ..forced
    };
    let (pass, pass_small) = metered(&recorder, 1.0, small.run(whole())).await;
    let pass = pass.expect("pass");
    assert!(pass.complete);
    let small_pages = pass.pages.max(1) as f64;
    let held = held(&dynamo, &name).await;

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
    let scale = |kind: &str| match kind {
        "plan_record" | "plan_projection" => plans_scale,
        "access" => retained_lookups / (2.0 * n),
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
            each: miss.per(n).with_fanout(miss_fanout.per(n)),
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
    let mut out: Vec<(String, String)> = Vec::new();
    let (mut lambda, mut api, mut dynamo_rw, mut sqs_cost, mut secrets, mut logs) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
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
            * (each.uses.read_units * p.dynamo_read_unit
                + each.uses.write_units * p.dynamo_write_unit);
        let sqs_l = l.per_month * each.uses.sqs_requests * p.sqs_request;
        let sec_l = l.per_month * each.uses.secret_calls * p.secret_call;
        let log_l = l.per_month * each.invocations * LOG_BYTES_PER_INVOCATION / 1e9 * p.log_gb;
        invocations_m += l.per_month * each.invocations;
        eprintln!(
            "cost:   {:<38} rru {:>10.2} wru {:>10.2} sqs {:>6.2} ms {:>9.1} x {:>12.0}/month = ${:.2}",
            l.name,
            each.uses.read_units,
            each.uses.write_units,
            each.uses.sqs_requests,
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
    let storage = stored_gb * p.dynamo_gb_month;
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
    let usage =
        lambda + api + dynamo_rw + sqs_cost + secrets + logs + storage + backups + kms_requests;
    let fixed = secrets_fixed + alarms + kms;
    let total = usage + fixed;
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
        usd(plan_bytes / READ_UNIT_BYTES * DAYS_PER_MONTH * p.dynamo_read_unit),
    ));
    out.push((
        "cost_index_scan_usd_month".into(),
        usd(0.5 * national.indexed_bytes / READ_UNIT_BYTES * DAYS_PER_MONTH * p.dynamo_read_unit),
    ));
    // What reading the table instead cost (strongly consistent, every item): before this round.
    out.push((
        "cost_table_scan_usd_month".into(),
        usd(national.bytes / READ_UNIT_BYTES * DAYS_PER_MONTH * p.dynamo_read_unit),
    ));
    out.push(("cost_usage_usd_month".into(), usd(usage)));
    out.push(("cost_fixed_usd_month".into(), usd(fixed)));
    out.push((
        "cost_secret_per_la_extra_usd_month".into(),
        usd(per_la_secrets),
    ));
    out.push(("cost_england_usd_month".into(), usd(total)));
    out
}

impl Measured {
    /// Queue consumers at England's rate see one message per invocation (a lookup every few
    /// seconds): bill each message as its own invocation.
    fn one_invocation(self) -> Self {
        Measured {
            invocations: 1.0,
            ..self
        }
    }

    /// Delivery reads the LA's webhook secret; the cache holds it for a warm instance, so one
    /// read per invocation is an upper bound.
    fn with_secret_call(mut self) -> Self {
        self.uses.secret_calls += 1.0;
        self
    }

    /// A lookup with no plan still passes through fan-out (which records that no LA needed
    /// telling): its cost belongs to the lookup.
    fn with_fanout(self, f: Measured) -> Self {
        Measured {
            uses: self.uses.plus(f.uses),
            invocations: self.invocations + 1.0,
            handler_ms: self.handler_ms + f.handler_ms,
        }
    }

    /// Another operation's cost added to this one's.
    fn with(self, o: Measured) -> Self {
        Measured {
            uses: self.uses.plus(o.uses),
            invocations: self.invocations + o.invocations,
            handler_ms: self.handler_ms + o.handler_ms,
        }
    }
}
