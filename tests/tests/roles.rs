//! Roles are declared once, in the route table, and enforced by that declaration: every route of
//! `cpindex::routes::ROUTES`, asked by every role through the local stack's router (the same
//! function routers Lambda serves), answers 403 `forbidden_role` exactly for the roles its entry
//! does not list, and 401 without a token. A route added to the table is walked here too.
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
    let mut req = Request::builder()
        .method(route.method)
        .uri(concrete(route))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = if matches!(route.method, "PUT" | "POST") {
        Body::from("{}")
    } else {
        Body::empty()
    };
    let resp = app
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .expect("the router answers");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
        assert_eq!(content_type, "application/problem+json", "{route:?}");
    }
    (status, body)
}

#[tokio::test]
async fn every_route_refuses_exactly_the_roles_its_table_entry_does_not_list() {
    let state = std::env::temp_dir().join(format!("cpindex-roles-{}", uuid::Uuid::new_v4()));
    let settings = LocalSettings {
        port: 0,
        emulator_url: emulator_url(),
        state_dir: state.clone(),
    };
    let stack = bootstrap_resources(&settings)
        .await
        .unwrap_or_else(|e| panic!("is the emulator running at {}? {e}", emulator_url()));
    let auth = LocalAuth::load_or_create(&state).expect("local secret");
    let app = router(stack, auth.clone(), Retention::default());
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
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} is allowed on {} {} but was refused: {body}",
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
