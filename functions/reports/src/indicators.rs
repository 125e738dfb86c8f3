//! `GET /v1/indicators`: an LA's indicators (operators: any LA's, or the national totals) over
//! the last weeks, beside the national median, as JSON or (`Accept: text/csv`) CSV. Reads one
//! small partition per week and the LA list: never the table.

use std::sync::Arc;

use adapters::edge::{ApiError, Caller};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cpindex::indicators::{self, IsoWeek, Scope, DEFAULT_WEEKS, MAX_WEEKS};
use cpindex::{OrgCode, Role};
use serde::Deserialize;

use crate::{bad_query, csv_answer, wants_csv, App};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndicatorQuery {
    weeks: Option<String>,
    until: Option<String>,
    org: Option<String>,
    indicator: Option<String>,
}

/// Whose figures the caller asked for, as far as the caller may see them.
fn scope(caller: &Caller, org: Option<&str>) -> Result<Scope, ApiError> {
    let org = org
        .map(|o| OrgCode::parse(o).map_err(|_| bad_query("org", "`org` is an organisation code")))
        .transpose()?;
    match (caller.0.role, org) {
        (Role::Operator, Some(org)) => Ok(Scope::La(org)),
        (Role::Operator, None) => Ok(Scope::National),
        (_, Some(org)) if org != caller.0.org => Err(bad_query(
            "org",
            "an LA reads its own indicators (and the national median beside them) only",
        )),
        _ => Ok(Scope::La(caller.0.org.clone())),
    }
}

pub(crate) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<IndicatorQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|_| {
        bad_query(
            "query",
            "only `weeks`, `until`, `org` and `indicator` are accepted",
        )
    })?;
    let weeks = match q.weeks {
        None => DEFAULT_WEEKS,
        Some(w) => w
            .parse::<u32>()
            .ok()
            .filter(|w| (1..=MAX_WEEKS).contains(w))
            .ok_or_else(|| bad_query("weeks", "`weeks` is 1 to 52"))?,
    };
    let now = IsoWeek::of(app.clock.now());
    let until = match q.until {
        None => now,
        Some(u) => u
            .parse::<IsoWeek>()
            .map_err(|e| bad_query("until", &e.to_string()))?
            .min(now),
    };
    let only = match q.indicator {
        None => None,
        Some(k) => Some(
            indicators::indicator(&k)
                .ok_or_else(|| bad_query("indicator", "not an indicator this API publishes"))?
                .key,
        ),
    };
    let scope = scope(&caller, q.org.as_deref())?;
    let weeks = until.last(weeks);
    let (data, profiles) = tokio::join!(
        futures::future::try_join_all(weeks.iter().map(|w| app.indicators.week(*w))),
        app.profiles.profiles(),
    );
    let data: Vec<_> = data?.into_iter().flatten().collect();
    let las: Vec<OrgCode> = profiles?.into_iter().map(|p| p.org).collect();
    let mut report = indicators::publish(&scope, &weeks, &las, &data);
    if let Some(k) = only {
        report.indicators.retain(|s| s.key == k);
    }
    if !wants_csv(&headers) {
        return Ok(Json(report).into_response());
    }
    let name = format!(
        "indicators-{}-{}{}.csv",
        report.scope,
        until,
        only.map(|k| format!("-{k}")).unwrap_or_default()
    );
    Ok(csv_answer(indicators::to_csv(&report, None), &name))
}
