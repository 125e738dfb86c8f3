//! The functions check who vouches for the claims (issue 31.5): claims another issuer signed,
//! or meant for another audience (a direct invocation, a second API in front of a function),
//! are refused 401 before any handler runs, and write nothing, so a forged user never reaches
//! the audit trail. Over HTTP through each function's router as its main wires it.

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use integration_tests::fixtures::{CHILD, ED, LEEDS};
use integration_tests::http::{call, la, request, TEST_AUDIENCE, TEST_ISSUER};
use integration_tests::Emulator;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{json, Value};

/// As the template passes `JwtAudience`: the accepted audiences, comma separated.
fn trusted() -> adapters::edge::TrustedIssuer {
    adapters::edge::TrustedIssuer {
        issuer: TEST_ISSUER.into(),
        audience: format!("web-app, {TEST_AUDIENCE}"),
    }
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

/// Issuers that are not the trusted one, generated (near misses included).
fn other_issuers() -> Vec<String> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let gen = "https://[a-z.]{1,16}/?".prop_filter("not ours", |s| s != TEST_ISSUER);
    let mut out: Vec<String> = (0..10)
        .map(|_| gen.new_tree(&mut runner).unwrap().current())
        .collect();
    out.extend([
        TEST_ISSUER.trim_end_matches('/').to_owned(),
        TEST_ISSUER.to_uppercase(),
        format!("{TEST_ISSUER} "),
        String::new(),
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

    let mut forged: Vec<(Option<String>, Option<String>)> = other_issuers()
        .into_iter()
        .map(|iss| (Some(iss), Some(TEST_AUDIENCE.to_owned())))
        .collect();
    forged.extend([
        (None, Some(TEST_AUDIENCE.to_owned())),
        (Some(TEST_ISSUER.to_owned()), None),
        (Some(TEST_ISSUER.to_owned()), Some("another-api".into())),
        (
            Some(TEST_ISSUER.to_owned()),
            Some("[another-api other]".into()),
        ),
        (
            Some(TEST_ISSUER.to_owned()),
            Some(format!("{TEST_AUDIENCE}x")),
        ),
    ]);
    for (iss, aud) in &forged {
        for (router, req) in [(&lookup, look()), (&upsert, put())] {
            let a = call(router, with_claims(req, iss.as_deref(), aud.as_deref())).await;
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
    let web = with_claims(look(), Some(TEST_ISSUER), Some("web-app"));
    assert_eq!(call(&lookup, web).await.status, 200);
    let listed = with_claims(
        look(),
        Some(TEST_ISSUER),
        Some(&format!("[another-api {TEST_AUDIENCE}]")),
    );
    let a = call(&lookup, listed).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["hasPlan"], true);
}
