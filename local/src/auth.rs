//! The local stand-in for API Gateway's JWT authorizer: tokens (from `local-token`) verified on
//! every request, their claims passed to the functions in the same request context API Gateway
//! builds.

use std::collections::HashMap;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;

pub use local_token::{AuthError, LocalAuth, LOCAL_AUDIENCE, LOCAL_ISSUER};

/// The request context API Gateway (HTTP API, payload 2.0) builds for a request whose JWT
/// carried `claims`; `None` for an unauthenticated request.
pub fn gateway_context(
    method: &str,
    path: &str,
    claims: Option<HashMap<String, String>>,
) -> RequestContext {
    let mut ctx = serde_json::json!({
        "routeKey": "$default",
        "accountId": "000000000000",
        "stage": "$default",
        "requestId": uuid::Uuid::new_v4().to_string(),
        "timeEpoch": chrono::Utc::now().timestamp_millis(),
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "local"}
    });
    if let Some(claims) = claims {
        ctx["authorizer"] = serde_json::json!({"jwt": {"claims": claims, "scopes": null}});
    }
    let ctx: ApiGatewayV2httpRequestContext =
        serde_json::from_value(ctx).expect("the context shape is fixed");
    RequestContext::ApiGatewayV2(ctx)
}
