//! Lambda entry point (EventBridge schedule): wiring only.

use std::time::{Duration, Instant};

use cpindex::config::CallTimeouts;
use lambda_runtime::{service_fn, LambdaEvent};
use reconcile::{Budget, Reconciler};

/// Stop starting pages this long before the Lambda deadline, so the last page (its calls may take
/// up to `CallTimeouts::bulk().operation`) and its checkpoint finish in time.
const MARGIN: Duration = Duration::from_secs(100);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::bulk()).await;
    let mut reconciler = Reconciler::from_env(&sdk)?;
    // The schedule's steps re-drive lost alerts every time; a full pass runs once a day (the
    // operators' route still starts one whenever it is asked).
    reconciler.settings.pass_every = Some(reconcile::DAILY_PASS);
    let reconciler = &reconciler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let left = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            let budget = Budget {
                deadline: Instant::now() + left.saturating_sub(MARGIN),
                max_pages: None,
            };
            Ok::<_, lambda_runtime::Error>(reconciler.run(budget).await?)
        },
    ))
    .await
}
