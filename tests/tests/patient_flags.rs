//! NHS England's Patient Flags search (`Flag?patient=&code=`) against the emulator: the same
//! lookup as the CP-IS searches (audit, visit, alert hand-off), one CP-IS flag per plan with its
//! care plan and care team, the API platform's request ids echoed and kept with the access.
//! Every answer is also validated by the independent FHIR R4 implementation in `make test`.

mod fhir_world;

use cpindex::fhir::flags;
use fhir_world::*;
use integration_tests::fixtures::{CAMDEN, CHILD, LEEDS, NOBODY};
use integration_tests::http::{call, request, Answer, As};
use serde_json::Value;

const REQUEST_ID: &str = "60c4d3ec-4b8c-4a2b-9a47-1e2f4d5b6c7a";

/// A Patient Flags search as an API platform client sends it.
fn flag_search(
    query: &str,
    caller: As<'_>,
    request_id: Option<&str>,
    correlation_id: Option<&str>,
) -> http::Request<axum::body::Body> {
    let mut req = request("GET", &format!("/FHIR/R4/Flag?{query}"), caller, None);
    if let Some(id) = request_id {
        req.headers_mut()
            .insert("X-Request-ID", id.parse().unwrap());
    }
    if let Some(id) = correlation_id {
        req.headers_mut()
            .insert("X-Correlation-ID", id.parse().unwrap());
    }
    req
}

fn echoed(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The accesses recorded in the child's partition.
async fn accesses(f: &Fixture, nhs: &str) -> Vec<Value> {
    f.partition(nhs)
        .await
        .into_iter()
        .filter(|i| i["entity"].as_s().map(String::as_str) == Ok("access"))
        .map(|i| serde_dynamo::from_item::<_, Value>(i).unwrap())
        .collect()
}

#[tokio::test]
async fn a_child_on_two_las_plans_has_two_flags_each_with_its_plan_and_team() {
    let f = fixture(&[
        (LEEDS, plan("L-1", "LAC", Some("0113 222 4403"))),
        (CAMDEN, plan("C-7", "CPP", None)),
    ])
    .await;
    let system = flags::FLAG_CATEGORY_SYSTEM;
    let token = format!("{}|{CHILD}", cpindex::fhir::NHS_NUMBER_SYSTEM);
    let mut searches = Vec::new();
    for code in flags::CPIS_CODES {
        searches.push(format!("patient={CHILD}&code={code}"));
        searches.push(format!("patient={token}&code={system}%7C{code}"));
    }
    for (n, query) in searches.iter().enumerate() {
        let a = call(
            &f.lookup,
            flag_search(query, ed(&format!("dr-{n}")), Some(REQUEST_ID), None),
        )
        .await;
        assert_eq!(a.status, 200, "{query}: {a:?}");
        is_fhir(&a);
        assert_eq!(a.body["type"], "searchset");
        assert_eq!(a.body["total"], 2, "{query}");
        let found = matches(&a.body, "Flag");
        let mut las = Vec::new();
        for flag in &found {
            assert_eq!(flag["code"]["coding"][0]["code"], flags::CPIS_CODE);
            let care_plan = included(
                &a.body,
                flag["extension"][0]["valueReference"]["reference"]
                    .as_str()
                    .unwrap(),
            );
            let team = included(
                &a.body,
                care_plan["careTeam"][0]["reference"].as_str().unwrap(),
            );
            let la = team["managingOrganization"][0]["identifier"]["value"]
                .as_str()
                .unwrap();
            assert_eq!(
                flag["contained"][0]["agent"][0]["who"]["identifier"]["value"],
                la
            );
            // The LA's vetted emergency duty number, as the flag's care team carries it.
            let vetted = integration_tests::fixtures::profile(la)
                .emergency_duty_phone
                .unwrap();
            let mobile: Vec<&Value> = team["telecom"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["use"] == "mobile")
                .collect();
            assert_eq!(mobile.len(), 1);
            assert_eq!(mobile[0]["value"], vetted.as_str());
            las.push(la.to_owned());
        }
        las.sort();
        let mut want = vec![LEEDS.to_owned(), CAMDEN.to_owned()];
        want.sort();
        assert_eq!(las, want, "both LAs, each on its own flag");
    }
    // Each search was a lookup: a visit and an alert hand-off apiece.
    let visits = f
        .partition(CHILD)
        .await
        .iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("VISIT#"))
        .count();
    assert_eq!(visits, searches.len());
    assert_eq!(f.queued().await, searches.len());
}

#[tokio::test]
async fn without_a_code_the_flags_come_alone_and_another_flag_finds_nothing() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    let a = call(
        &f.lookup,
        flag_search(
            &format!("patient={CHILD}"),
            ed("dr-1"),
            Some(REQUEST_ID),
            None,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["total"], 1);
    assert_eq!(
        a.body["entry"].as_array().unwrap().len(),
        1,
        "the flag alone"
    );
    assert_eq!(accesses(&f, CHILD).await.len(), 1, "still a lookup");

    for other in [
        "national-reasonable-adjustment-flag",
        "female-genital-mutilation-flag",
    ] {
        let a = call(
            &f.lookup,
            flag_search(
                &format!("patient={CHILD}&code={other}"),
                ed("dr-2"),
                Some(REQUEST_ID),
                None,
            ),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.body["total"], 0);
        assert!(a.body.get("entry").is_none());
    }
    assert_eq!(
        accesses(&f, CHILD).await.len(),
        1,
        "another flag's search reads and records nothing here"
    );

    // No plan: an empty searchset, never a 404, and the access recorded.
    let a = call(
        &f.lookup,
        flag_search(
            &format!("patient={NOBODY}&code={}", flags::CPIS_CODE),
            ed("dr-3"),
            Some(REQUEST_ID),
            None,
        ),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), a.body["total"].as_u64()),
        (200, Some(0))
    );
    assert_eq!(accesses(&f, NOBODY).await.len(), 1);
}

#[tokio::test]
async fn request_ids_are_echoed_on_answers_and_errors_and_kept_with_the_access() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    let correlation = "ed-system-7f3a";
    let a = call(
        &f.lookup,
        flag_search(
            &format!("patient={CHILD}&code=CP-IS"),
            ed("dr-1"),
            Some(REQUEST_ID),
            Some(correlation),
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(echoed(&a, "x-request-id").as_deref(), Some(REQUEST_ID));
    assert_eq!(echoed(&a, "x-correlation-id").as_deref(), Some(correlation));
    let kept = accesses(&f, CHILD).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["requestId"], REQUEST_ID);
    assert_eq!(kept[0]["correlationId"], correlation);

    // The CP-IS searches echo and keep them too, beside their TraceID.
    let mut req = search("CareTeam", CHILD, ed("dr-2"), Some(TRACE), None);
    req.headers_mut()
        .insert("X-Request-ID", REQUEST_ID.parse().unwrap());
    req.headers_mut()
        .insert("X-Correlation-ID", correlation.parse().unwrap());
    let a = call(&f.lookup, req).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(echoed(&a, "x-request-id").as_deref(), Some(REQUEST_ID));
    assert_eq!(echoed(&a, "traceid").as_deref(), Some(TRACE));
    assert_eq!(accesses(&f, CHILD).await.len(), 2);

    // Errors echo them: a bad NHS number (400), a role the search does not serve (403), no
    // token (401), an unknown route (404).
    let errors = [
        (
            flag_search(
                "patient=9434765918",
                ed("dr-3"),
                Some(REQUEST_ID),
                Some(correlation),
            ),
            (400, "invalid", "INVALID_SEARCH_DATA"),
        ),
        (
            flag_search(
                &format!("patient={CHILD}"),
                Some(("local_authority", LEEDS, "sw-1")),
                Some(REQUEST_ID),
                Some(correlation),
            ),
            (403, "forbidden", "ACCESS_DENIED"),
        ),
        (
            flag_search(
                &format!("patient={CHILD}"),
                None,
                Some(REQUEST_ID),
                Some(correlation),
            ),
            (401, "login", "UNAUTHORIZED"),
        ),
        (
            {
                let mut r = request("GET", "/FHIR/R4/Patient/9434765919", ed("dr-4"), None);
                r.headers_mut()
                    .insert("X-Request-ID", REQUEST_ID.parse().unwrap());
                r.headers_mut()
                    .insert("X-Correlation-ID", correlation.parse().unwrap());
                r
            },
            (404, "not-supported", "NOT_IMPLEMENTED"),
        ),
    ];
    for (req, want) in errors {
        let a = call(&f.lookup, req).await;
        assert_eq!(outcome(&a), want, "{a:?}");
        assert_eq!(echoed(&a, "x-request-id").as_deref(), Some(REQUEST_ID));
        assert_eq!(echoed(&a, "x-correlation-id").as_deref(), Some(correlation));
    }
}

#[tokio::test]
async fn a_missing_or_bad_request_id_is_precondition_failed_and_records_nothing() {
    let f = fixture(&[(LEEDS, plan("L-1", "CPP", None))]).await;
    let query = format!("patient={CHILD}&code={}", flags::CPIS_CODE);
    let too_long = "c".repeat(cpindex::fhir::MAX_CORRELATION_ID + 1);
    for (request_id, correlation) in [
        (None, None),
        (Some("not-a-uuid"), None),
        (Some(REQUEST_ID), Some("has space")),
        (Some(REQUEST_ID), Some(too_long.as_str())),
    ] {
        let mut req = flag_search(&query, ed("dr-1"), request_id, None);
        if let Some(c) = correlation {
            req.headers_mut().insert(
                "X-Correlation-ID",
                http::HeaderValue::from_bytes(c.as_bytes()).unwrap(),
            );
        }
        let a = call(&f.lookup, req).await;
        assert_eq!(
            outcome(&a),
            (400, "invalid", "PRECONDITION_FAILED"),
            "{request_id:?} {correlation:?}: {a:?}"
        );
        // A bad id is never echoed back.
        if request_id != Some(REQUEST_ID) {
            assert_eq!(echoed(&a, "x-request-id"), None);
        }
    }
    assert!(accesses(&f, CHILD).await.is_empty(), "nothing recorded");
    assert_eq!(f.queued().await, 0);
}
