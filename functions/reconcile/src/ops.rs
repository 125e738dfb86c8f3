//! Operator routes: run reconciliation now (one bounded step; call again to continue), read the
//! dead-letter report, and re-drive dead letters.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use cpindex::edge::{ApiError, Caller};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::routes::{DEAD_LETTERS_PATH, DEAD_LETTERS_REDRIVE_PATH, RECONCILIATION_RUNS_PATH};
use cpindex::{Clock, Role};
use serde_json::{json, Value};

use crate::{Budget, ReconcileError, Reconciler, RunOutcome};

/// How long one HTTP-triggered step may scan (API Gateway waits at most 30 s).
pub const STEP: Duration = Duration::from_secs(20);
/// Most dead letters moved by one re-drive request.
pub const REDRIVE_MAX: usize = 1000;

fn failure(e: ReconcileError) -> ApiError {
    tracing::warn!(error = %e, "operator request failed");
    ApiError::from(Problem::store_unavailable())
}

/// The router served by Lambda: the routes plus problem-details 404s.
pub fn router<C: Clock + 'static>(r: Reconciler<C>) -> Router {
    routes(r).fallback(cpindex::edge::not_found)
}

/// This function's routes alone, for the local stack to combine with the others.
pub fn routes<C: Clock + 'static>(r: Reconciler<C>) -> Router {
    let not_allowed = cpindex::edge::method_not_allowed;
    Router::new()
        .route(
            RECONCILIATION_RUNS_PATH,
            post(run_now::<C>).fallback(not_allowed),
        )
        .route(
            DEAD_LETTERS_PATH,
            get(dead_letters::<C>).fallback(not_allowed),
        )
        .route(
            DEAD_LETTERS_REDRIVE_PATH,
            post(redrive::<C>).fallback(not_allowed),
        )
        .with_state(Arc::new(r))
}

fn operator(caller: &Caller) -> Result<(), ApiError> {
    caller.0.require(&[Role::Operator]).map_err(ApiError::from)
}

async fn run_now<C: Clock>(
    State(r): State<Arc<Reconciler<C>>>,
    caller: Caller,
) -> Result<Json<RunOutcome>, ApiError> {
    operator(&caller)?;
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
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    operator(&caller)?;
    let report = cpindex::store::reports::latest_operator(&r.table)
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
    operator(&caller)?;
    // Within API Gateway's wait; the operator calls again for the rest.
    let moved = r
        .redrive_dead_letters(REDRIVE_MAX, Instant::now() + STEP)
        .await
        .map_err(failure)?;
    tracing::warn!(
        user = caller.0.user.as_str(),
        moved,
        "dead letters re-driven by operator"
    );
    if moved == 0 && r.dlq_depth().await.is_none() {
        return Err(ApiError::from(
            Problem::new(ErrorCode::StoreUnavailable)
                .detail("the dead-letter queue could not be read")
                .retry_after(5),
        ));
    }
    Ok(Json(json!({"redriven": moved})))
}
