//! `GET /v1/usage`: the privacy officer's view of one organisation's week (who looked children
//! up, how much, silently or not, when, refused or not; who stands out and why), as JSON or
//! (`Accept: text/csv`) CSV. A privacy officer sees its own organisation only; an operator any.
//! Reads the week's partition and the four before it (each user's usual hours).

use std::sync::Arc;

use adapters::edge::{ApiError, Caller};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cpindex::indicators::IsoWeek;
use cpindex::usage::{oversight, BASELINE_WEEKS};
use cpindex::{OrgCode, Role};
use serde::Deserialize;

use crate::{bad_query, csv_answer, wants_csv, App};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    org: Option<String>,
    week: Option<String>,
}

pub(crate) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|_| bad_query("query", "only `org` and `week` are accepted"))?;
    let org = match q.org {
        None => caller.0.org.clone(),
        Some(o) => {
            OrgCode::parse(&o).map_err(|_| bad_query("org", "`org` is an organisation code"))?
        }
    };
    // A privacy officer oversees its own organisation; any other answers as a bad query (the
    // view of another organisation is an operator's).
    if caller.0.role != Role::Operator && org != caller.0.org {
        return Err(bad_query(
            "org",
            "a privacy officer reads its own organisation's view only",
        ));
    }
    let now = IsoWeek::of(app.clock.now());
    let week = match q.week {
        None => now,
        Some(w) => w
            .parse::<IsoWeek>()
            .map_err(|e| bad_query("week", &e.to_string()))?
            .min(now),
    };
    let baseline = week.previous().last(BASELINE_WEEKS);
    let (rows, before) = tokio::join!(app.usage.week(&org, week), app.usage.weeks(&org, &baseline));
    let view = oversight(org.as_str(), week, app.cap, &rows?, &before?);
    tracing::info!(org = %org, week = %week, users = view.users.len(), reader_role = %caller.0.role, "usage view read");
    if wants_csv(&headers) {
        return Ok(csv_answer(
            view.to_csv(),
            &format!("usage-{org}-{week}.csv"),
        ));
    }
    Ok(Json(view).into_response())
}
