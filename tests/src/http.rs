//! Driving a router in-process the way API Gateway would: the verified claims ride in the
//! request context, exactly where `lambda_http` puts them in Lambda.

use axum::body::Body;
use axum::Router;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use serde_json::{json, Value};
use tower::ServiceExt;

/// The issuer and audience the tests' claims carry, as the API's JWT authorizer passes them:
/// the sample events' (LA and service staff's issuer; NHS staff's claims carry
/// [`crate::artefacts::SAMPLE_NHS_ISSUER`]).
pub const TEST_ISSUER: &str = crate::artefacts::SAMPLE_ISSUER;
pub const TEST_AUDIENCE: &str = crate::artefacts::SAMPLE_AUDIENCE;

/// The request context API Gateway builds for a request whose JWT carried these claims (from
/// the issuer of the role's provider).
pub fn context(method: &str, path: &str, claims: Option<(&str, &str, &str)>) -> RequestContext {
    let mut ctx = json!({
        "routeKey": "$default",
        "accountId": "000000000000",
        "stage": "$default",
        "requestId": uuid::Uuid::new_v4().to_string(),
        "timeEpoch": 0,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"}
    });
    if let Some((role, org, user)) = claims {
        // An unknown role (a test of refusals) comes from the staff issuer.
        let iss = cpindex::Role::parse(role).map_or(TEST_ISSUER, crate::artefacts::sample_issuer);
        ctx["authorizer"] = json!({"jwt": {"claims": {"role": role, "org": org, "sub": user,
                "iss": iss, "aud": TEST_AUDIENCE}, "scopes": null}});
    }
    let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).expect("valid context");
    RequestContext::ApiGatewayV2(ctx)
}

/// A caller: (role, organisation code, user id).
pub type As<'a> = Option<(&'a str, &'a str, &'a str)>;

/// A local authority caller.
pub fn la(org: &str) -> As<'_> {
    Some(("local_authority", org, "sw-1"))
}

/// Builds a request with a JSON body (or raw bytes with a given content type).
pub fn request(method: &str, uri: &str, caller: As<'_>, body: Option<&Value>) -> Request<Body> {
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    raw_request(method, uri, caller, "application/json", bytes)
}

pub fn raw_request(
    method: &str,
    uri: &str,
    caller: As<'_>,
    content_type: &str,
    body: Vec<u8>,
) -> Request<Body> {
    let path = uri.split('?').next().unwrap_or(uri);
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    req.extensions_mut().insert(context(method, path, caller));
    req
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The problem code of an error answer (asserting it is problem+json).
    pub fn problem_code(&self) -> &str {
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{self:?}"
        );
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// Sends one request through the router.
pub async fn call(router: &Router, req: Request<Body>) -> Answer {
    let resp = router
        .clone()
        .oneshot(req)
        .await
        .expect("router is infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    if headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(cpindex::fhir::FHIR_JSON))
    {
        keep_fhir(&bytes);
    }
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// When `CPINDEX_FHIR_OUT` is set (`make test` sets it), every FHIR answer any test receives is
/// written there, one file each, for scripts/fhir-validate.py to check with an independent FHIR
/// R4 implementation.
pub fn keep_fhir(bytes: &[u8]) {
    let Ok(dir) = std::env::var("CPINDEX_FHIR_OUT") else {
        return;
    };
    let _ = std::fs::create_dir_all(&dir);
    let path = std::path::Path::new(&dir).join(format!("{}.json", uuid::Uuid::new_v4().simple()));
    let _ = std::fs::write(path, bytes);
}
