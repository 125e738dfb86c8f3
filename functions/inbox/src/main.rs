//! Lambda entry point: wiring only.

use adapters::store::access::AccessStore;
use adapters::store::notifications::NotificationStore;
use adapters::store::plans::PlanStore;
use cpindex::config::{self, CallTimeouts};
use cpindex::SystemClock;
use inbox::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    cpindex::logging::init();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = adapters::aws::table_from_env(&sdk)?;
    let retention = config::retention()?;
    let app = App {
        notifications: NotificationStore::new(table.clone()),
        plans: PlanStore::new(table.clone(), retention),
        accesses: AccessStore::new(table),
        clock: SystemClock,
        local_mode: config::local_mode(),
    };
    lambda_http::run(router(app)).await
}
