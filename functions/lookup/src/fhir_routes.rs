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
use cpindex::fhir::{self, FhirError, SearchError};
use cpindex::Role;
use serde_json::Value;

use crate::{look_up, App};

/// Seconds a caller should wait before retrying a 503 (as the JSON API says).
const RETRY_AFTER_S: u32 = 2;

/// Which search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    CareTeam,
    AuditEvent,
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
    let checked = trace.clone().and_then(|trace| {
        let unscheduled = fhir::unscheduled(header(headers, fhir::UNSCHEDULED_HEADER))?;
        let nhs = searched_nhs_number(query)?;
        Ok((trace, unscheduled, nhs))
    });
    let (trace, unscheduled, nhs) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            // The national code only: an NHS number error's text quotes ranges of numbers.
            let code = e.fhir_error().coding().0;
            tracing::info!(org = %claims.org, role = %claims.role, code, "FHIR search refused");
            return outcome(e.fhir_error(), &e.to_string(), trace.ok().as_ref());
        }
    };
    // Scheduled care is always silent (by role); an unscheduled-care caller may declare a read
    // not an unscheduled access event, as the national API allows.
    let access = if !unscheduled && claims.role == Role::UnscheduledCare {
        AccessOutcome::SilentRead
    } else {
        AccessOutcome::Allowed
    };
    match look_up(app, keys, claims, nhs, access).await {
        Ok(view) => {
            let now = app.clock.now();
            let body = match kind {
                Search::CareTeam => crate::fhir::care_team_bundle(&view, now),
                Search::AuditEvent => crate::fhir::audit_event_bundle(&view, now),
            };
            tracing::info!(trace_id = %trace, access_id = %view.access_id, search = ?kind, "FHIR search answered");
            fhir_response(StatusCode::OK, &body, Some(&trace))
        }
        Err(crate::NotAnswered::Unavailable) => outcome(
            FhirError::Unavailable,
            "the index could not be reached; this is not a 'no record' answer: retry",
            Some(&trace),
        ),
        Err(crate::NotAnswered::OverCap { retry_after }) => {
            let mut resp = outcome(
                FhirError::TooManyRequests,
                "this user has looked up more children this hour than the service allows one user",
                Some(&trace),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            resp
        }
    }
}

pub async fn care_team(
    State(app): State<Arc<App>>,
    Extension(keys): Extension<cpindex::ActiveKeys>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    search(
        &app,
        &keys,
        &caller.0,
        &headers,
        query.as_deref(),
        Search::CareTeam,
    )
    .await
}

pub async fn audit_event(
    State(app): State<Arc<App>>,
    Extension(keys): Extension<cpindex::ActiveKeys>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    search(
        &app,
        &keys,
        &caller.0,
        &headers,
        query.as_deref(),
        Search::AuditEvent,
    )
    .await
}

pub async fn metadata(headers: HeaderMap) -> Response {
    let trace = fhir::trace_id(header(&headers, fhir::TRACE_ID_HEADER)).ok();
    fhir_response(
        StatusCode::OK,
        &crate::fhir::capability_statement(),
        trace.as_ref(),
    )
}

/// The NHS number a refused FHIR search asked about (for the refusal's audit record).
pub fn searched_nhs_number(query: Option<&str>) -> Result<cpindex::NhsNumber, SearchError> {
    fhir::nhs_number_of(&fhir::query_pairs(query))
}

/// Under the FHIR base, every problem-details answer (a refused role, a missing token, an
/// unknown route, a rejection) becomes an `OperationOutcome` with the national code for its
/// status; the status and `Retry-After` are kept.
pub async fn outcomes_only(req: Request, next: Next) -> Response {
    let fhir_path = req.uri().path().starts_with(fhir::BASE);
    let trace = fhir::trace_id(header(req.headers(), fhir::TRACE_ID_HEADER)).ok();
    let resp = next.run(req).await;
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
    if let Some(retry) = parts.headers.get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}
