//! Reports: the indicators (an LA's, or national), the privacy officer's weekly view of who
//! looked children up, and the operators' page of overdue alerts. Both read a few small partitions per request, and run apart from the
//! inbox so that a year of indicators (52 partition reads) never takes an LA's inbox slot.

mod indicators;
mod overdue;
mod usage;

use std::sync::Arc;

use adapters::edge::{serve, ApiError};
use adapters::store::indicators::IndicatorStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::usage::UsageStore;
use adapters::store::Table;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use cpindex::problem::{ErrorCode, Problem};
use cpindex::routes;
use cpindex::usage::UsageCap;
use cpindex::Clock;

/// The CSV media type (asked for with `Accept`).
pub const CSV: &str = "text/csv";

/// Everything the reports need.
pub struct App {
    indicators: IndicatorStore,
    /// The LA list (the national median is over every LA with a profile).
    profiles: NotificationStore,
    usage: UsageStore,
    overdue: adapters::store::overdue::OverdueStore,
    /// The cap in force, to count the lookups refused over it.
    cap: UsageCap,
    clock: Arc<dyn Clock>,
}

impl App {
    /// The one wiring of the reports: main, the local stack and the tests build it here.
    pub fn new(table: Table, clock: impl Clock + 'static) -> Self {
        Self {
            indicators: IndicatorStore::new(table.clone()),
            profiles: NotificationStore::new(table.clone()),
            usage: UsageStore::new(table.clone()),
            overdue: adapters::store::overdue::OverdueStore::new(table),
            cap: UsageCap::default(),
            clock: Arc::new(clock),
        }
    }

    /// The hourly lookup cap the lookups enforce (`LOOKUP_CAP_PER_HOUR`).
    pub fn with_usage_cap(mut self, cap: UsageCap) -> Self {
        self.cap = cap;
        self
    }
}

/// The router served by Lambda (through `lambda_http`).
pub fn router(app: App) -> Router {
    adapters::edge::lambda_router(routes(app))
}

/// This function's routes alone, for the local stack to combine with the others.
pub fn routes(app: App) -> Router {
    let r = serve(Router::new(), &routes::GET_INDICATORS, indicators::get);
    let r = serve(r, &routes::GET_USAGE, usage::get);
    let r = serve(r, &routes::GET_OVERDUE_ALERTS, overdue::get);
    r.method_not_allowed_fallback(adapters::edge::method_not_allowed)
        .with_state(Arc::new(app))
}

fn bad_query(field: &str, detail: &str) -> ApiError {
    ApiError::from(
        Problem::new(ErrorCode::InvalidQuery)
            .field(field)
            .detail(detail),
    )
}

/// Whether the caller asked for CSV (`Accept: text/csv`).
fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with(CSV)))
}

/// A CSV answer, offered as a download named `file`.
fn csv_answer(body: String, file: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
