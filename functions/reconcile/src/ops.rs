//! Operator routes: run reconciliation now (one bounded step; call again to continue), read the
//! dead-letter report, and re-drive dead letters.

use std::sync::Arc;
use std::time::{Duration, Instant};

use adapters::edge::{serve, ApiError, Caller};
use axum::extract::State;
use axum::{Json, Router};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::routes;
use cpindex::Clock;
use serde_json::{json, Value};

use crate::{Budget, ReconcileError, Reconciler, RunOutcome};

/// How long one HTTP-triggered step may scan (API Gateway waits at most 30 s).
pub const STEP: Duration = Duration::from_secs(20);
/// Most dead letters moved by one re-drive request.
pub const REDRIVE_MAX: usize = 1000;

fn failure(e: ReconcileError) -> ApiError {
    tracing::warn!(error = %cpindex::log::chain(&e), "operator request failed");
    ApiError::from(Problem::store_unavailable())
}

/// The router served by Lambda: the routes plus problem-details 404s.
pub fn router<C: Clock + 'static>(r: Reconciler<C>) -> Router {
    adapters::edge::lambda_router(routes(r))
}

/// This function's routes alone, for the local stack to combine with the others.
pub fn routes<C: Clock + 'static>(r: Reconciler<C>) -> Router {
    let router = Router::new();
    let router = serve(router, &routes::POST_RECONCILIATION_RUN, run_now::<C>);
    let router = serve(router, &routes::GET_DEAD_LETTERS, dead_letters::<C>);
    let router = serve(router, &routes::POST_DEAD_LETTERS_REDRIVE, redrive::<C>);
    router
        .method_not_allowed_fallback(adapters::edge::method_not_allowed)
        .with_state(Arc::new(r))
}

async fn run_now<C: Clock>(
    State(r): State<Arc<Reconciler<C>>>,
    caller: Caller,
) -> Result<Json<RunOutcome>, ApiError> {
    let outcome = r
        .run(Budget {
            deadline: Instant::now() + STEP,
            max_pages: None,
        })
        .await
        .map_err(failure)?;
    tracing::info!(user = caller.0.user.as_str(), run_id = %outcome.run_id, complete = outcome.complete, "reconciliation run by operator");
    Ok(Json(outcome))
}

async fn dead_letters<C: Clock>(
    State(r): State<Arc<Reconciler<C>>>,
) -> Result<Json<Value>, ApiError> {
    let report = r
        .reports()
        .latest_operator()
        .await
        .map_err(|e| failure(e.into()))?;
    Ok(Json(
        json!({"queueDepth": r.dlq_depth().await, "latestReport": report}),
    ))
}

async fn redrive<C: Clock>(
    State(r): State<Arc<Reconciler<C>>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    // Within API Gateway's wait; the operator calls again for the rest.
    let done = r
        .redrive_dead_letters(REDRIVE_MAX, Instant::now() + STEP)
        .await
        .map_err(failure)?;
    tracing::warn!(
        user = caller.0.user.as_str(),
        redriven = done.redriven,
        kept_unreadable = done.kept_unreadable,
        "dead letters re-driven by operator"
    );
    if done == crate::Redrive::default() && r.dlq_depth().await.is_none() {
        return Err(ApiError::from(
            Problem::new(ErrorCode::StoreUnavailable)
                .detail("the dead-letter queue could not be read")
                .retry_after(5),
        ));
    }
    Ok(Json(json!(done)))
}
