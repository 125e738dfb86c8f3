//! The route table, walked through the local stack's router (the same function routers Lambda
//! serves), so a route added to the table is checked here too:
//! - roles are declared once and enforced by that declaration: every route answers 403
//!   `forbidden_role` exactly for the roles its entry does not list, and 401 without a token;
//! - every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`;
//! - every rejection, whoever makes it (a handler or the framework), is problem details with a
//!   stable code: wrong method, unknown route, a path that does not decode, a bad query, a body
//!   of the wrong media type or over the limit.
//!
//! Needs the emulator (`EMULATOR_URL`): allowed roles reach their handlers, which read the store.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use cpindex::routes::{RouteDef, ROUTES};
use cpindex::{OrgCode, Retention, Role};
use http_body_util::BodyExt;
use integration_tests::emulator_url;
use local_stack::auth::LocalAuth;
use local_stack::{bootstrap_resources, router, LocalSettings};
use serde_json::Value;
use tower::ServiceExt;

/// A concrete path for a route: each placeholder filled with a value of the right shape.
fn concrete(route: &RouteDef) -> String {
    route
        .path
        .split('/')
        .map(|seg| match seg {
            "{nhsNumber}" => "9434765919",
            "{planRef}" => "CP-ROLES-1",
            "{notificationId}" => "0123456789abcdef0123456789abcdef",
            "{org}" => "E08000035",
            s if s.starts_with('{') => panic!("no sample value for {s} in {}", route.path),
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn call(app: &axum::Router, route: &RouteDef, token: Option<&str>) -> (StatusCode, Value) {
    let body = if matches!(route.method, "PUT" | "POST") {
        Body::from("{}")
    } else {
        Body::empty()
    };
    let (status, _, body) = send(
        app,
        route.method,
        &concrete(route),
        token,
        "application/json",
        body,
    )
    .await;
    (status, body)
}

/// Sends one request; returns the status, the content type and the body as JSON (or null).
async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: Body,
) -> (StatusCode, String, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .expect("the router answers");
    let status = resp.status();
    // Every answer names (or could name) a child: never cached, never sniffed. Checked on every
    // request this file sends: each route, with each role, and every kind of rejection.
    for (name, want) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        assert_eq!(
            resp.headers().get(&name).and_then(|v| v.to_str().ok()),
            Some(want),
            "{method} {uri}: {status} without {name}: {want}"
        );
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let mut body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let failed = status.is_client_error() || status.is_server_error();
    if failed && uri.starts_with(cpindex::fhir::BASE) {
        // A FHIR route answers every rejection as an OperationOutcome with a national code;
        // read it back as the problem code it stands for, so each check below applies to both.
        assert_eq!(
            content_type,
            cpindex::fhir::FHIR_JSON,
            "{method} {uri}: {status}"
        );
        assert_eq!(
            body["resourceType"], "OperationOutcome",
            "{method} {uri}: {body}"
        );
        let national = body["issue"][0]["details"]["coding"][0]["code"].as_str();
        let problem = match (national, status.as_u16()) {
            (Some("UNAUTHORIZED"), _) => "unauthenticated",
            (Some("ACCESS_DENIED"), _) => "forbidden_role",
            (Some("NOT_IMPLEMENTED"), 405) => "method_not_allowed",
            (Some("NOT_IMPLEMENTED"), _) => "not_found",
            (Some("INVALID_SEARCH_DATA" | "PRECONDITION_FAILED"), _) => "bad_request",
            (Some("SERVICE_UNAVAILABLE"), _) => "store_unavailable",
            (Some("INTERNAL_SERVER_ERROR"), _) => "internal",
            _ => panic!("{method} {uri}: no national code: {body}"),
        };
        body["code"] = Value::from(problem);
    } else if failed {
        assert_eq!(
            content_type, "application/problem+json",
            "{method} {uri}: {status}"
        );
        assert!(body["code"].is_string(), "{method} {uri}: {body}");
    }
    (status, content_type, body)
}

async fn local_stack() -> (axum::Router, LocalAuth, std::path::PathBuf) {
    let state = integration_tests::local_state_dir("routes");
    let settings = LocalSettings {
        port: 0,
        emulator_url: emulator_url(),
        state_dir: state.clone(),
    };
    let stack = bootstrap_resources(&settings)
        .await
        .unwrap_or_else(|e| panic!("is the emulator running at {}? {e}", emulator_url()));
    let auth = LocalAuth::load_or_create(&state).expect("local secret");
    (
        router(
            stack,
            auth.clone(),
            Retention::default(),
            "http://127.0.0.1:3000",
        ),
        auth,
        state,
    )
}

#[tokio::test]
async fn every_route_refuses_exactly_the_roles_its_table_entry_does_not_list() {
    let (app, auth, state) = local_stack().await;
    let org = OrgCode::parse("E08000035").unwrap();
    let mut checked = 0;
    for route in ROUTES {
        let (status, body) = call(&app, route, None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{} {}",
            route.method,
            route.path
        );
        assert_eq!(body["code"], "unauthenticated");
        for role in Role::ALL {
            let token = auth.mint(role, &org, "roles-test", Some("Roles test"), 1);
            let (status, body) = call(&app, route, Some(&token)).await;
            if route.roles.contains(&role) {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{role} is allowed on {} {} but was refused: {body}",
                    route.method,
                    route.path
                );
            } else if role.provider() != route.provider() {
                // Its token comes from the other provider's issuer, which the route's
                // authorizer does not trust.
                assert_eq!(
                    (status, body["code"].as_str()),
                    (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
                    "{role}'s issuer is not trusted on {} {}: {body}",
                    route.method,
                    route.path
                );
            } else {
                assert_eq!(
                    (status, body["code"].as_str()),
                    (StatusCode::FORBIDDEN, Some("forbidden_role")),
                    "{role} is not allowed on {} {}: {body}",
                    route.method,
                    route.path
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * Role::ALL.len());
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn every_rejection_on_every_route_is_a_problem_with_a_stable_code() {
    let (app, auth, state) = local_stack().await;
    let org = OrgCode::parse("E08000035").unwrap();
    let methods = ["GET", "PUT", "POST", "DELETE", "PATCH"];
    for route in ROUTES {
        let token = auth.mint(route.roles[0], &org, "routes-test", None, 1);
        let t = Some(token.as_str());
        let path = concrete(route);
        let json = "application/json";
        // A method the path does not serve.
        for m in methods {
            if ROUTES.iter().any(|r| r.path == route.path && r.method == m) {
                continue;
            }
            let (status, _, body) = send(&app, m, &path, t, json, Body::empty()).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")),
                "{m} {path}"
            );
        }
        // A path segment that is not UTF-8 once decoded (only routes with a parameter).
        if route.path.contains('{') {
            let bad = path
                .rsplit_once('/')
                .map(|(head, _)| format!("{head}/%FF%FE"))
                .unwrap();
            let bad = if route.path.ends_with('}') {
                bad
            } else {
                format!(
                    "{}/%FF{}",
                    path.rsplit_once('/').unwrap().0.rsplit_once('/').unwrap().0,
                    &route.path[route.path.rfind('/').unwrap()..]
                )
            };
            let (status, _, body) = send(&app, route.method, &bad, t, json, Body::from("{}")).await;
            assert!(status.is_client_error(), "{} {bad}: {status}", route.method);
            assert!(body["code"].is_string(), "{} {bad}: {body}", route.method);
        }
        // A query the route does not take.
        let (status, _, body) = send(
            &app,
            route.method,
            &format!("{path}?limit=1&limit=2&zzz=%FF"),
            t,
            json,
            Body::from("{}"),
        )
        .await;
        if status.is_client_error() {
            assert!(
                body["code"].is_string(),
                "{} {path}?…: {body}",
                route.method
            );
        }
        if route.takes_json() {
            // The wrong media type.
            let (status, _, body) =
                send(&app, route.method, &path, t, "text/plain", Body::from("{}")).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Some("unsupported_media_type")
                ),
                "{} {path}",
                route.method
            );
            // A body over every limit (ours is 1 MiB; the framework's default is 2 MiB).
            let big = Body::from(vec![b' '; 3 * 1024 * 1024]);
            let (status, _, body) = send(&app, route.method, &path, t, json, big).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")),
                "{} {path}",
                route.method
            );
            // Not JSON at all.
            let (status, _, body) =
                send(&app, route.method, &path, t, json, Body::from("{\"a\":")).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{} {path}: {body}",
                route.method
            );
        }
        if route.takes_csv() {
            let csv = "text/csv";
            for (content_type, body, want, code) in [
                (
                    "application/json",
                    Body::from("a,b\n"),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                ),
                (
                    csv,
                    Body::from(vec![b'a'; 3 * 1024 * 1024]),
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                ),
                (
                    csv,
                    Body::from("not,an,extract\n1,2,3\n"),
                    StatusCode::BAD_REQUEST,
                    "invalid_csv",
                ),
                (
                    csv,
                    Body::from(vec![0xff, 0xfe, b'\n']),
                    StatusCode::BAD_REQUEST,
                    "invalid_csv",
                ),
                (csv, Body::empty(), StatusCode::BAD_REQUEST, "invalid_csv"),
            ] {
                let (status, _, body) =
                    send(&app, route.method, &path, t, content_type, body).await;
                assert_eq!(
                    (status, body["code"].as_str()),
                    (want, Some(code)),
                    "{} {path} ({content_type}): {body}",
                    route.method
                );
            }
        }
    }
    // An unknown route, with and without a token.
    for t in [None, Some(auth.mint(Role::Operator, &org, "u", None, 1))] {
        let (status, _, body) = send(
            &app,
            "GET",
            "/v1/nothing-here",
            t.as_deref(),
            "application/json",
            Body::empty(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    }
    let _ = std::fs::remove_dir_all(state);
}
