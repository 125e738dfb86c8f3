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

mod contract;
mod expectations;
mod run;
mod samples;
mod world;
use contract::*;
use expectations::*;
use run::*;
use samples::*;
use world::*;

// The tests.

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
