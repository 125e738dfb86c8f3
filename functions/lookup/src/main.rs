//! Lambda entry point: wiring only.

use adapters::store::access::AccessStore;
use adapters::store::plans::PlanStore;
use cpindex::config::{self, env, CallTimeouts};
use cpindex::SystemClock;
use lookup::port::ChildStore;
use lookup::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let queue = adapters::aws::queue_from_env(&sdk, env::ALERT_FANOUT_QUEUE_URL)?;
    let retention = config::retention()?;
    let keys = adapters::aws::child_keys_from_env(&sdk).await?;
    let store = ChildStore {
        plans: PlanStore::new(table.clone(), retention),
        accesses: AccessStore::new(table),
    };
    let app = App {
        reads: store.clone(),
        log: store,
        queue,
        clock: SystemClock,
        retention,
        keys,
    };
    lambda_http::run(router(app)).await
}
