//! `GET /v1/alerts/overdue`: the operators' page of alerts not acknowledged in time, per LA
//! (most first), each naming when and where the child was seen, never the child.

use std::collections::BTreeMap;
use std::sync::Arc;

use adapters::edge::ApiError;
use axum::extract::State;
use axum::Json;
use cpindex::overdue::{per_la, LaOverdue};
use serde::Serialize;

use crate::App;

/// The operators' view.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverdueView {
    /// Open overdue alerts in all.
    total: usize,
    las: Vec<LaOverdue>,
}

pub(crate) async fn get(State(app): State<Arc<App>>) -> Result<Json<OverdueView>, ApiError> {
    let (open, profiles) = tokio::join!(app.overdue.open(), app.profiles.profiles());
    let names: BTreeMap<_, _> = profiles?.into_iter().map(|p| (p.org, p.name)).collect();
    let las = per_la(open?, &names);
    Ok(Json(OverdueView {
        total: las.iter().map(|l| l.count).sum(),
        las,
    }))
}
