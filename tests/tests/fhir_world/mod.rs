//! The FHIR tests' world: an emulator table and alert queue, plans loaded through the LA's
//! batch route, the lookup router at a fixed time, and searches as an ED system sends them.

#![allow(dead_code)]

use adapters::queue::SqsQueue;
use adapters::store::{Index, QueryOptions, Table};
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use cpindex::fhir::{NHS_NUMBER_SYSTEM, PATIENT_IDENTIFIER};
use cpindex::keys::ALERT_FANOUT_QUEUE;
use cpindex::{FixedClock, NhsNumber, Retention};
use integration_tests::fixtures::CHILD;
use integration_tests::http::{call, la, request, Answer, As};
use integration_tests::Emulator;
use serde_json::{json, Value};

pub const TRACE: &str = "6ede3b9d-a81b-4c75-9d77-e1d64d85c323";

pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

pub fn ed(user: &str) -> As<'_> {
    Some(("unscheduled_care", "RR801", user))
}

pub fn plan(plan_ref: &str, plan_type: &str, office: Option<&str>) -> Value {
    let mut la = json!({"name": "Leeds City Council", "team": "Children's Front Door", "emergencyDutyPhone": "0113 535 0600"});
    if let Some(o) = office {
        la["officeHoursPhone"] = json!(o);
    }
    json!({"planRef": plan_ref, "nhsNumber": CHILD, "planType": plan_type, "startDate": "2026-01-10",
           "sourceVersion": 1})
}

pub fn router(table: &Table, queue: SqsQueue, at: chrono::DateTime<Utc>) -> Router {
    let retention = Retention::default();
    let store = table.clone();
    lookup::router(lookup::App::new(
        store.clone(),
        queue,
        integration_tests::child_keys(),
        retention,
        FixedClock::at(at),
    ))
}

pub struct Fixture {
    pub emu: Emulator,
    pub table: Table,
    pub queue_url: String,
    pub lookup: Router,
}

pub async fn fixture(plans: &[(&str, Value)]) -> Fixture {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (queue, urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let upsert = plan_upsert::router(plan_upsert::App::new(
        table.clone(),
        integration_tests::child_keys(),
        Retention::default(),
        FixedClock::at(now() - Duration::days(3)),
    ));
    for (org, p) in plans {
        let body = json!({"mode": "delta", "records": [p]});
        let ack = call(
            &upsert,
            request("POST", "/v1/plan-batches", la(org), Some(&body)),
        )
        .await;
        assert_eq!(ack.body["fileOutcome"], "all_loaded", "{ack:?}");
    }
    Fixture {
        lookup: router(&table, queue, now()),
        emu,
        table,
        queue_url: urls.queue,
    }
}

/// A search as an ED system sends it: the national parameter and headers (`None` leaves one out).
pub fn search(
    resource: &str,
    nhs: &str,
    caller: As<'_>,
    trace: Option<&str>,
    unscheduled: Option<&str>,
) -> http::Request<axum::body::Body> {
    let uri = format!("/FHIR/R4/{resource}?{PATIENT_IDENTIFIER}={NHS_NUMBER_SYSTEM}%7C{nhs}");
    let mut req = request("GET", &uri, caller, None);
    if let Some(t) = trace {
        req.headers_mut().insert("TraceID", t.parse().unwrap());
    }
    if let Some(u) = unscheduled {
        req.headers_mut()
            .insert("IsUnscheduledAccessEvent", u.parse().unwrap());
    }
    req
}

pub fn is_fhir(a: &Answer) {
    assert_eq!(
        a.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/fhir+json"),
        "{a:?}"
    );
}

/// `(status, issue.code, national code)` of an OperationOutcome answer.
pub fn outcome(a: &Answer) -> (u16, &str, &str) {
    is_fhir(a);
    assert_eq!(a.body["resourceType"], "OperationOutcome", "{a:?}");
    let issue = &a.body["issue"][0];
    (
        a.status.as_u16(),
        issue["code"].as_str().unwrap(),
        issue["details"]["coding"][0]["code"].as_str().unwrap(),
    )
}

impl Fixture {
    pub async fn partition(&self, nhs: &str) -> Vec<adapters::store::Item> {
        let pk = cpindex::keys::key::child_pk(&integration_tests::child_key(
            &NhsNumber::parse(nhs).unwrap(),
        ));
        self.table
            .query(Index::Table, &pk, None, QueryOptions::default())
            .await
            .unwrap()
    }

    pub async fn queued(&self) -> usize {
        let mut n = 0;
        loop {
            let got = self.emu.receive(&self.queue_url).await;
            if got.is_empty() {
                return n;
            }
            n += got.len();
        }
    }
}

pub fn matches<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["search"]["mode"] == "match" && e["resource"]["resourceType"] == kind)
                .map(|e| &e["resource"])
                .collect()
        })
        .unwrap_or_default()
}

pub fn included<'a>(bundle: &'a Value, reference: &str) -> &'a Value {
    &bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["fullUrl"] == reference)
        .unwrap_or_else(|| panic!("{reference} is not in the Bundle"))["resource"]
}
