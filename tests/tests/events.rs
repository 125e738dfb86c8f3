//! Every sample event in `events/` goes through its function's handler against the emulator, as
//! Lambda would hand it over: API Gateway HTTP API requests (payload format 2.0, with the JWT
//! authorizer's claims) through `lambda_http`'s own conversion into the function's router; SQS
//! batches into the consumers' `handle`; the EventBridge schedule into `Reconciler::run`.
//!
//! Each sample runs in a fresh, seeded world (its own table and queues): Leeds's child protection
//! plan, Camden's unborn-child plan, Leeds's profile (no webhook), and one clinician's visit already
//! fanned out into a pending notification to Leeds. What each sample must answer is listed in
//! [`expectations`]; a file in `events/` outside a function's folder or without an expectation
//! fails the test, as does a function or route without a sample. HTTP answers are also checked
//! against the response schema `infra/openapi.yaml` documents for that route and status.
//!
//! Needs the emulator for `every_sample_runs_through_its_handler` only (`EMULATOR_URL`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use adapters::bootstrap::QueueUrls;
use adapters::queue::SqsQueue;
use adapters::secrets::FileSecrets;
use adapters::store::access::AccessStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::Table;
use alert_delivery::port::{DeliveryStores, HttpWebhook, SqsVisibility};
use alert_delivery::{Delivery, RetryPolicy};
use alert_fanout::Fanout;
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use cpindex::access::{Access, AccessOutcome};
use cpindex::claims::UserId;
use cpindex::keys::{ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::notification::{notification_id, DeliveryStatus};
use cpindex::routes::{self, FunctionDef, Trigger, FUNCTIONS, ROUTES};
use cpindex::{FixedClock, NhsNumber, OrgCode, Retention, Role};
use http_body_util::BodyExt;
use integration_tests::fixtures::{CAMDEN, CHILD, LEEDS, MOTHER};
use integration_tests::http::{call, request, As};
use integration_tests::io_recorder::IoRecorder;
use integration_tests::Emulator;
use lambda_http::request::RequestContext;
use reconcile::{Budget, Reconciler};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The visit already fanned out in every world; the inbox, delivery and dead-letter samples name
/// its notification to Leeds.
const SEEDED_ACCESS: &str = "5b7e2c1a-3d4f-4a6b-8c9d-0e1f2a3b4c5d";
/// The access the fan-out sample carries.
const SAMPLE_ACCESS: &str = "8d3f5a1e-2b4c-4e6f-9a7b-1c2d3e4f5a6b";
/// An access whose fan-out never confirmed (see [`Prep::PendingAccess`]).
const PENDING_ACCESS: &str = "e4a1c2b3-7d6e-4f50-8a91-b2c3d4e5f607";
const OPERATOR: As<'static> = Some(("operator", "X26", "ops-1"));
/// NHS numbers published as examples that pass the check digit; 999 000 0000 to 999 999 9999 is
/// the range reserved for testing.
const PUBLISHED_EXAMPLES: [&str; 2] = [CHILD, MOTHER];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn clock() -> FixedClock {
    FixedClock::at(now())
}

fn org(code: &str) -> OrgCode {
    OrgCode::parse(code).unwrap()
}

fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

// ---------------------------------------------------------------------------------------------
// What each sample is for.
// ---------------------------------------------------------------------------------------------

/// State a sample needs beyond the seeded world (applied in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prep {
    /// Leeds's seeded notification failed every delivery attempt and sits in the delivery DLQ.
    DeadLettered,
    /// An unscheduled-care access ten minutes old whose fan-out never confirmed.
    PendingAccess,
    /// One complete reconciliation run: the LA and operator reports exist.
    Reconciled,
}

/// The answer a sample gets.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// An HTTP response with this status.
    Status(u16),
    /// An SQS batch response reporting exactly these message ids as failed.
    Failed(&'static [&'static str]),
    /// A complete reconciliation run.
    Run,
}

/// A fact about the answer's JSON: the value at a pointer, or the length of the array there.
#[derive(Debug, Clone)]
enum Fact {
    Is(&'static str, Value),
    Len(&'static str, usize),
}

/// A fact about the world after the sample ran.
#[derive(Debug, Clone, Copy)]
enum After {
    /// Messages waiting on the fan-out queue.
    FanoutQueued(usize),
    /// Messages waiting on the delivery queue.
    DeliveryQueued(usize),
    /// The status of the notification of (access id, LA).
    Notification(&'static str, &'static str, DeliveryStatus),
}

#[derive(Debug, Clone)]
struct Expectation {
    sample: &'static str,
    prep: &'static [Prep],
    expect: Expect,
    facts: Vec<Fact>,
    after: Vec<After>,
}

fn sample(sample: &'static str, expect: Expect) -> Expectation {
    Expectation {
        sample,
        prep: &[],
        expect,
        facts: Vec::new(),
        after: Vec::new(),
    }
}

impl Expectation {
    fn prep(mut self, prep: &'static [Prep]) -> Self {
        self.prep = prep;
        self
    }

    fn is(mut self, pointer: &'static str, value: Value) -> Self {
        self.facts.push(Fact::Is(pointer, value));
        self
    }

    fn len(mut self, pointer: &'static str, n: usize) -> Self {
        self.facts.push(Fact::Len(pointer, n));
        self
    }

    fn after(mut self, after: After) -> Self {
        self.after.push(after);
        self
    }
}

/// Every sample in `events/` and what its handler must answer.
fn expectations() -> Vec<Expectation> {
    use Expect::{Failed, Run, Status};
    use Prep::{DeadLettered, PendingAccess, Reconciled};
    let seeded_note = seeded_notification();
    vec![
        // plan-upsert
        sample("plan-upsert/put-plan.json", Status(201))
            .is("/outcome", json!("created"))
            .is("/planRef", json!("CP-2026-0002"))
            .is("/status", json!("active")),
        sample("plan-upsert/put-plan-stale-version.json", Status(409))
            .is("/code", json!("stale_version"))
            .is("/currentVersion", json!(3)),
        sample("plan-upsert/get-plan.json", Status(200))
            .is("/planRef", json!("CP-2026-0001"))
            .is("/sourceVersion", json!(3)),
        sample("plan-upsert/list-plans.json", Status(200))
            .len("/items", 1)
            .is("/items/0/planRef", json!("CP-2026-0001")),
        sample("plan-upsert/withdraw-plan.json", Status(200)).is("/status", json!("withdrawn")),
        sample("plan-upsert/post-csv-extract.json", Status(200))
            .is("/batch/records/0/outcome", json!("created"))
            .is("/batch/records/1/outcome", json!("rejected"))
            .is("/lines", json!([2, 3]))
            .is("/columns/1", json!("nhs_number")),
        sample("plan-upsert/post-full-extract.json", Status(200))
            .is("/fileOutcome", json!("all_loaded"))
            .is("/extractId", json!("leeds-2026-11-22"))
            .is("/records/0/outcome", json!("unchanged"))
            .is("/records/1/outcome", json!("created")),
        // web
        sample("web/get-app.json", Status(200)),
        sample("web/get-asset.json", Status(200)),
        sample("web/get-site-root.json", Status(303)),
        // lookup
        sample("lookup/get-child.json", Status(200))
            .is("/hasPlan", json!(true))
            .len("/plans", 1)
            .is("/plans/0/responsibleLa/code", json!(LEEDS))
            .len("/visits", 1)
            .after(After::FanoutQueued(1)),
        sample("lookup/get-child-silent-read.json", Status(200))
            .len("/plans", 1)
            .is("/plans/0/responsibleLa/code", json!(CAMDEN))
            .after(After::FanoutQueued(0)),
        // The operator's audit: the read itself is audited first, so it leads the trail.
        sample("lookup/get-child-accesses.json", Status(200))
            .is("/0/outcome", json!("history_read"))
            .is("/0/userId", json!("ops-17"))
            .after(After::FanoutQueued(0)),
        // FHIR: the national searches, through API Gateway's event as an ED system sends it.
        sample("lookup/fhir-care-team.json", Status(200))
            .is("/resourceType", json!("Bundle"))
            .is("/total", json!(1))
            .is(
                "/entry/0/resource/category/0/coding/0/code",
                json!("342191000000101"),
            )
            .after(After::FanoutQueued(1)),
        sample("lookup/fhir-audit-event-silent.json", Status(200))
            .is("/resourceType", json!("Bundle"))
            .is("/type", json!("searchset"))
            .after(After::FanoutQueued(0)),
        sample("lookup/fhir-metadata.json", Status(200))
            .is("/resourceType", json!("CapabilityStatement")),
        sample("lookup/get-child-invalid-nhs-number.json", Status(400))
            .is("/code", json!("invalid_nhs_number"))
            .is("/field", json!("/nhsNumber"))
            .after(After::FanoutQueued(0)),
        // inbox
        sample("inbox/list-notifications.json", Status(200))
            .len("/items", 1)
            .is("/items/0/notificationId", json!(seeded_note))
            .is("/items/0/status", json!("pending")),
        sample("inbox/acknowledge-notification.json", Status(200))
            .is("/notificationId", json!(seeded_note))
            .is("/acknowledgedBy", json!("sw-1042")),
        sample("inbox/get-plan-accesses.json", Status(200))
            .len("", 1)
            .is("/0/accessId", json!(SEEDED_ACCESS))
            .is("/0/settingCode", json!("RR801")),
        sample("inbox/put-la-profile.json", Status(200))
            .is("/org", json!(CAMDEN))
            .is("/updatedBy", json!("ops-3")),
        sample("inbox/get-la-profile.json", Status(200))
            .is("/org", json!(LEEDS))
            .is("/emergencyDutyPhone", json!("0113 535 0600")),
        sample("inbox/list-la-profiles.json", Status(200))
            .len("/items", 1)
            .is("/items/0/org", json!(LEEDS)),
        sample("inbox/get-reconciliation-report.json", Status(200))
            .prep(&[Reconciled])
            .is("/la", json!(LEEDS))
            .is("/findings/indexCount", json!(1))
            .is("/extract", Value::Null),
        // After a pass: Leeds's one plan counted, and shown as "fewer than 5".
        sample("inbox/get-indicators.json", Status(200))
            .prep(&[Reconciled])
            .is("/scope", json!(LEEDS))
            .len("/weeks", 4)
            .is("/indicators/1/key", json!("plans_cpp"))
            .is("/indicators/1/values/3", json!({"shown": "fewer_than_5"})),
        // ops
        sample("ops/run-reconciliation.json", Status(200))
            .is("/complete", json!(true))
            .is("/reportsWritten", json!(2)),
        sample("ops/get-dead-letters.json", Status(200))
            .prep(&[DeadLettered, Reconciled])
            .is("/queueDepth", json!(1))
            .is("/latestReport/deadLettersByLa/E08000035/failed", json!(1)),
        sample("ops/redrive-dead-letters.json", Status(200))
            .prep(&[DeadLettered])
            .is("/redriven", json!(1))
            .after(After::DeliveryQueued(1))
            .after(After::Notification(
                SEEDED_ACCESS,
                LEEDS,
                DeliveryStatus::Pending,
            )),
        // queue consumers: the poison message, and it alone, comes back for retry
        sample(
            "alert-fanout/accesses-with-poison.json",
            Failed(&["0a6f5b2e-5d1c-4f7a-9e3b-2c8d7f6a1b02"]),
        )
        .after(After::Notification(
            SAMPLE_ACCESS,
            LEEDS,
            DeliveryStatus::Pending,
        ))
        .after(After::DeliveryQueued(1)),
        sample(
            "alert-delivery/deliveries-with-poison.json",
            Failed(&["3c9e1d7a-8b2f-4e5c-a6d4-7f0b9e2c3d02"]),
        )
        .after(After::Notification(
            SEEDED_ACCESS,
            LEEDS,
            DeliveryStatus::Inbox,
        )),
        // the schedule
        sample("reconcile/scheduled-run.json", Run)
            .prep(&[PendingAccess])
            .is("/complete", json!(true))
            .is("/alertsRedriven", json!(1))
            .is("/reportsWritten", json!(2))
            .after(After::FanoutQueued(1)),
    ]
}

fn seeded_notification() -> String {
    notification_id(SEEDED_ACCESS, &org(LEEDS))
}

// ---------------------------------------------------------------------------------------------
// The samples on disk.
// ---------------------------------------------------------------------------------------------

/// Every file under `events/` (its path relative to it, `/`-separated), but the folder's README.
fn samples() -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = format!("{prefix}{name}");
            if entry.path().is_dir() {
                walk(&entry.path(), &format!("{relative}/"), out);
            } else if relative != "README.md" {
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo_path("events"), "", &mut out);
    out.sort();
    out
}

fn read_sample(sample: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("events/{sample}")))
        .unwrap_or_else(|e| panic!("cannot read events/{sample}: {e}"))
}

/// The function a sample is for: its folder is the function's binary name.
fn function_of(sample: &str) -> Result<FunctionDef, String> {
    let Some((folder, file)) = sample.split_once('/') else {
        return Err(format!(
            "{sample}: not in a function's folder (events/<binary>/<name>.json)"
        ));
    };
    if file.contains('/') || !file.ends_with(".json") {
        return Err(format!(
            "{sample}: samples are events/<binary>/<name>.json, one level deep"
        ));
    }
    FUNCTIONS
        .iter()
        .find(|f| f.binary == folder)
        .copied()
        .ok_or_else(|| {
            format!("{sample}: folder {folder} is not the binary of a function in FUNCTIONS")
        })
}

/// Whether the expectation's kind of answer fits how the function is invoked.
fn fits(f: FunctionDef, expect: Expect) -> bool {
    matches!(
        (f.trigger, expect),
        (Trigger::Http, Expect::Status(_))
            | (Trigger::Queue { .. }, Expect::Failed(_))
            | (Trigger::Schedule, Expect::Run)
    )
}

/// Checks a sample that needs no emulator: it is JSON, names its function's route or queue the
/// way AWS would, and its NHS numbers are test-range or published examples.
fn shape_problems(sample: &str, f: FunctionDef) -> Vec<String> {
    let text = read_sample(sample);
    let mut p = nhs_number_problems(sample, &text);
    let event: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            p.push(format!("{sample}: not JSON: {e}"));
            return p;
        }
    };
    match f.trigger {
        Trigger::Http => p.extend(http_event_problems(sample, f, &event)),
        Trigger::Queue { queue, .. } => {
            let records = event["Records"].as_array().cloned().unwrap_or_default();
            if records.is_empty() {
                p.push(format!("{sample}: an SQS event needs Records"));
            }
            let mut ids = BTreeSet::new();
            for (i, r) in records.iter().enumerate() {
                let id = r["messageId"].as_str().unwrap_or_default();
                if !ids.insert(id.to_owned()) || id.is_empty() {
                    p.push(format!(
                        "{sample}: record {i} has a missing or repeated messageId"
                    ));
                }
                if r["eventSource"] != "aws:sqs" || !r["body"].is_string() {
                    p.push(format!(
                        "{sample}: record {i} is not an SQS record with a body"
                    ));
                }
                let arn = r["eventSourceARN"].as_str().unwrap_or_default();
                if !arn.starts_with("arn:aws:sqs:") || !arn.ends_with(&format!("-{}", queue.suffix))
                {
                    p.push(format!(
                        "{sample}: record {i} comes from {arn}, not the {} queue",
                        queue.suffix
                    ));
                }
                let count = r["attributes"]["ApproximateReceiveCount"].as_str();
                if count.and_then(|c| c.parse::<u32>().ok()).is_none() {
                    p.push(format!(
                        "{sample}: record {i} lacks attributes.ApproximateReceiveCount"
                    ));
                }
            }
        }
        Trigger::Schedule => {
            if event["source"] != "aws.events" || event["detail-type"] != "Scheduled Event" {
                p.push(format!(
                    "{sample}: not an EventBridge scheduled event (source aws.events, \
                     detail-type Scheduled Event)"
                ));
            }
        }
    }
    p
}

/// Every ten-digit number that passes the NHS check digit must be a test-range number (999...) or
/// one of the published examples: no real person's number in a sample.
fn nhs_number_problems(sample: &str, text: &str) -> Vec<String> {
    let mut p = Vec::new();
    // Words of letters and digits: a digit run inside a hex digest or an id is not a number.
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let digits_only = word.len() == 10 && word.bytes().all(|b| b.is_ascii_digit());
        let allowed = word.starts_with("999") || PUBLISHED_EXAMPLES.contains(&word);
        if digits_only && NhsNumber::parse(word).is_ok() && !allowed {
            p.push(format!(
                "{sample}: {word} is a valid NHS number outside the test range (999...) and the \
                 published examples {PUBLISHED_EXAMPLES:?}"
            ));
        }
    }
    p
}

/// The path parameters of a route template.
fn path_params(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// An HTTP sample is what API Gateway sends for one of its function's routes: payload 2.0, the
/// route key of a ROUTES entry of this function, a path that fills the route's template with the
/// path parameters, and the authorizer's claims.
fn http_event_problems(sample: &str, f: FunctionDef, e: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            p.push(format!("{sample}: {what}"));
        }
    };
    expect(e["version"] == "2.0", "version is not 2.0".into());
    let route_key = e["routeKey"].as_str().unwrap_or_default();
    expect(
        e["requestContext"]["routeKey"] == route_key,
        "routeKey and requestContext.routeKey differ".into(),
    );
    if f == routes::WEB {
        // The web app's pages: public GETs, without an authorizer's claims.
        let public = routes::WEB_ROUTES
            .iter()
            .any(|path| format!("GET {path}") == route_key);
        expect(
            public,
            format!("routeKey `{route_key}` is not a web page route"),
        );
        expect(
            e["requestContext"]["authorizer"].is_null(),
            "a web page request carries no authorizer context".into(),
        );
        return p;
    }
    let route = ROUTES
        .iter()
        .find(|r| format!("{} {}", r.method, r.path) == route_key);
    let Some(route) = route else {
        expect(
            false,
            format!("routeKey `{route_key}` is not a route in ROUTES"),
        );
        return p;
    };
    expect(
        route.function == f,
        format!(
            "route {route_key} is served by {}, not {}",
            route.function.binary, f.binary
        ),
    );
    expect(
        e["requestContext"]["http"]["method"] == route.method,
        "requestContext.http.method is not the route's method".into(),
    );
    let raw_path = e["rawPath"].as_str().unwrap_or_default();
    expect(
        e["requestContext"]["http"]["path"] == raw_path,
        "rawPath and requestContext.http.path differ".into(),
    );
    let mut filled = route.path.to_owned();
    for name in path_params(route.path) {
        match e["pathParameters"][name].as_str() {
            Some(v) => filled = filled.replace(&format!("{{{name}}}"), v),
            None => expect(false, format!("pathParameters.{name} is missing")),
        }
    }
    let declared = e["pathParameters"].as_object().map_or(0, |m| m.len());
    expect(
        declared == path_params(route.path).len(),
        "pathParameters has parameters the route does not".into(),
    );
    expect(
        filled == raw_path,
        format!("rawPath {raw_path} does not fill {} ({filled})", route.path),
    );
    let claims = &e["requestContext"]["authorizer"]["jwt"]["claims"];
    for claim in ["org", "role", "sub"] {
        expect(
            claims[claim].is_string(),
            format!("requestContext.authorizer.jwt.claims.{claim} is missing"),
        );
    }
    let has_body = e["body"].is_string();
    let body_type = if route.takes_csv() {
        "text/csv"
    } else {
        "application/json"
    };
    expect(
        has_body == (e["headers"]["content-type"] == body_type),
        format!("a body goes with content-type {body_type}, and only a body"),
    );
    p
}

// ---------------------------------------------------------------------------------------------
// The world each sample runs in.
// ---------------------------------------------------------------------------------------------

fn la_contact(name: &str) -> Value {
    json!({"name": name, "team": "Children's Front Door", "officeHoursPhone": "0113 222 4403",
        "emergencyDutyPhone": "0113 535 0600"})
}

fn clinician_access(id: &str, nhs: &str, at: DateTime<Utc>) -> Access {
    Access {
        access_id: id.to_owned(),
        child: integration_tests::child_key(&NhsNumber::parse(nhs).unwrap()),
        at,
        user: UserId::parse("dr-1907").unwrap(),
        role: Role::UnscheduledCare,
        org: org("RR801"),
        org_name: Some("Leeds General Infirmary ED".into()),
        setting_type: None,
        outcome: AccessOutcome::Allowed,
    }
}

fn budget() -> Budget {
    Budget {
        deadline: Instant::now() + StdDuration::from_secs(60),
        max_pages: None,
    }
}

struct World {
    /// Sees every request of the world's clients: what a handler issued, to compare with the
    /// IAM actions its function is granted.
    recorder: IoRecorder,
    emu: Emulator,
    table: Table,
    fanout: QueueUrls,
    delivery: QueueUrls,
    secrets_dir: PathBuf,
}

impl World {
    /// A fresh table and queues, seeded.
    async fn new() -> Self {
        let recorder = IoRecorder::default();
        let emu = Emulator::recorded(&recorder);
        let table = emu.fresh_table().await;
        let (_, fanout) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
        let (_, delivery) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
        let world = World {
            recorder,
            secrets_dir: std::env::temp_dir().join("cpindex-events-no-secrets"),
            emu,
            table,
            fanout,
            delivery,
        };
        world.seed().await;
        world
    }

    async fn seed(&self) {
        // The plans were recorded the day before the seeded visit (an LA sees only accesses
        // made while its plan was held).
        let retention = Retention::default();
        let upsert = plan_upsert::router(plan_upsert::App::new(
            self.table.clone(),
            integration_tests::child_keys(),
            retention,
            FixedClock::at(now() - Duration::days(1)),
        ));
        for (code, record) in [
            (
                LEEDS,
                json!({"planRef": "CP-2026-0001", "nhsNumber": CHILD, "planType": "CPP",
                    "startDate": "2026-01-10", "sourceVersion": 3,
                    "responsibleLa": la_contact("Leeds City Council")}),
            ),
            (
                CAMDEN,
                json!({"planRef": "UCPP-2026-0009", "nhsNumber": MOTHER, "planType": "UCPP",
                    "startDate": "2026-09-01", "expectedDueDate": "2027-01-15", "sourceVersion": 1,
                    "responsibleLa": la_contact("London Borough of Camden")}),
            ),
        ] {
            let body = json!({"mode": "delta", "records": [record]});
            let ack = call(
                &upsert,
                request(
                    "POST",
                    routes::PLAN_BATCHES_PATH,
                    Some(("local_authority", code, "seed")),
                    Some(&body),
                ),
            )
            .await;
            assert_eq!(ack.body["fileOutcome"], "all_loaded", "seeding: {ack:?}");
        }
        let profile = json!({"name": "Leeds City Council", "team": "Children's Front Door",
            "officeHoursPhone": "0113 222 4403", "emergencyDutyPhone": "0113 535 0600"});
        let inbox = self.router(routes::INBOX).unwrap();
        let answer = call(
            &inbox,
            request(
                "PUT",
                &format!("/v1/la-profiles/{LEEDS}"),
                OPERATOR,
                Some(&profile),
            ),
        )
        .await;
        assert_eq!(answer.status, 200, "seeding: {answer:?}");
        let visit = clinician_access(SEEDED_ACCESS, CHILD, now() - Duration::minutes(30));
        self.fanout()
            .fan_out(&visit, now() - Duration::minutes(30))
            .await
            .expect("seeding: fan-out");
        self.drain(&self.delivery.queue).await;
    }

    async fn prepare(&self, preps: &[Prep]) {
        if preps.contains(&Prep::DeadLettered) {
            let id = seeded_notification();
            let failed = self
                .notifications()
                .finish(
                    &id,
                    DeliveryStatus::Failed,
                    now(),
                    ALERT_DELIVERY_QUEUE.max_receive_count,
                    Some("503"),
                )
                .await
                .unwrap();
            assert!(failed, "the seeded notification was pending");
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.dlq)
                .send(json!({"notificationId": id}).to_string())
                .await
                .unwrap();
        }
        if preps.contains(&Prep::PendingAccess) {
            let stuck = clinician_access(PENDING_ACCESS, CHILD, now() - Duration::minutes(10));
            AccessStore::new(self.table.clone())
                .record(&stuck)
                .await
                .unwrap();
        }
        if preps.contains(&Prep::Reconciled) {
            let outcome = self.reconciler().run(budget()).await.unwrap();
            assert!(outcome.complete, "{outcome:?}");
        }
    }

    fn notifications(&self) -> NotificationStore {
        NotificationStore::new(self.table.clone())
    }

    /// The router of an HTTP function, wired as its `main.rs` wires it (over this world).
    fn router(&self, f: FunctionDef) -> Option<Router> {
        let retention = Retention::default();
        let table = self.table.clone();
        if f == routes::PLAN_UPSERT {
            Some(plan_upsert::router(plan_upsert::App::new(
                table,
                integration_tests::child_keys(),
                retention,
                clock(),
            )))
        } else if f == routes::LOOKUP {
            Some(lookup::router(lookup::App::new(
                table,
                SqsQueue::new(self.emu.sqs.clone(), &self.fanout.queue),
                integration_tests::child_keys(),
                retention,
                clock(),
            )))
        } else if f == routes::INBOX {
            Some(inbox::router(inbox::App::new(
                table,
                retention,
                clock(),
                cpindex::profile::WebhookPolicy::PublicHttpsOnly,
            )))
        } else if f == routes::OPS {
            Some(reconcile::ops::router(self.reconciler()))
        } else if f == routes::WEB {
            let cfg = web::WebConfig {
                issuer: "https://idp.example.org/".into(),
                client_id: "cpindex-web".into(),
                authorize_url: "https://idp.example.org/authorize".into(),
                token_url: "https://idp.example.org/token".into(),
                scope: "openid".into(),
                local: false,
            };
            // The app as built; on a machine that built none (no Node), a stand-in of the two
            // files the samples ask for, so the routing and headers are still exercised.
            const STAND_IN: web::Assets = &[
                ("index.html", b"<!doctype html><title>stand-in</title>"),
                ("app.css", b"body{}"),
            ];
            Some(if web::APP_EMBEDDED {
                web::router(cfg)
            } else {
                web::router_with(cfg, STAND_IN)
            })
        } else {
            None
        }
    }

    fn fanout(&self) -> Fanout<SqsQueue, FixedClock> {
        let retention = Retention::default();
        Fanout::new(
            self.table.clone(),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.queue),
            retention,
            clock(),
        )
    }

    fn delivery(
        &self,
    ) -> Delivery<DeliveryStores, FileSecrets, HttpWebhook, SqsVisibility, FixedClock> {
        Delivery {
            store: DeliveryStores::new(self.table.clone()),
            secrets: FileSecrets(self.secrets_dir.clone()),
            webhook: HttpWebhook::new(
                StdDuration::from_secs(2),
                cpindex::profile::WebhookPolicy::PublicHttpsOnly,
            ),
            visibility: SqsVisibility {
                client: self.emu.sqs.clone(),
                queue_url: self.delivery.queue.clone(),
            },
            clock: clock(),
            policy: RetryPolicy::default(),
            webhooks: cpindex::profile::WebhookPolicy::PublicHttpsOnly,
        }
    }

    fn reconciler(&self) -> Reconciler<FixedClock> {
        Reconciler::new(
            self.table.clone(),
            SqsQueue::new(self.emu.sqs.clone(), &self.fanout.queue),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.queue),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery.dlq),
            Retention::default(),
            clock(),
        )
    }

    /// Messages waiting on a queue (received, not deleted: the world is thrown away after).
    async fn queued(&self, url: &str) -> usize {
        let mut n = 0;
        loop {
            let got = self.emu.receive(url).await;
            if got.is_empty() {
                return n;
            }
            n += got.len();
        }
    }

    async fn drain(&self, url: &str) {
        loop {
            let got = self.emu.receive(url).await;
            if got.is_empty() {
                return;
            }
            for m in got {
                self.emu
                    .sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    async fn after_problems(&self, sample: &str, after: &[After]) -> Vec<String> {
        let mut p = Vec::new();
        for a in after {
            match *a {
                After::FanoutQueued(want) | After::DeliveryQueued(want) => {
                    let (name, url) = match a {
                        After::FanoutQueued(_) => ("fan-out", &self.fanout.queue),
                        _ => ("delivery", &self.delivery.queue),
                    };
                    let got = self.queued(url).await;
                    if got != want {
                        p.push(format!(
                            "{sample}: {got} message(s) on the {name} queue afterwards, \
                             expected {want}"
                        ));
                    }
                }
                After::Notification(access, la, want) => {
                    let id = notification_id(access, &org(la));
                    let got = self.notifications().get(&id).await.unwrap();
                    let status = got.as_ref().map(|n| n.status);
                    if status != Some(want) {
                        p.push(format!(
                            "{sample}: notification of access {access} to {la} is {status:?} \
                             afterwards, expected {want:?}"
                        ));
                    }
                }
            }
        }
        p
    }
}

// ---------------------------------------------------------------------------------------------
// Running one sample.
// ---------------------------------------------------------------------------------------------

/// Runs one sample in a fresh world; returns every way it disagrees with its expectation.
/// Runs one sample; returns the problems and the IAM actions its handler's requests needed.
async fn run_sample(e: &Expectation, openapi: &Value) -> (Vec<String>, BTreeSet<String>) {
    let sample = e.sample;
    let f = match function_of(sample) {
        Ok(f) => f,
        Err(problem) => return (vec![problem], BTreeSet::new()),
    };
    let text = read_sample(sample);
    let world = World::new().await;
    world.prepare(e.prep).await;
    world.recorder.take();
    let (answer, mut p) = match (f.trigger, e.expect) {
        (Trigger::Http, Expect::Status(status)) => {
            http_sample(&world, f, sample, &text, status, openapi).await
        }
        (Trigger::Queue { .. }, Expect::Failed(ids)) => {
            queue_sample(&world, f, sample, &text, ids).await
        }
        (Trigger::Schedule, Expect::Run) => match world.reconciler().run(budget()).await {
            Ok(outcome) => (serde_json::to_value(outcome).unwrap(), Vec::new()),
            Err(err) => (
                Value::Null,
                vec![format!("{sample}: the run failed: {err:?}")],
            ),
        },
        (_, expect) => {
            return (
                vec![format!(
                    "{sample}: expects {expect:?}, which {} ({:?}) cannot answer",
                    f.binary, f.trigger
                )],
                BTreeSet::new(),
            )
        }
    };
    let issued = world
        .recorder
        .take()
        .iter()
        .map(|s| s.iam_action())
        .collect();
    for fact in &e.facts {
        match fact {
            Fact::Is(pointer, want) => {
                let got = answer.pointer(pointer);
                if got != Some(want) {
                    p.push(format!(
                        "{sample}: {pointer} is {got:?}, expected {want} (answer: {answer})"
                    ));
                }
            }
            Fact::Len(pointer, want) => {
                let got = answer
                    .pointer(pointer)
                    .and_then(Value::as_array)
                    .map(Vec::len);
                if got != Some(*want) {
                    p.push(format!(
                        "{sample}: {pointer} holds {got:?} entries, expected {want} (answer: \
                         {answer})"
                    ));
                }
            }
        }
    }
    p.extend(world.after_problems(sample, &e.after).await);
    (p, issued)
}

/// Turns the sample into a request exactly as `lambda_http::run` does and sends it through the
/// function's router. Returns the body and the problems.
async fn http_sample(
    world: &World,
    f: FunctionDef,
    sample: &str,
    text: &str,
    status: u16,
    openapi: &Value,
) -> (Value, Vec<String>) {
    let mut p = Vec::new();
    let req = match lambda_http::request::from_str(text) {
        Ok(req) => req,
        Err(e) => {
            return (
                Value::Null,
                vec![format!("{sample}: lambda_http refuses it: {e}")],
            )
        }
    };
    let route_key = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone().unwrap_or_default(),
        other => {
            let kind = other.map(|_| "another").unwrap_or("no");
            return (
                Value::Null,
                vec![format!(
                    "{sample}: lambda_http reads {kind} request context, not API Gateway v2"
                )],
            );
        }
    };
    let Some(router) = world.router(f) else {
        return (
            Value::Null,
            vec![format!(
                "{sample}: this test has no router for {}",
                f.binary
            )],
        );
    };
    let resp = router.oneshot(req).await.expect("routers are infallible");
    let got = resp.status().as_u16();
    if f == routes::WEB {
        if got != status {
            p.push(format!("{sample}: answered {got}, expected {status}"));
        }
        let csp = resp
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !csp.starts_with("default-src 'none'") {
            p.push(format!(
                "{sample}: no strict Content-Security-Policy ({csp:?})"
            ));
        }
        return (Value::Null, p);
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            p.push(format!(
                "{sample}: the body is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            ));
            Value::Null
        }
    };
    if got != status {
        p.push(format!(
            "{sample}: answered {got}, expected {status}: {body}"
        ));
    }
    let fhir = route_key.contains(cpindex::fhir::BASE);
    let want_type = if fhir {
        cpindex::fhir::FHIR_JSON
    } else if got < 400 {
        "application/json"
    } else {
        cpindex::problem::PROBLEM_JSON
    };
    if content_type != want_type {
        p.push(format!(
            "{sample}: content-type is {content_type:?}, expected {want_type}"
        ));
    }
    p.extend(
        contract_problems(openapi, &route_key, got, want_type, &body)
            .into_iter()
            .map(|problem| format!("{sample}: {problem}")),
    );
    (body, p)
}

/// Hands the SQS batch to the consumer's `handle`, as its `main.rs` does.
async fn queue_sample(
    world: &World,
    f: FunctionDef,
    sample: &str,
    text: &str,
    failed: &[&str],
) -> (Value, Vec<String>) {
    let event: Value = serde_json::from_str(text).unwrap();
    let response = if f == routes::ALERT_FANOUT {
        world.fanout().handle(&event).await
    } else if f == routes::ALERT_DELIVERY {
        world.delivery().handle(&event).await
    } else {
        return (
            Value::Null,
            vec![format!(
                "{sample}: this test has no consumer for {}",
                f.binary
            )],
        );
    };
    let mut p = Vec::new();
    let got: BTreeSet<&str> = adapters::sqs_batch::failed_ids(&response)
        .into_iter()
        .collect();
    let want: BTreeSet<&str> = failed.iter().copied().collect();
    if got != want {
        p.push(format!(
            "{sample}: batchItemFailures name {got:?}, expected {want:?}"
        ));
    }
    // The messages expected to fail are the poison ones: their bodies are not even JSON.
    for r in event["Records"].as_array().into_iter().flatten() {
        let id = r["messageId"].as_str().unwrap_or_default();
        let poison = serde_json::from_str::<Value>(r["body"].as_str().unwrap_or_default()).is_err();
        if poison != want.contains(id) {
            p.push(format!(
                "{sample}: message {id} is {}poison but is {}expected to fail",
                if poison { "" } else { "not " },
                if want.contains(id) { "" } else { "not " }
            ));
        }
    }
    (serde_json::to_value(&response).unwrap(), p)
}

// ---------------------------------------------------------------------------------------------
// The answer against the OpenAPI contract, validated by a maintained JSON Schema implementation.
// ---------------------------------------------------------------------------------------------

fn openapi() -> Value {
    let text = std::fs::read_to_string(repo_path("infra/openapi.yaml")).unwrap();
    serde_norway::from_str(&text).expect("infra/openapi.yaml is YAML")
}

/// OpenAPI 3.0 writes "or null" as `nullable: true`; JSON Schema writes it as a type union.
/// Rewrites every schema of the document so that a JSON Schema validator reads it as meant.
fn as_json_schema(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                as_json_schema(child);
            }
            if m.remove("nullable") == Some(Value::Bool(true)) {
                match m.get("type").cloned() {
                    Some(Value::String(t)) => {
                        m.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(allowed)) = m.get_mut("enum") {
                            allowed.push(Value::Null);
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(m));
                        m.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_json_schema),
        _ => {}
    }
}

/// The answer is documented for the route and status, with this content type and a schema the
/// body conforms to.
fn contract_problems(
    o: &Value,
    route_key: &str,
    status: u16,
    content_type: &str,
    body: &Value,
) -> Vec<String> {
    let Some((method, path)) = route_key.split_once(' ') else {
        return vec![format!("route key {route_key} is not `METHOD /path`")];
    };
    let op = &o["paths"][path][method.to_ascii_lowercase()];
    let Some(mut response) = op["responses"].get(status.to_string()) else {
        return vec![format!(
            "infra/openapi.yaml does not document {status} for {route_key}"
        )];
    };
    if let Some(target) = response["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        response = o.pointer(target).unwrap_or(response);
    }
    let pointer = format!("/content/{}/schema", content_type.replace('/', "~1"));
    let Some(schema) = response.pointer(&pointer) else {
        return vec![format!(
            "infra/openapi.yaml documents no {content_type} body for {status} of {route_key}"
        )];
    };
    // The whole contract is the root, so the schema's `$ref`s to components resolve.
    let mut root = o.clone();
    as_json_schema(&mut root);
    let mut schema = schema.clone();
    as_json_schema(&mut schema);
    root["$defs"] = json!({"answer": schema});
    root["$ref"] = json!("#/$defs/answer");
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("the contract's schemas compile");
    validator
        .iter_errors(body)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "(body)".into() } else { at };
            format!("{status} of {route_key} disagrees with infra/openapi.yaml at {at}: {e}")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

fn assert_none(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what}:\n  - {}",
        problems.join("\n  - ")
    );
}

#[test]
fn every_sample_has_a_handler_an_expectation_and_the_shape_aws_sends() {
    let expectations = expectations();
    let listed: BTreeSet<&str> = expectations.iter().map(|e| e.sample).collect();
    let mut p = Vec::new();
    let samples = samples();
    for sample in &samples {
        let f = match function_of(sample) {
            Ok(f) => f,
            Err(problem) => {
                p.push(problem);
                continue;
            }
        };
        match expectations.iter().find(|e| e.sample == sample) {
            None => p.push(format!(
                "{sample}: no expectation in tests/tests/events.rs says what it must answer"
            )),
            Some(e) if !fits(f, e.expect) => p.push(format!(
                "{sample}: expects {:?}, which {} ({:?}) cannot answer",
                e.expect, f.binary, f.trigger
            )),
            Some(_) => {}
        }
        p.extend(shape_problems(sample, f));
    }
    for stale in listed.iter().filter(|s| !samples.iter().any(|f| f == *s)) {
        p.push(format!(
            "expectation for {stale}, but no such file in events/"
        ));
    }
    if listed.len() != expectations.len() {
        p.push("an expectation is listed twice".to_owned());
    }
    assert_none("events/ and the handlers disagree", p);
}

#[test]
fn every_function_and_every_route_has_a_sample() {
    let samples = samples();
    let mut p = Vec::new();
    for f in FUNCTIONS {
        if !samples.iter().any(|s| function_of(s) == Ok(*f)) {
            p.push(format!(
                "function {} has no sample in events/{}/",
                f.binary, f.binary
            ));
        }
    }
    let route_keys: BTreeSet<String> = samples
        .iter()
        .filter_map(|s| serde_json::from_str::<Value>(&read_sample(s)).ok())
        .filter_map(|e| e["routeKey"].as_str().map(str::to_owned))
        .collect();
    for r in ROUTES {
        let key = format!("{} {}", r.method, r.path);
        if !route_keys.contains(&key) {
            p.push(format!(
                "route {key} has no sample in events/{}/",
                r.function.binary
            ));
        }
    }
    assert_none("events/ misses samples", p);
}

#[test]
fn a_sample_the_checks_would_refuse_is_named() {
    // Unmapped files.
    for stray in [
        "notes.txt",
        "lookups/get.json",
        "lookup/deep/get.json",
        "lookup/get.yaml",
    ] {
        assert!(function_of(stray).is_err(), "{stray}");
    }
    assert_eq!(function_of("ops/run-reconciliation.json"), Ok(routes::OPS));
    // A real person's number (valid check digit, outside the test range) is refused.
    let real_looking = (0..)
        .find_map(|k: u32| {
            let digits: Vec<u8> = format!("{}", 400_000_000 + k)
                .bytes()
                .map(|b| b - b'0')
                .collect();
            NhsNumber::from_first_nine(digits.try_into().unwrap())
        })
        .unwrap()
        .digits();
    let text = format!(r#"{{"nhsNumber":"{real_looking}"}}"#);
    assert!(!nhs_number_problems("x", &text).is_empty());
    assert!(nhs_number_problems("x", r#"{"n":"9990000018","t":1795316400000}"#).is_empty());
    // A route key of another function, and a path that does not fill the template.
    let mut e: Value = serde_json::from_str(&read_sample("lookup/get-child.json")).unwrap();
    let problems = http_event_problems("s", routes::INBOX, &e);
    assert!(
        problems.iter().any(|p| p.contains("served by lookup")),
        "{problems:?}"
    );
    e["rawPath"] = json!("/v1/children/9000000009");
    let problems = http_event_problems("s", routes::LOOKUP, &e);
    assert!(
        problems.iter().any(|p| p.contains("does not fill")),
        "{problems:?}"
    );
    // The contract check names a missing property, an unknown one and an undocumented status.
    let o = openapi();
    let body = json!({"runId": "r", "complete": true, "pages": 1, "alertsRedriven": 0, "extra": 1});
    let problems = contract_problems(
        &o,
        "POST /v1/reconciliation-runs",
        200,
        "application/json",
        &body,
    );
    assert!(
        problems.iter().any(|p| p.contains("reportsWritten")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("'extra' was unexpected")),
        "{problems:?}"
    );
    // A null where the contract has no `nullable`, and a string that is not its format.
    let body = json!({"runId": null, "complete": true, "pages": 1, "alertsRedriven": 0, "reportsWritten": 0});
    let problems = contract_problems(
        &o,
        "POST /v1/reconciliation-runs",
        200,
        "application/json",
        &body,
    );
    assert!(
        problems.iter().any(|p| p.contains("/runId")),
        "{problems:?}"
    );
    let problems = contract_problems(
        &o,
        "POST /v1/reconciliation-runs",
        418,
        "application/json",
        &body,
    );
    assert!(
        problems.iter().any(|p| p.contains("does not document 418")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn every_sample_runs_through_its_handler() {
    let openapi = openapi();
    let expectations = expectations();
    let mut p = Vec::new();
    let mut issued: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for sample in samples() {
        match expectations.iter().find(|e| e.sample == sample) {
            Some(e) => {
                let (problems, actions) = run_sample(e, &openapi).await;
                p.extend(problems);
                if let Ok(f) = function_of(&sample) {
                    issued.entry(f.binary).or_default().extend(actions);
                }
            }
            None => p.push(format!("{sample}: no expectation")),
        }
    }
    assert_none("samples in events/ do not get the answers expected", p);
    // Least privilege holds only if the code needs no more than the template grants.
    let mut p = Vec::new();
    for f in FUNCTIONS {
        for action in issued.get(f.binary).into_iter().flatten() {
            if !f.iam.contains(&action.as_str()) {
                p.push(format!(
                    "{} issued {action}, which its FunctionDef (and so the template) does not grant",
                    f.binary
                ));
            }
        }
    }
    assert_none(
        "handlers issue only the IAM actions their functions are granted",
        p,
    );
}
