//! The HTTP client for the cpindex API, and what its failures mean for a person at a terminal:
//! every failure is one line, never a stack trace or a debug dump.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use cpindex::routes::{self, RouteDef};

use crate::model::Problem;
use crate::text::clean;

/// Where the local stack (`make dev`) listens.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:3000";
/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for an answer (a 1,000-record batch takes a few seconds).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// One route the CLI calls: the API's own route table entry (method, path template, roles).
/// Messages name the template, never a path holding an NHS number.
pub type Route = &'static RouteDef;

pub const PLAN_BATCHES: Route = &routes::POST_PLAN_BATCH;
pub const PLAN: Route = &routes::GET_PLAN;
pub const CHILD: Route = &routes::GET_CHILD;
pub const MISSED_APPOINTMENT: Route = &routes::POST_MISSED_APPOINTMENT;
pub const CHILD_SEARCH: Route = &routes::POST_CHILD_SEARCH;
pub const NOTIFICATIONS: Route = &routes::LIST_NOTIFICATIONS;
pub const NOTIFICATION_ACK: Route = &routes::ACK_NOTIFICATION;
pub const RECONCILIATION_RUNS: Route = &routes::POST_RECONCILIATION_RUN;
pub const DEAD_LETTERS: Route = &routes::GET_DEAD_LETTERS;
pub const DEAD_LETTERS_REDRIVE: Route = &routes::POST_DEAD_LETTERS_REDRIVE;
pub const WITHDRAW_PLAN: Route = &routes::DELETE_PLAN;
pub const PLAN_ACCESSES: Route = &routes::GET_PLAN_ACCESSES;
pub const CHILD_ACCESSES: Route = &routes::GET_CHILD_ACCESSES;
pub const FHIR_CARE_TEAM: Route = &routes::FHIR_CARE_TEAM;
pub const RECONCILIATION_REPORT: Route = &routes::GET_RECONCILIATION_REPORT;
pub const PROFILE: Route = &routes::GET_PROFILE;
pub const PUT_PROFILE: Route = &routes::PUT_PROFILE;
pub const PROFILES: Route = &routes::LIST_PROFILES;
pub const PROFILE_HISTORY: Route = &routes::GET_PROFILE_HISTORY;
pub const INDICATORS: Route = &routes::GET_INDICATORS;

/// The role a token needs for `route` (for the "no token" hint): the first the route allows.
pub fn role_for(route: Route) -> &'static str {
    route.roles.first().map_or("", |r| r.as_str())
}

/// The path segments of `route` with its `{placeholders}` filled from `params`, in order.
pub fn segments(route: Route, params: &[&str]) -> Vec<String> {
    let mut params = params.iter();
    route
        .path
        .trim_start_matches('/')
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                params.next().map(|p| (*p).to_owned()).unwrap_or_default()
            } else {
                seg.to_owned()
            }
        })
        .collect()
}

/// Why a call did not give an answer the command can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No token was given; `role` is what the route needs.
    NoToken { role: &'static str },
    /// `--api-url` is not an http(s) URL.
    BadUrl(String),
    /// Nothing answered at the API's address.
    Unreachable {
        base: String,
        local: bool,
        why: String,
    },
    /// The API did not answer in time.
    TimedOut { base: String, secs: u64 },
    /// 401: the token is missing, expired or not signed by the API's issuer.
    TokenRefused(Refusal),
    /// 403: the token's role may not use this route.
    Forbidden(Refusal),
    /// The API answered with a problem.
    Problem { status: u16, problem: Box<Problem> },
    /// The API answered an error without a problem body.
    Unexpected {
        route: Route,
        status: u16,
        text: Option<String>,
    },
    /// The API answered success, but not in the shape expected.
    BadAnswer { route: Route, why: String },
}

impl ApiError {
    /// 2 for what the user must fix before anything can work (usage, address, token), 1 for an
    /// answer that says the request did not succeed.
    pub fn exit_code(&self) -> u8 {
        if self.is_fatal() {
            2
        } else {
            1
        }
    }

    /// Whether further calls are pointless (the next batch would fail the same way).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::NoToken { .. }
                | Self::BadUrl(_)
                | Self::Unreachable { .. }
                | Self::TimedOut { .. }
                | Self::TokenRefused(_)
                | Self::Forbidden(_)
        )
    }

    /// Whether the same request may succeed a moment later.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::TimedOut { .. } => true,
            Self::Problem { status, .. } | Self::Unexpected { status, .. } => {
                matches!(status, 429 | 502 | 503 | 504)
            }
            _ => false,
        }
    }

    /// Seconds the API asked us to wait before retrying.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Problem { problem, .. } => problem.retry_after,
            _ => None,
        }
    }

    /// The problem's stable code, or a made-up code for other failures (for reports).
    pub fn code(&self) -> String {
        match self {
            Self::Problem { problem, status } => problem
                .code
                .clone()
                .unwrap_or_else(|| format!("http_{status}")),
            Self::Unexpected { status, .. } => {
                format!("http_{status}")
            }
            Self::TimedOut { .. } => "timed_out".into(),
            Self::Unreachable { .. } => "unreachable".into(),
            Self::TokenRefused(_) => "unauthenticated".into(),
            Self::Forbidden(_) => "forbidden_role".into(),
            Self::NoToken { .. } => "no_token".into(),
            Self::BadUrl(_) => "bad_url".into(),
            Self::BadAnswer { .. } => "bad_answer".into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoToken { role } => {
                let org = match *role {
                    "local_authority" => "E08000035",
                    "operator" => "X26",
                    _ => "RR801",
                };
                write!(
                    f,
                    "no token: pass --token or set CPINDEX_TOKEN (for the local stack: \
                     export CPINDEX_TOKEN=$(cpindex token --role {role} --org {org}))"
                )
            }
            Self::BadUrl(url) => write!(
                f,
                "--api-url `{}` is not an http:// or https:// address",
                clean(url)
            ),
            Self::Unreachable { base, local, why } => {
                if *local {
                    write!(f, "cannot reach {base} — is 'make dev' running?")
                } else {
                    write!(f, "cannot reach {base}: {why}")
                }
            }
            Self::TimedOut { base, secs } => {
                write!(f, "{base} did not answer within {secs} s; try again later")
            }
            Self::TokenRefused(r) => write!(f, "the API refused the token {r}"),
            Self::Forbidden(r) => write!(f, "the API does not let this token's role do that {r}"),
            Self::Problem { problem, status } => f.write_str(&problem_line(*status, problem)),
            Self::Unexpected {
                route,
                status,
                text,
            } => {
                write!(
                    f,
                    "the API answered {status} to {} {}",
                    route.method, route.path
                )?;
                if let Some(text) = text {
                    write!(f, ": {text}")?;
                }
                if *status == 404 || *status == 405 {
                    write!(f, " (is --api-url the address of the cpindex API?)")?;
                }
                Ok(())
            }
            Self::BadAnswer { route, why } => write!(
                f,
                "the API's answer to {} {} is not what this CLI understands: {why}",
                route.method, route.path
            ),
        }
    }
}

impl std::error::Error for ApiError {}

/// A problem as one line: `code: detail (field)`, with what else it says.
pub fn problem_line(status: u16, p: &Problem) -> String {
    let mut line = p
        .code
        .as_deref()
        .map(clean)
        .unwrap_or_else(|| format!("HTTP {status}"));
    match (&p.detail, &p.title) {
        (Some(detail), _) => line.push_str(&format!(": {}", clean(detail))),
        (None, Some(title)) => line.push_str(&format!(": {}", clean(title))),
        (None, None) => {}
    }
    if let Some(field) = &p.field {
        line.push_str(&format!(" ({})", clean(field)));
    }
    if let Some(v) = p.current_version {
        line.push_str(&format!(" [version held: {v}]"));
    }
    if let Some(s) = p.retry_after {
        line.push_str(&format!(" — retry in {s} s"));
    }
    line
}

/// Reads a problem body, when the answer is one (or at least JSON with a `code`).
pub fn parse_problem(content_type: &str, body: &[u8]) -> Option<Problem> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let is_json = essence.eq_ignore_ascii_case("application/problem+json")
        || essence.eq_ignore_ascii_case("application/json");
    if !is_json {
        return None;
    }
    let p: Problem = serde_json::from_slice(body).ok()?;
    (p.code.is_some() || essence.eq_ignore_ascii_case("application/problem+json")).then_some(p)
}

/// A 401 or 403 in words: `401 unauthenticated` and the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status and, when the API gave one, the problem code.
    pub head: String,
    pub detail: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({})", self.head)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// What a failed answer means. Pure, so every case is unit tested.
pub fn failure(route: Route, status: u16, content_type: &str, body: &[u8]) -> ApiError {
    let problem = parse_problem(content_type, body);
    // API Gateway's own answers: `{"message": "Unauthorized"}`.
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(clean));
    let refusal = || Refusal {
        head: match problem.as_ref().and_then(|p| p.code.as_deref()) {
            Some(code) => format!("{status} {}", clean(code)),
            None => status.to_string(),
        },
        detail: problem
            .as_ref()
            .and_then(|p| p.detail.as_deref().or(p.title.as_deref()))
            .map(clean)
            .or_else(|| message.clone()),
    };
    match status {
        401 => ApiError::TokenRefused(refusal()),
        403 => ApiError::Forbidden(refusal()),
        404 | 405 => {
            let about_the_resource =
                status == 404 && problem.as_ref().is_some_and(|p| p.detail.is_some());
            match about_the_resource {
                true => ApiError::Problem {
                    status,
                    problem: Box::new(problem.unwrap_or_default()),
                },
                false => ApiError::Unexpected {
                    route,
                    status,
                    text: problem.and_then(|p| p.code).map(|c| clean(&c)),
                },
            }
        }
        _ => match problem {
            Some(problem) => ApiError::Problem {
                status,
                problem: Box::new(problem),
            },
            None => ApiError::Unexpected {
                route,
                status,
                text: message,
            },
        },
    }
}

/// Decodes a successful answer.
pub fn decode<T: DeserializeOwned>(route: Route, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadAnswer {
        route,
        // Position only: serde's message could quote a fragment of the body.
        why: format!("line {}, column {}", e.line(), e.column()),
    })
}

/// True for addresses on this machine (where `make dev` runs).
fn is_local(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A client for one API address and token.
#[derive(Clone)]
pub struct Api {
    base: Url,
    token: Option<String>,
    http: reqwest::Client,
}

impl Api {
    /// `token` may carry a `Bearer ` prefix and surrounding whitespace (as pasted).
    pub fn new(base: &str, token: Option<&str>) -> Result<Self, ApiError> {
        let url = Url::parse(base.trim()).map_err(|_| ApiError::BadUrl(base.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(ApiError::BadUrl(base.to_owned()));
        }
        let token = token
            .map(|t| {
                let t = t.trim();
                t.strip_prefix("Bearer ").unwrap_or(t).trim().to_owned()
            })
            .filter(|t| !t.is_empty());
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("cpindex-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Unreachable {
                base: base.to_owned(),
                local: false,
                why: format!("the HTTP client could not start: {}", innermost(&e)),
            })?;
        Ok(Self {
            base: url,
            token,
            http,
        })
    }

    /// The address as given (without a trailing `/`), for messages.
    pub fn base(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// True when a token would travel unencrypted to another machine.
    pub fn sends_token_in_clear(&self) -> bool {
        self.token.is_some() && self.base.scheme() == "http" && !is_local(&self.base)
    }

    /// The URL of `segments` (each percent-encoded) under the base, with `query`.
    pub fn url<S: AsRef<str>>(&self, segments: &[S], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    /// Sends one request to `route` (its placeholders filled from `params`) and returns the
    /// body of a 2xx answer.
    pub async fn call(
        &self,
        route: Route,
        params: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Vec<u8>, ApiError> {
        self.call_accepting(route, params, query, body, "application/json")
            .await
    }

    /// As [`Api::call`], asking for the answer as `accept` (`text/csv` where a route offers it).
    pub async fn call_accepting(
        &self,
        route: Route,
        params: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        accept: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let token = self.token.as_deref().ok_or(ApiError::NoToken {
            role: role_for(route),
        })?;
        let method = Method::from_bytes(route.method.as_bytes()).unwrap_or(Method::GET);
        let mut request = self
            .http
            .request(method, self.url(&segments(route, params), query))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, accept);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default());
        }
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        if (200..300).contains(&status) {
            return Ok(bytes.to_vec());
        }
        let mut err = failure(route, status, &content_type, &bytes);
        if let ApiError::Problem { problem, .. } = &mut err {
            problem.retry_after = problem.retry_after.or(retry_after);
        }
        Err(err)
    }

    /// Sends one request and decodes the answer.
    /// A FHIR search as an ED system sends it (`Accept: application/fhir+json`, a fresh
    /// `TraceID`): the Bundle's bytes, or the OperationOutcome's national code and diagnostics
    /// as a refusal like any other.
    pub async fn call_fhir(
        &self,
        route: Route,
        query: &[(&str, String)],
    ) -> Result<Vec<u8>, ApiError> {
        let token = self.token.as_deref().ok_or(ApiError::NoToken {
            role: role_for(route),
        })?;
        let response = self
            .http
            .get(self.url(&segments(route, &[]), query))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, cpindex::fhir::FHIR_JSON)
            .header("TraceID", uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        if (200..300).contains(&status) {
            return Ok(bytes.to_vec());
        }
        let outcome: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let issue = &outcome["issue"][0];
        let problem = serde_json::json!({
            "status": status,
            "code": issue["details"]["coding"][0]["code"],
            "detail": issue["diagnostics"],
        });
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        Err(failure(
            route,
            status,
            cpindex::problem::PROBLEM_JSON,
            &body,
        ))
    }

    pub async fn call_json<T: DeserializeOwned>(
        &self,
        route: Route,
        params: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let bytes = self.call(route, params, query, body).await?;
        decode(route, &bytes)
    }

    fn transport(&self, e: &reqwest::Error) -> ApiError {
        let base = self.base();
        if e.is_timeout() {
            return ApiError::TimedOut {
                base,
                secs: REQUEST_TIMEOUT.as_secs(),
            };
        }
        ApiError::Unreachable {
            base,
            local: is_local(&self.base),
            why: innermost(e),
        }
    }
}

/// The innermost cause of an error, as one line (the useful part: "Connection refused").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    clean(&cause.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBLEM: &str = "application/problem+json";

    #[test]
    fn a_refused_token_is_one_line_with_code_and_detail() {
        let body = br#"{"type":"urn:cpindex:problem:unauthenticated","title":"The request carries no verified identity","status":401,"code":"unauthenticated","detail":"a valid bearer token is required"}"#;
        let e = failure(CHILD, 401, PROBLEM, body);
        assert_eq!(
            e.to_string(),
            "the API refused the token (401 unauthenticated): a valid bearer token is required"
        );
        assert_eq!(e.exit_code(), 2);
        // API Gateway's own 401.
        let e = failure(
            CHILD,
            401,
            "application/json",
            br#"{"message":"Unauthorized"}"#,
        );
        assert_eq!(
            e.to_string(),
            "the API refused the token (401): Unauthorized"
        );
        let e = failure(CHILD, 401, "text/plain", b"");
        assert_eq!(e.to_string(), "the API refused the token (401)");
    }

    #[test]
    fn a_forbidden_role_names_the_code() {
        let body = br#"{"code":"forbidden_role","status":403,"detail":"only local authorities upload plans"}"#;
        let e = failure(PLAN_BATCHES, 403, PROBLEM, body);
        assert_eq!(
            e.to_string(),
            "the API does not let this token's role do that (403 forbidden_role): only local authorities upload plans"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn problems_read_code_detail_field() {
        let body = br#"{"code":"invalid_nhs_number","status":400,"title":"Not a valid NHS number","detail":"the check digit does not match","field":"/nhsNumber"}"#;
        let e = failure(CHILD, 400, PROBLEM, body);
        assert_eq!(
            e.to_string(),
            "invalid_nhs_number: the check digit does not match (/nhsNumber)"
        );
        assert_eq!(e.exit_code(), 1);
        let body = br#"{"code":"store_unavailable","status":503,"detail":"the index could not be reached; this is not a 'no record' answer","retryAfter":2}"#;
        let e = failure(CHILD, 503, PROBLEM, body);
        assert_eq!(
            e.to_string(),
            "store_unavailable: the index could not be reached; this is not a 'no record' answer — retry in 2 s"
        );
        assert!(e.is_transient());
        assert_eq!(e.retry_after(), Some(2));
        let body = br#"{"code":"stale_version","status":409,"currentVersion":7}"#;
        assert_eq!(
            failure(PLAN, 409, PROBLEM, body).to_string(),
            "stale_version [version held: 7]"
        );
    }

    #[test]
    fn a_404_without_detail_is_a_wrong_address_not_a_missing_resource() {
        let bare = br#"{"type":"urn:cpindex:problem:not_found","title":"No such resource","status":404,"code":"not_found"}"#;
        let e = failure(NOTIFICATIONS, 404, PROBLEM, bare);
        assert_eq!(
            e.to_string(),
            "the API answered 404 to GET /v1/notifications: not_found (is --api-url the address of the cpindex API?)"
        );
        assert_eq!(e.exit_code(), 1);
        // API Gateway's own 404 for an unknown route.
        let e = failure(
            DEAD_LETTERS_REDRIVE,
            404,
            "application/json",
            br#"{"message":"Not Found"}"#,
        );
        assert!(matches!(e, ApiError::Unexpected { status: 404, .. }));
        // A 404 about the resource (it has a detail) is the API's answer.
        let body = br#"{"code":"not_found","status":404,"detail":"no such notification"}"#;
        assert_eq!(
            failure(NOTIFICATION_ACK, 404, PROBLEM, body).to_string(),
            "not_found: no such notification"
        );
    }

    #[test]
    fn every_cli_route_is_a_route_the_api_serves_and_fills_its_placeholders() {
        for r in [
            PLAN_BATCHES,
            PLAN,
            CHILD,
            NOTIFICATIONS,
            NOTIFICATION_ACK,
            RECONCILIATION_RUNS,
            DEAD_LETTERS,
            DEAD_LETTERS_REDRIVE,
        ] {
            assert!(routes::ROUTES.contains(r), "{} {}", r.method, r.path);
            assert!(!role_for(r).is_empty());
        }
        assert_eq!(
            segments(NOTIFICATION_ACK, &["n-1"]),
            ["v1", "notifications", "n-1", "ack"]
        );
        assert_eq!(
            segments(CHILD, &["9434765919"]),
            ["v1", "children", "9434765919"]
        );
        assert_eq!(segments(DEAD_LETTERS, &[]), ["v1", "dead-letters"]);
    }

    #[test]
    fn a_404_from_a_core_route_suggests_the_address_is_wrong() {
        let e = failure(CHILD, 404, "text/html", b"<html>nope</html>");
        assert_eq!(
            e.to_string(),
            "the API answered 404 to GET /v1/children/{nhsNumber} (is --api-url the address of the cpindex API?)"
        );
    }

    #[test]
    fn server_text_cannot_smuggle_lines_or_escapes_into_the_terminal() {
        let body = "{\"code\":\"internal\",\"detail\":\"a\\nb\\u001b[31mred\"}";
        let e = failure(CHILD, 500, PROBLEM, body.as_bytes());
        let line = e.to_string();
        assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line:?}");
    }

    #[test]
    fn unreachable_local_api_suggests_make_dev() {
        let e = ApiError::Unreachable {
            base: "http://127.0.0.1:3000".into(),
            local: true,
            why: "Connection refused (os error 111)".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach http://127.0.0.1:3000 — is 'make dev' running?"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn urls_encode_segments_and_keep_a_base_path() {
        let api = Api::new("https://api.example.org/prod/", Some("Bearer abc \n")).unwrap();
        assert_eq!(
            api.url(&["v1", "notifications", "a/b c", "ack"], &[])
                .as_str(),
            "https://api.example.org/prod/v1/notifications/a%2Fb%20c/ack"
        );
        let api = Api::new("http://127.0.0.1:3000", None).unwrap();
        assert_eq!(
            api.url(
                &["v1", "notifications"],
                &[
                    ("status", "unacknowledged".into()),
                    ("cursor", "a+b=".into())
                ]
            )
            .as_str(),
            "http://127.0.0.1:3000/v1/notifications?status=unacknowledged&cursor=a%2Bb%3D"
        );
        assert!(!api.sends_token_in_clear());
        assert!(Api::new("http://10.0.0.1", Some("t"))
            .unwrap()
            .sends_token_in_clear());
        assert!(matches!(
            Api::new("ftp://x", None),
            Err(ApiError::BadUrl(_))
        ));
        assert!(matches!(
            Api::new("not a url", None),
            Err(ApiError::BadUrl(_))
        ));
    }
}
