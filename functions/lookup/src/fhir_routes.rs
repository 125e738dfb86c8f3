//! The FHIR R4 routes: the national searches over the same lookup as `/v1/children/...`, and
//! the capability statement. Every answer is `application/fhir+json`; every error an
//! `OperationOutcome` with the national code (`cpindex::fhir::FhirError`).

use std::sync::Arc;

use adapters::edge::Caller;
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use cpindex::access::AccessOutcome;
use cpindex::answers::ChildView;
use cpindex::fhir::{self, FhirError, FlagCode, RequestIds, SearchError};
use cpindex::Role;
use serde_json::Value;

use crate::{look_up_traced, App};

/// Seconds a caller should wait before retrying a 503 (as the JSON API says).
const RETRY_AFTER_S: u32 = 2;

/// Which search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    CareTeam,
    AuditEvent,
    /// NHS England's Patient Flags search.
    Flag,
}

/// A FHIR answer: the media type, never cached, the caller's trace id echoed.
pub fn fhir_response(status: StatusCode, body: &Value, trace: Option<&uuid::Uuid>) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = (status, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(fhir::FHIR_JSON),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(t) = trace.and_then(|t| HeaderValue::from_str(&t.to_string()).ok()) {
        h.insert(fhir::TRACE_ID_HEADER, t);
    }
    resp
}

/// An error answer.
pub fn outcome(error: FhirError, diagnostics: &str, trace: Option<&uuid::Uuid>) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = fhir_response(status, &fhir::operation_outcome(error, diagnostics), trace);
    if error == FhirError::Unavailable {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
    }
    resp
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What one search asked, once its headers and parameters are checked.
struct Checked {
    ids: RequestIds,
    unscheduled: bool,
    nhs: cpindex::NhsNumber,
    code: FlagCode,
}

fn check(
    headers: &HeaderMap,
    query: Option<&str>,
    kind: Search,
    trace: &Result<uuid::Uuid, SearchError>,
) -> Result<Checked, SearchError> {
    // The CP-IS searches require their TraceID; the Patient Flags search the API platform's
    // X-Request-ID.
    let ids = RequestIds::read(
        header(headers, fhir::REQUEST_ID_HEADER),
        header(headers, fhir::CORRELATION_ID_HEADER),
        kind == Search::Flag,
    )?;
    if kind != Search::Flag {
        trace.clone()?;
    }
    let unscheduled = fhir::unscheduled(header(headers, fhir::UNSCHEDULED_HEADER))?;
    let pairs = fhir::query_pairs(query);
    let (nhs, code) = match kind {
        Search::Flag => {
            let s = fhir::flag_search_of(&pairs)?;
            (s.nhs, s.code)
        }
        Search::CareTeam | Search::AuditEvent => (fhir::nhs_number_of(&pairs)?, FlagCode::Cpis),
    };
    Ok(Checked {
        ids,
        unscheduled,
        nhs,
        code,
    })
}

/// Runs one search: headers and parameters checked first (nothing is recorded for a refused
/// request), then the lookup, then the view.
pub async fn search(
    app: &App,
    keys: &cpindex::ActiveKeys,
    claims: &cpindex::Claims,
    headers: &HeaderMap,
    query: Option<&str>,
    kind: Search,
) -> Response {
    let trace = fhir::trace_id(header(headers, fhir::TRACE_ID_HEADER));
    let echoed = trace.as_ref().ok();
    let c = match check(headers, query, kind, &trace) {
        Ok(c) => c,
        Err(e) => {
            // The national code only: an NHS number error's text quotes ranges of numbers.
            let code = e.fhir_error().coding().0;
            tracing::info!(org = %claims.org, role = %claims.role, code, "FHIR search refused");
            return outcome(e.fhir_error(), &e.to_string(), echoed);
        }
    };
    // Another flag's code asks nothing of this index: no flags, and nothing read or recorded.
    if c.code == FlagCode::Other {
        let none = ChildView::new(uuid::Uuid::new_v4().to_string(), c.nhs, vec![], vec![]);
        let body = crate::fhir::flag_bundle(&none, FlagCode::Other, app.clock.now());
        return fhir_response(StatusCode::OK, &body, echoed);
    }
    // Scheduled care is always silent (by role); an unscheduled-care caller may declare a read
    // not an unscheduled access event, as the national API allows.
    let access = if !c.unscheduled && claims.role == Role::UnscheduledCare {
        AccessOutcome::SilentRead
    } else {
        AccessOutcome::Allowed
    };
    let request_id = c.ids.request_id;
    match look_up_traced(app, keys, claims, c.nhs, access, c.ids).await {
        Ok(view) => {
            let now = app.clock.now();
            let body = match kind {
                Search::CareTeam => crate::fhir::care_team_bundle(&view, now),
                Search::AuditEvent => crate::fhir::audit_event_bundle(&view, now),
                Search::Flag => crate::fhir::flag_bundle(&view, c.code, now),
            };
            tracing::info!(trace_id = ?echoed, request_id = ?request_id, access_id = %view.access_id, search = ?kind, "FHIR search answered");
            fhir_response(StatusCode::OK, &body, echoed)
        }
        Err(crate::NotAnswered::Unavailable) => outcome(
            FhirError::Unavailable,
            "the index could not be reached; this is not a 'no record' answer: retry",
            echoed,
        ),
        Err(crate::NotAnswered::OverCap { retry_after }) => {
            let mut resp = outcome(
                FhirError::TooManyRequests,
                "this user has looked up more children this hour than the service allows one user",
                echoed,
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            resp
        }
    }
}

/// The handler of one search: `search` for the kind the route serves.
macro_rules! search_route {
    ($name:ident, $kind:expr) => {
        pub async fn $name(
            State(app): State<Arc<App>>,
            Extension(keys): Extension<cpindex::ActiveKeys>,
            caller: Caller,
            headers: HeaderMap,
            RawQuery(query): RawQuery,
        ) -> Response {
            search(&app, &keys, &caller.0, &headers, query.as_deref(), $kind).await
        }
    };
}

search_route!(care_team, Search::CareTeam);
search_route!(audit_event, Search::AuditEvent);
search_route!(flag, Search::Flag);

pub async fn metadata(headers: HeaderMap) -> Response {
    let trace = fhir::trace_id(header(&headers, fhir::TRACE_ID_HEADER)).ok();
    fhir_response(
        StatusCode::OK,
        &crate::fhir::capability_statement(),
        trace.as_ref(),
    )
}

/// The NHS number a refused FHIR search asked about (for the refusal's audit record), as the
/// CP-IS searches or the Patient Flags search name it.
pub fn searched_nhs_number(query: Option<&str>) -> Result<cpindex::NhsNumber, SearchError> {
    let pairs = fhir::query_pairs(query);
    fhir::nhs_number_of(&pairs).or_else(|_| fhir::flag_search_of(&pairs).map(|s| s.nhs))
}

/// The API platform's ids a FHIR answer echoes: `X-Request-ID` when it is a UUID,
/// `X-Correlation-ID` when it is one this service would keep.
fn echo_ids(request: &HeaderMap, response: &mut HeaderMap) {
    for name in [fhir::REQUEST_ID_HEADER, fhir::CORRELATION_ID_HEADER] {
        let Some(value) = request.get(name) else {
            continue;
        };
        let raw = value.to_str().ok();
        let ok = if name == fhir::REQUEST_ID_HEADER {
            RequestIds::read(raw, None, true).is_ok()
        } else {
            RequestIds::read(None, raw, false).is_ok()
        };
        if ok {
            response.insert(name, value.clone());
        }
    }
}

/// Under the FHIR base, every problem-details answer (a refused role, a missing token, an
/// unknown route, a rejection) becomes an `OperationOutcome` with the national code for its
/// status; the status and `Retry-After` are kept.
pub async fn outcomes_only(req: Request, next: Next) -> Response {
    let fhir_path = req.uri().path().starts_with(fhir::BASE);
    let trace = fhir::trace_id(header(req.headers(), fhir::TRACE_ID_HEADER)).ok();
    let asked = fhir_path.then(|| req.headers().clone());
    let mut resp = next.run(req).await;
    if let Some(asked) = &asked {
        echo_ids(asked, resp.headers_mut());
    }
    let problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(cpindex::problem::PROBLEM_JSON));
    if !fhir_path || !problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let problem: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let diagnostics = problem["detail"]
        .as_str()
        .or(problem["title"].as_str())
        .unwrap_or("the request could not be served");
    let mut out = outcome(
        FhirError::for_status(parts.status.as_u16()),
        diagnostics,
        trace.as_ref(),
    );
    *out.status_mut() = parts.status;
    if let Some(asked) = &asked {
        echo_ids(asked, out.headers_mut());
    }
    if let Some(retry) = parts.headers.get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}
