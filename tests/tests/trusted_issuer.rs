//! The functions check who vouches for the claims (issue 31.5): claims another issuer signed,
//! or meant for another audience (a direct invocation, a second API in front of a function),
//! are refused 401 before any handler runs, and write nothing, so a forged user never reaches
//! the audit trail. Over HTTP through each function's router as its main wires it.

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use integration_tests::artefacts::SAMPLE_NHS_ISSUER;
use integration_tests::fixtures::{CHILD, ED, LEEDS};
use integration_tests::http::{call, la, request, TEST_AUDIENCE, TEST_ISSUER};
use integration_tests::Emulator;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{json, Value};

/// Both providers' issuers, the audiences as the template passes `JwtAudience`: comma
/// separated.
fn trusted() -> adapters::edge::TrustedIssuers {
    let mut t = integration_tests::artefacts::sample_issuers();
    for issuer in &mut t.0 {
        issuer.audience = format!("web-app, {TEST_AUDIENCE}");
    }
    t
}

/// `req` with its claims' issuer and audience replaced (`None`: left out); its caller (role,
/// organisation, user) kept.
fn with_claims(mut req: Request<Body>, iss: Option<&str>, aud: Option<&str>) -> Request<Body> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.extensions().get::<RequestContext>() else {
        unreachable!("the tests' requests carry an API Gateway context")
    };
    let mut ctx: Value = serde_json::to_value(ctx).unwrap();
    let claims = ctx["authorizer"]["jwt"]["claims"].as_object_mut().unwrap();
    for (k, v) in [("iss", iss), ("aud", aud)] {
        claims.remove(k);
        if let Some(v) = v {
            claims.insert(k.into(), json!(v));
        }
    }
    let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).unwrap();
    req.extensions_mut()
        .insert(RequestContext::ApiGatewayV2(ctx));
    req
}

/// Issuers that are not `own`, generated (near misses included, and the other provider's
/// trusted issuer: trusted for its own roles only).
fn other_issuers(own: &str, other_provider: &str) -> Vec<String> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mine = own.to_owned();
    let gen = "https://[a-z.]{1,16}/?".prop_filter("not ours", move |s| *s != mine);
    let mut out: Vec<String> = (0..10)
        .map(|_| gen.new_tree(&mut runner).unwrap().current())
        .collect();
    out.extend([
        own.trim_end_matches('/').to_owned(),
        own.to_uppercase(),
        format!("{own} "),
        String::new(),
        other_provider.to_owned(),
    ]);
    out
}

#[tokio::test]
async fn claims_another_issuer_signed_or_for_another_audience_are_refused_and_write_nothing() {
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (queue, _) = emu.fresh_queue(&cpindex::keys::ALERT_FANOUT_QUEUE).await;
    let retention = cpindex::Retention::default();
    let now = chrono::Utc::now();
    let lookup: Router = adapters::edge::trusting(
        lookup::router(lookup::App::new(
            table.clone(),
            queue,
            integration_tests::child_keys(),
            retention,
            cpindex::FixedClock::at(now),
        )),
        trusted(),
    );
    let upsert: Router = adapters::edge::trusting(
        plan_upsert::router(plan_upsert::App::new(
            table.clone(),
            integration_tests::child_keys(),
            retention,
            cpindex::FixedClock::at(now),
        )),
        trusted(),
    );
    let look = || request("GET", &format!("/v1/children/{CHILD}"), ED, None);
    let plan = json!({"nhsNumber": CHILD, "planType": "CPP", "startDate": "2026-01-10", "sourceVersion": 1});
    let put = || request("PUT", "/v1/plans/L-1", la(LEEDS), Some(&plan));
    let before = emu.scan_all(&table).await.len();

    let forged = |own: &str, other: &str| {
        let mut forged: Vec<(Option<String>, Option<String>)> = other_issuers(own, other)
            .into_iter()
            .map(|iss| (Some(iss), Some(TEST_AUDIENCE.to_owned())))
            .collect();
        forged.extend([
            (None, Some(TEST_AUDIENCE.to_owned())),
            (Some(own.to_owned()), None),
            (Some(own.to_owned()), Some("another-api".into())),
            (Some(own.to_owned()), Some("[another-api other]".into())),
            (Some(own.to_owned()), Some(format!("{TEST_AUDIENCE}x"))),
        ]);
        forged
    };
    // A clinician's claims come from NHS staff's issuer, an LA's from the staff directory.
    type Case<'a> = (&'a Router, &'a str, &'a str, &'a dyn Fn() -> Request<Body>);
    let cases: [Case; 2] = [
        (&lookup, SAMPLE_NHS_ISSUER, TEST_ISSUER, &look),
        (&upsert, TEST_ISSUER, SAMPLE_NHS_ISSUER, &put),
    ];
    for (router, own, other, req) in cases {
        for (iss, aud) in forged(own, other) {
            let a = call(router, with_claims(req(), iss.as_deref(), aud.as_deref())).await;
            assert_eq!(a.status, 401, "iss {iss:?} aud {aud:?}: {a:?}");
            assert_eq!(a.problem_code(), "unauthenticated");
        }
    }
    assert_eq!(
        emu.scan_all(&table).await.len(),
        before,
        "a refused caller writes nothing: no plan, no access in the audit trail"
    );

    // The trusted issuer, with an accepted audience alone or in a list: served.
    assert_eq!(call(&upsert, put()).await.status, 201);
    let web = with_claims(look(), Some(SAMPLE_NHS_ISSUER), Some("web-app"));
    assert_eq!(call(&lookup, web).await.status, 200);
    let listed = with_claims(
        look(),
        Some(SAMPLE_NHS_ISSUER),
        Some(&format!("[another-api {TEST_AUDIENCE}]")),
    );
    let a = call(&lookup, listed).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["hasPlan"], true);
}
