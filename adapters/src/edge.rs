//! The HTTP edge shared by every HTTP function: verified claims from the API Gateway request
//! context, problem-details responses, and JSON bodies read with limits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use axum::Router;
use lambda_http::request::RequestContext;

use cpindex::claims::{Claims, ClaimsError, Provider};
use cpindex::problem::{ErrorCode, Problem, PROBLEM_JSON};
use cpindex::routes::RouteDef;

/// Largest JSON body accepted (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A problem turned into an HTTP response (boxed: problems are large and errors are rare).
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl<T: Into<Problem>> From<T> for ApiError {
    fn from(p: T) -> Self {
        ApiError(Box::new(p.into()))
    }
}

/// The one place a store failure becomes an answer: 503 with `Retry-After` when retrying can
/// help (never "no record"), 500 otherwise. The SDK's details go to the log, never the caller.
impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_transient() {
            tracing::warn!(error = %cpindex::log::chain(&e), "store unavailable");
            Problem::store_unavailable()
        } else {
            tracing::error!(error = %cpindex::log::chain(&e), "store error");
            Problem::new(ErrorCode::Internal)
        }
    }
}

impl ApiError {
    pub fn code(code: ErrorCode) -> Self {
        ApiError(Box::new(Problem::new(code)))
    }
}

/// Writes a problem-details response (with `Retry-After` when the problem names one).
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut resp = (status, body).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(s) = problem.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}

/// The verified caller: set by the route guard ([`serve`]) once the route's roles allow it, or
/// read from the authorizer's claims in the request context. Functions still refuse a request
/// without them (401), whatever sits in front.
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

/// The shape of an issuer's tokens: what a caller may do is read from them this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenClaims {
    /// This service's own `role` and `org` claims (LA directories, brokers that issue them).
    Roles,
    /// NHS CIS2's RBAC roles and activity codes (`cpindex::cis2`).
    Cis2,
}

impl TokenClaims {
    /// `cis2` or `roles`, as the template's `NhsTokenClaims` gives it.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "cis2" => Some(Self::Cis2),
            "roles" => Some(Self::Roles),
            _ => None,
        }
    }
}

/// Who vouches for a caller's claims: one identity provider's issuer and audience, as the API's
/// JWT authorizer for its routes is configured (`JWT_ISSUER` and `JWT_AUDIENCE` for LA and
/// service staff, `NHS_JWT_ISSUER` and `NHS_JWT_AUDIENCE` for NHS staff), and the shape of its
/// tokens. Claims another issuer signed, or meant for another audience (a direct invocation,
/// a second API put in front of the function), are refused 401 before the route's guard or any
/// handler runs, so they can never put a forged user into the audit trail; so is a role the
/// issuer does not vouch for (an LA directory's token claiming `unscheduled_care`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    pub provider: Provider,
    pub issuer: String,
    /// The accepted audiences, comma separated (as the template's audience parameters give them).
    pub audience: String,
    pub claims: TokenClaims,
}

/// Every issuer a function trusts: the providers of the roles its routes serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuers(pub Vec<TrustedIssuer>);

impl TrustedIssuers {
    /// The configured issuers of the providers `function`'s routes serve (each required).
    pub fn from_env(
        function: cpindex::routes::FunctionDef,
    ) -> Result<Self, cpindex::config::ConfigError> {
        use cpindex::config::{env, required, ConfigError};
        let mut trusted = Vec::new();
        for provider in Provider::ALL {
            if !cpindex::routes::routes_of(function).any(|r| r.provider() == provider) {
                continue;
            }
            trusted.push(match provider {
                Provider::Staff => TrustedIssuer {
                    provider,
                    issuer: required(env::JWT_ISSUER)?,
                    audience: required(env::JWT_AUDIENCE)?,
                    claims: TokenClaims::Roles,
                },
                Provider::Nhs => {
                    let raw = required(env::NHS_TOKEN_CLAIMS)?;
                    TrustedIssuer {
                        provider,
                        issuer: required(env::NHS_JWT_ISSUER)?,
                        audience: required(env::NHS_JWT_AUDIENCE)?,
                        claims: TokenClaims::parse(&raw).ok_or(ConfigError::Invalid {
                            name: env::NHS_TOKEN_CLAIMS,
                            reason: format!("`{raw}` is neither `cis2` nor `roles`"),
                        })?,
                    }
                }
            });
        }
        Ok(Self(trusted))
    }

    /// The caller `claims` (the authorizer's, as strings) and the request's `headers` describe,
    /// if an issuer here vouches for them and for the role they give.
    fn caller(
        &self,
        claims: &std::collections::HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Result<Claims, Untrusted> {
        let mut vouching = self.0.iter().filter(|t| t.vouches_for(claims)).peekable();
        if vouching.peek().is_none() {
            return Err(Untrusted::Issuer);
        }
        let mut last = Untrusted::Issuer;
        for t in vouching {
            let read = match t.claims {
                TokenClaims::Roles => Claims::from_lookup(|k| claims.get(k).map(String::as_str)),
                TokenClaims::Cis2 => cpindex::cis2::claims(
                    &cis2_payload(claims, headers),
                    headers
                        .get(cpindex::cis2::SESSION_URID_HEADER)
                        .and_then(|v| v.to_str().ok()),
                ),
            };
            match read {
                Ok(c) if c.role.provider() == t.provider => return Ok(c),
                Ok(c) => last = Untrusted::Role(c.role, t.provider),
                Err(e) => last = Untrusted::Claims(e),
            }
        }
        Err(last)
    }
}

/// Why verified claims were not accepted: always 401.
#[derive(Debug, thiserror::Error)]
enum Untrusted {
    #[error("the request's claims were not issued for this API by an issuer it trusts")]
    Issuer,
    #[error("the issuer for {1:?} staff does not vouch for the role `{0}`")]
    Role(cpindex::Role, Provider),
    #[error(transparent)]
    Claims(ClaimsError),
}

/// A CIS2 token's claims as JSON. API Gateway passes each claim as a string (a list as a
/// string too), so the nested RBAC roles are read from the claim when it holds their JSON, and
/// otherwise from the bearer token API Gateway verified: only when that token's `iss`, `sub`
/// and `exp` are the verified claims'.
fn cis2_payload(
    claims: &std::collections::HashMap<String, String>,
    headers: &HeaderMap,
) -> serde_json::Value {
    use cpindex::cis2::cis2_claims::{ORG_MEMBERSHIPS, ROLES};
    let mut out = serde_json::Map::new();
    for (k, v) in claims {
        let nested = (k == ROLES || k == ORG_MEMBERSHIPS)
            .then(|| serde_json::from_str::<serde_json::Value>(v).ok())
            .flatten()
            .filter(|j| j.is_array());
        out.insert(
            k.clone(),
            nested.unwrap_or_else(|| serde_json::Value::String(v.clone())),
        );
    }
    if out.get(ROLES).is_some_and(|r| r.is_array()) {
        return serde_json::Value::Object(out);
    }
    let Some(token) = bearer_payload(headers) else {
        return serde_json::Value::Object(out);
    };
    let same = |name: &str| {
        let theirs = match token.get(name) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => None,
        };
        theirs.is_some() && theirs.as_ref() == claims.get(name)
    };
    if ["iss", "sub", "exp"].into_iter().all(same) {
        for k in [ROLES, ORG_MEMBERSHIPS] {
            if let Some(v) = token.get(k) {
                out.insert(k.to_owned(), v.clone());
            }
        }
    }
    serde_json::Value::Object(out)
}

/// The payload of the request's bearer token, decoded (its signature is the authorizer's to
/// check, and [`cis2_payload`] only reads it when it matches the verified claims).
fn bearer_payload(headers: &HeaderMap) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl TrustedIssuer {
    /// Whether `claims` were issued by this issuer for this audience. API Gateway passes a list
    /// claim as `[a b]` and a single value as itself.
    fn vouches_for(&self, claims: &std::collections::HashMap<String, String>) -> bool {
        let accepted: Vec<&str> = self
            .audience
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        let audience_ok = claims.get("aud").is_some_and(|raw| {
            raw.trim_matches(|c| c == '[' || c == ']')
                .split([' ', ','])
                .map(|a| a.trim_matches('"'))
                .any(|a| accepted.contains(&a))
        });
        claims.get("iss") == Some(&self.issuer) && audience_ok
    }
}

/// `router` with every request checked against `trusted` (see [`TrustedIssuer`]) before anything
/// else runs: the child key check, the route's guard, the handler. The caller read here is the
/// one every guard and handler sees.
pub fn trusting(router: Router, trusted: TrustedIssuers) -> Router {
    let trusted = Arc::new(trusted);
    router.layer(axum::middleware::from_fn(
        move |mut req: axum::extract::Request, next: axum::middleware::Next| {
            // Claims absent are the route guard's 401.
            let checked = claims_of(req.extensions()).map(|c| trusted.caller(c, req.headers()));
            async move {
                match checked {
                    None => {}
                    Some(Ok(caller)) => {
                        req.extensions_mut().insert(Caller(caller));
                    }
                    Some(Err(why)) => {
                        tracing::warn!(
                            event = "untrusted_claims", reason = %why,
                            "claims not issued for this API by an issuer it trusts refused"
                        );
                        return ApiError::from(
                            Problem::new(ErrorCode::Unauthenticated).detail(why.to_string()),
                        )
                        .into_response();
                    }
                }
                next.run(req).await
            }
        },
    ))
}

/// The authorizer's claims in the request context, if any.
fn claims_of(extensions: &Extensions) -> Option<&std::collections::HashMap<String, String>> {
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
}

fn verified_claims(extensions: &Extensions) -> Result<Claims, ApiError> {
    let claims = claims_of(extensions);
    let Some(claims) = claims else {
        return Err(ApiError::from(
            Problem::new(ErrorCode::Unauthenticated)
                .detail("the request carries no verified claims"),
        ));
    };
    Claims::from_lookup(|k| claims.get(k).map(String::as_str))
        .map_err(|e: ClaimsError| ApiError::from(e))
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        verified_claims(&parts.extensions).map(Caller)
    }
}

type DenialFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a function records, beyond the audit log line, when the guard refuses a role (the
/// lookup writes the refused attempt into the child's audit trail). Added as an `Extension`.
#[derive(Clone)]
pub struct DenialAudit(Arc<dyn Fn(Claims, Parts) -> DenialFuture + Send + Sync>);

impl DenialAudit {
    /// `record(claims, request)` runs before the 403 is answered (the request's parts carry the
    /// matched path parameters, so `Path` extracts from them).
    pub fn new<F, Fut>(record: F) -> Self
    where
        F: Fn(Claims, Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self(Arc::new(move |c, p| Box::pin(record(c, p))))
    }
}

/// Adds one route of the table to `router`. The route's declared roles are enforced here, before
/// the handler runs, the same way for every route: 401 without verified claims; 403
/// `forbidden_role` for any other role, with an audit log line (and the function's own
/// [`DenialAudit`], when it has one). Handlers never check roles themselves.
pub fn serve<H, T, S>(router: Router<S>, def: &'static RouteDef, handler: H) -> Router<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    let method = Method::from_bytes(def.method.as_bytes()).expect("route methods are HTTP methods");
    let filter = MethodFilter::try_from(method).expect("route methods are routable");
    let guarded = axum::routing::on(filter, handler).route_layer(axum::middleware::from_fn(
        move |req: Request, next: Next| guard(def, req, next),
    ));
    router.route(def.path, guarded)
}

async fn guard(def: &'static RouteDef, mut req: Request, next: Next) -> Response {
    // The caller the trusted issuers read (`trusting`), else the claims as they stand.
    let claims = match req.extensions().get::<Caller>() {
        Some(Caller(c)) => Ok(c.clone()),
        None => verified_claims(req.extensions()),
    };
    let claims = match claims {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(forbidden) = claims.require(def.roles) {
        tracing::warn!(
            audit = true, method = def.method, route = def.path, org = %claims.org,
            role = %claims.role, "access denied: role not allowed on this route"
        );
        if let Some(DenialAudit(record)) = req.extensions().get::<DenialAudit>().cloned() {
            record(claims, req.into_parts().0).await;
        }
        return ApiError::from(forbidden).into_response();
    }
    req.extensions_mut().insert(Caller(claims));
    next.run(req).await
}

/// Refuses a body whose media type is not `wanted` (parameters such as `charset` aside): 415.
pub fn require_media_type(headers: &HeaderMap, wanted: &str) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case(wanted) {
        return Err(Problem::new(ErrorCode::UnsupportedMediaType)
            .detail(format!(
                "the body must be {wanted}; got content type `{content_type}`"
            ))
            .into());
    }
    Ok(())
}

/// Parses a JSON body: `application/json` only, at most [`MAX_BODY_BYTES`], well formed.
pub fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<serde_json::Value, ApiError> {
    require_media_type(headers, "application/json")?;
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::new(ErrorCode::BodyTooLarge)
            .detail(format!(
                "the body is {} bytes; the limit is {MAX_BODY_BYTES}",
                body.len()
            ))
            .into());
    }
    serde_json::from_slice(body).map_err(|e| {
        // Position only: serde's message could echo a fragment of the body (personal data).
        Problem::new(ErrorCode::MalformedJson)
            .detail(format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
            .into()
    })
}

/// Turns any error answer that is not already a problem (a framework's own rejection: a path
/// that does not decode, a body over a built-in limit, a query the extractor refused) into
/// problem details with a stable code, so a client never has to parse two error formats. The
/// outermost layer of every HTTP function's router, and of the local stack's.
pub async fn problems_only(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    // Our own error documents pass: problem details, and FHIR OperationOutcomes.
    let is_ours = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON) || ct.starts_with(cpindex::fhir::FHIR_JSON));
    if !(status.is_client_error() || status.is_server_error()) || is_ours {
        return resp;
    }
    let code = match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::ForbiddenRole,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::SERVICE_UNAVAILABLE => return problem_response(&Problem::store_unavailable()),
        s if s.is_client_error() => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    };
    // The framework's text is not shown: it can quote the request (a path, a query value).
    tracing::info!(status = status.as_u16(), code = %code, "framework rejection answered as a problem");
    problem_response(&Problem::new(code))
}

/// Headers every API answer carries, error or not: answers name children, so no proxy or
/// browser may keep them (`no-store`), and none may be read as another media type. A header a
/// route set itself (the web app's pages) is left alone.
pub async fn api_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    resp
}

/// A function's routes as Lambda serves them: problem-details 404s, every other rejection as a
/// problem, and the headers every API answer carries. (The local stack adds the same layers
/// once around every function's routes.)
pub fn lambda_router(routes: Router) -> Router {
    routes
        .fallback(not_found)
        .layer(axum::middleware::from_fn(problems_only))
        .layer(axum::middleware::from_fn(api_headers))
}

/// Points to the next page of a listing, when there is one: `Link: <path?cursor=…>; rel="next"`
/// (RFC 8288). The body stays what it was (a JSON array); a client follows the link to the end.
pub fn link_next(resp: &mut Response, path: &str, cursor: Option<String>) {
    link_next_keeping(resp, path, cursor, &[]);
}

/// As [`link_next`], the next page's link also carrying `keep` (query parameters the route
/// requires on every page, such as an audit read's purpose).
pub fn link_next_keeping(
    resp: &mut Response,
    path: &str,
    cursor: Option<String>,
    keep: &[(&str, &str)],
) {
    if let Some(c) = cursor {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("cursor", &c);
        for (name, value) in keep {
            query.append_pair(name, value);
        }
        let link = format!("<{path}?{}>; rel=\"next\"", query.finish());
        if let Ok(v) = HeaderValue::from_str(&link) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
}

/// 404 for routes that do not exist (problem details, like every other error).
pub async fn not_found() -> ApiError {
    ApiError::code(ErrorCode::NotFound)
}

/// 405 for known paths with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::code(ErrorCode::MethodNotAllowed)
}

#[cfg(test)]
mod cis2_payload_tests {
    use super::*;
    use base64::Engine;
    use std::collections::HashMap;

    fn bearer(payload: serde_json::Value) -> HeaderMap {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let token = format!(
            "{}.{}.sig",
            b64(br#"{"alg":"ES256"}"#),
            b64(payload.to_string().as_bytes())
        );
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        h
    }

    fn verified(sub: &str) -> HashMap<String, String> {
        HashMap::from([
            ("iss".into(), "https://cis2.example".into()),
            ("sub".into(), sub.into()),
            ("exp".into(), "1900000000".into()),
            // As API Gateway may flatten a list of objects: not JSON.
            ("nhsid_nrbac_roles".into(), "[map[org_code:RR801]]".into()),
        ])
    }

    #[test]
    fn nested_roles_come_from_the_claim_as_json_else_from_the_matching_verified_token_only() {
        let roles = serde_json::json!([{"person_roleid": "1", "org_code": "RR801", "activity_codes": ["B0107"]}]);
        // The claim holds the roles' JSON: read from it, whatever the bearer says.
        let mut as_json = verified("u-1");
        as_json.insert("nhsid_nrbac_roles".into(), roles.to_string());
        let read = cis2_payload(&as_json, &HeaderMap::new());
        assert_eq!(read["nhsid_nrbac_roles"], roles);
        // Flattened: the bearer token API Gateway verified, when it is the same token.
        let token = serde_json::json!({"iss": "https://cis2.example", "sub": "u-1", "exp": 1900000000, "nhsid_nrbac_roles": roles});
        let read = cis2_payload(&verified("u-1"), &bearer(token.clone()));
        assert_eq!(read["nhsid_nrbac_roles"], roles);
        // Another token (another subject, issuer or expiry): its roles are never read.
        for (k, v) in [
            ("sub", serde_json::json!("u-2")),
            ("iss", serde_json::json!("https://other.example")),
            ("exp", serde_json::json!(1900000001)),
        ] {
            let mut other = token.clone();
            other[k] = v;
            let read = cis2_payload(&verified("u-1"), &bearer(other));
            assert!(!read["nhsid_nrbac_roles"].is_array(), "{k}: {read}");
        }
        // No bearer at all: the flattened claim stays unreadable, so the caller is refused.
        assert!(!cis2_payload(&verified("u-1"), &HeaderMap::new())["nhsid_nrbac_roles"].is_array());
    }
}
