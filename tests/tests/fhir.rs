//! The FHIR R4 interface against the emulator, as an ED system written against the national
//! guide calls it: the same lookup (audit, visit, alert hand-off, one round trip, never a false
//! "no plan"), the national searches, headers and error codes. Every FHIR answer here is also
//! validated by an independent FHIR R4 implementation (scripts/fhir-validate.py, in make test).

use adapters::queue::SqsQueue;
use adapters::store::Table;
use aws_sdk_sqs::Client as SqsClient;
use chrono::Duration;
use cpindex::fhir::{NHS_NUMBER_SYSTEM, ODS_SYSTEM, PATIENT_IDENTIFIER};
use cpindex::{FixedClock, NhsNumber};
use integration_tests::fixtures::{CAMDEN, CHILD, LEEDS, NOBODY};
use integration_tests::http::{call, la, request};
use integration_tests::io_recorder::{critical_path, IoRecorder};
use integration_tests::{emulator_url, unreachable_store};
use proptest::prelude::*;
use serde_json::json;

mod fhir_world;
use fhir_world::*;

#[tokio::test]
async fn an_ed_system_finds_every_plan_its_contacts_and_the_previous_accesses() {
    let f = fixture(&[
        (LEEDS, plan("L-1", "LAC", Some("0113 222 4403"))),
        (CAMDEN, plan("C-7", "CPP", None)),
    ])
    .await;
    // Two earlier attendances, through the national interface.
    for (hours, user) in [(30, "dr-1"), (2, "dr-2")] {
        let earlier = router(
            &f.table,
            SqsQueue::new(f.emu.sqs.clone(), f.queue_url.clone()),
            now() - Duration::hours(hours),
        );
        let a = call(
            &earlier,
            search("CareTeam", CHILD, ed(user), Some(TRACE), None),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
    }

    let a = call(
        &f.lookup,
        search("CareTeam", CHILD, ed("dr-3"), Some(TRACE), Some("true")),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    is_fhir(&a);
    assert_eq!(a.headers["traceid"], TRACE, "the trace id is echoed");
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(
        (a.body["type"].clone(), a.body["total"].clone()),
        (json!("searchset"), json!(2))
    );
    let teams = matches(&a.body, "CareTeam");
    let mut codes: Vec<&str> = teams
        .iter()
        .map(|t| t["category"][0]["coding"][0]["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, ["342191000000101", "764841000000100"]);
    for t in &teams {
        assert_eq!(t["subject"]["identifier"]["value"], CHILD);
        assert_eq!(t["period"]["start"], "2026-01-10");
        let org = included(
            &a.body,
            t["managingOrganization"][0]["reference"].as_str().unwrap(),
        );
        assert_eq!(org["identifier"][0]["system"], ODS_SYSTEM);
        let ec = org["contact"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["purpose"]["coding"][0]["code"] == "EC")
            .expect("an emergency duty contact");
        // The LA's own profile's number, never a record's.
        let code = org["identifier"][0]["value"].as_str().unwrap();
        let vetted = integration_tests::fixtures::profile(code);
        assert_eq!(
            ec["telecom"][0]["value"],
            vetted.emergency_duty_phone.unwrap().as_str()
        );
    }
    let leeds = teams
        .iter()
        .map(|t| {
            included(
                &a.body,
                t["managingOrganization"][0]["reference"].as_str().unwrap(),
            )
        })
        .find(|o| o["identifier"][0]["value"] == LEEDS)
        .unwrap();
    assert_eq!(leeds["contact"][1]["purpose"]["coding"][0]["code"], "WP");
    assert_eq!(leeds["contact"][1]["telecom"][0]["value"], "0113 222 4403");

    // The previous accesses: both earlier attendances (this one is not listed), newest first.
    let audit = call(
        &f.lookup,
        search("AuditEvent", CHILD, ed("dr-4"), Some(TRACE), None),
    )
    .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let events = matches(&audit.body, "AuditEvent");
    assert_eq!(audit.body["total"], events.len());
    assert_eq!(events.len(), 3, "dr-1, dr-2, dr-3: {}", audit.body);
    assert!(events[0]["recorded"].as_str() > events[1]["recorded"].as_str());
    let who = included(
        &audit.body,
        events[0]["agent"][0]["who"]["reference"].as_str().unwrap(),
    );
    assert_eq!(who["identifier"][0]["value"], "RR801");

    // The same lookup as the JSON route: each search is a visit and an alert hand-off.
    let visits = f
        .partition(CHILD)
        .await
        .iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("VISIT#"))
        .count();
    assert_eq!(visits, 4);
    assert_eq!(f.queued().await, 4);
}

#[tokio::test]
async fn no_plan_is_an_empty_bundle_and_still_audited() {
    let f = fixture(&[]).await;
    let a = call(
        &f.lookup,
        search("CareTeam", NOBODY, ed("dr-1"), Some(TRACE), None),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        (a.body["total"].clone(), a.body.get("entry")),
        (json!(0), None)
    );
    assert_eq!(f.partition(NOBODY).await.len(), 1, "the access is recorded");
}

#[tokio::test]
async fn a_silent_read_is_audited_but_neither_a_visit_nor_an_alert() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    // An unscheduled-care caller declaring the read not an unscheduled access; scheduled care
    // always (even when it says true).
    let gp = Some(("scheduled_care", "Y02794", "gp-1"));
    for (caller, header) in [(ed("dr-1"), "false"), (ed("dr-2"), "FALSE"), (gp, "true")] {
        let a = call(
            &f.lookup,
            search("CareTeam", CHILD, caller, Some(TRACE), Some(header)),
        )
        .await;
        assert_eq!(
            (a.status.as_u16(), a.body["total"].clone()),
            (200, json!(1))
        );
    }
    let items = f.partition(CHILD).await;
    let outcomes: Vec<(&str, &str)> = items
        .iter()
        .filter(|i| i["entity"].as_s().unwrap() == "access")
        .map(|i| {
            (
                i["sk"].as_s().unwrap().split('#').next().unwrap(),
                i["outcome"].as_s().unwrap().as_str(),
            )
        })
        .collect();
    let mut kinds: Vec<&str> = outcomes.iter().map(|(_, o)| *o).collect();
    kinds.sort();
    assert_eq!(kinds, ["allowed", "silent_read", "silent_read"]);
    assert!(
        outcomes.iter().all(|(sk, _)| *sk == "ACCESS"),
        "no visit: {outcomes:?}"
    );
    assert_eq!(f.queued().await, 0, "no alert");
}

#[tokio::test]
async fn bad_headers_are_precondition_failed_and_record_nothing() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    let cases = [
        (None, None),
        (Some("not-a-uuid"), None),
        (Some(TRACE), Some("yes")),
        (Some(TRACE), Some("")),
        (Some(TRACE), Some("1")),
    ];
    for (trace, unscheduled) in cases {
        let a = call(
            &f.lookup,
            search("CareTeam", CHILD, ed("dr-1"), trace, unscheduled),
        )
        .await;
        assert_eq!(
            outcome(&a),
            (400, "invalid", "PRECONDITION_FAILED"),
            "{trace:?} {unscheduled:?}: {a:?}"
        );
    }
    let accesses = f
        .partition(CHILD)
        .await
        .iter()
        .filter(|i| i["entity"].as_s().unwrap() == "access")
        .count();
    assert_eq!(accesses, 0, "nothing recorded");
    assert_eq!(f.queued().await, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Any ten digits that are not a valid NHS number, and any other search: INVALID_SEARCH_DATA,
    /// nothing recorded.
    #[test]
    fn invalid_searches_are_invalid_search_data_and_record_nothing(
        digits in "[0-9]{10}",
        other in prop_oneof![
            Just("patient=9434765919".to_owned()),
            Just(format!("{PATIENT_IDENTIFIER}=9434765919")),
            Just(format!("{PATIENT_IDENTIFIER}=http://example.org/nhs%7C9434765919")),
            Just(format!("{PATIENT_IDENTIFIER}={NHS_NUMBER_SYSTEM}%7C9434765919&_count=1")),
            "[a-z:_]{1,12}=[a-z0-9|]{0,20}",
        ],
    ) {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let f = fixture(&[]).await;
            let mut queries = vec![other];
            if NhsNumber::parse(&digits).is_err() {
                queries.push(format!("{PATIENT_IDENTIFIER}={NHS_NUMBER_SYSTEM}%7C{digits}"));
            }
            for q in queries {
                let mut req = request("GET", &format!("/FHIR/R4/CareTeam?{q}"), ed("dr-1"), None);
                req.headers_mut().insert("TraceID", TRACE.parse().unwrap());
                let a = call(&f.lookup, req).await;
                assert_eq!(outcome(&a), (400, "invalid", "INVALID_SEARCH_DATA"), "{q}");
            }
            let all = f.emu.scan_data(&f.table).await;
            assert!(all.is_empty(), "nothing recorded: {all:?}");
        });
    }
}

#[tokio::test]
async fn a_store_failure_is_503_transient_never_an_empty_bundle() {
    let down = unreachable_store();
    let table = Table::new(down.dynamo.clone(), "anything");
    let queue = SqsQueue::new(down.sqs.clone(), "http://127.0.0.1:9/000000000000/q");
    let r = router(&table, queue, now());
    for resource in ["CareTeam", "AuditEvent"] {
        let a = call(&r, search(resource, CHILD, ed("dr-1"), Some(TRACE), None)).await;
        assert_eq!(outcome(&a), (503, "transient", "SERVICE_UNAVAILABLE"));
        assert_eq!(a.headers["retry-after"], "2");
        assert_eq!(a.headers["traceid"], TRACE);
        assert!(a.body.get("total").is_none());
    }
}

#[tokio::test]
async fn other_roles_are_access_denied_and_the_refusal_is_audited() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    for caller in [la(LEEDS), Some(("operator", "X26", "op-1"))] {
        let a = call(
            &f.lookup,
            search("CareTeam", CHILD, caller, Some(TRACE), None),
        )
        .await;
        assert_eq!(outcome(&a), (403, "forbidden", "ACCESS_DENIED"));
    }
    let denied = f
        .partition(CHILD)
        .await
        .iter()
        .filter(|i| {
            i.get("outcome")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("denied_role")
        })
        .count();
    assert_eq!(denied, 2);
    // No token at all: an OperationOutcome too, not a problem document.
    let a = call(
        &f.lookup,
        search("CareTeam", CHILD, None, Some(TRACE), None),
    )
    .await;
    assert_eq!(outcome(&a).0, 401);
}

#[tokio::test]
async fn the_capability_statement_lists_exactly_the_searches_served() {
    let f = fixture(&[]).await;
    // Anyone signed in at the NHS provider, whatever their role allows; an LA's token is for
    // the LA's routes.
    let refused = call(
        &f.lookup,
        request("GET", "/FHIR/R4/metadata", la(LEEDS), None),
    )
    .await;
    assert_eq!(outcome(&refused).0, 403);
    let nhs_staff = Some(("nhs_staff", "RR801", "porter-1"));
    for caller in [ed("dr-1"), nhs_staff] {
        let a = call(&f.lookup, request("GET", "/FHIR/R4/metadata", caller, None)).await;
        assert_eq!(a.status, 200);
        is_fhir(&a);
        assert_eq!(a.body["resourceType"], "CapabilityStatement");
        let served: Vec<&str> = a.body["rest"][0]["resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        let routed: Vec<&str> = cpindex::routes::ROUTES
            .iter()
            .filter(|r| r.is_fhir() && r.path != cpindex::routes::FHIR_METADATA_PATH)
            .map(|r| r.path.trim_start_matches("/FHIR/R4/"))
            .collect();
        assert_eq!(served, routed);
    }
    // An interaction not served is an OperationOutcome, not a problem document.
    let a = call(
        &f.lookup,
        request("GET", "/FHIR/R4/Patient", ed("dr-1"), None),
    )
    .await;
    assert_eq!(outcome(&a).0, 404);
}

#[tokio::test]
async fn both_searches_take_the_lookups_round_trips() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    let recorder = IoRecorder::default();
    let (dynamo, sqs): (_, SqsClient) = recorder.clients(&emulator_url());
    let table = Table::new(dynamo, f.table.name());
    let r = integration_tests::started_lookup(
        table,
        SqsQueue::new(sqs, f.queue_url.clone()),
        FixedClock::at(now()),
    )
    .await;
    // As the JSON lookup: one round trip for a child with no plan; for one with a plan, the
    // hand-off to fan-out and the pending mark in a second.
    for (resource, nhs) in [
        ("CareTeam", CHILD),
        ("AuditEvent", CHILD),
        ("CareTeam", NOBODY),
        ("AuditEvent", NOBODY),
    ] {
        recorder.take();
        let a = call(&r, search(resource, nhs, ed("dr-1"), Some(TRACE), None)).await;
        assert_eq!(a.status, 200);
        let spans = recorder.take();
        let mut ops: Vec<_> = spans.iter().map(|s| s.operation.as_str()).collect();
        ops.sort();
        let (want, depth) = if nhs == CHILD {
            (
                vec![
                    "PutItem",
                    "PutItem",
                    "Query",
                    "Query",
                    "SendMessage",
                    "UpdateItem",
                ],
                2,
            )
        } else {
            (vec!["PutItem", "Query", "Query", "UpdateItem"], 1)
        };
        assert_eq!(ops, want);
        assert_eq!(critical_path(&spans), depth, "{spans:?}");
    }
}
