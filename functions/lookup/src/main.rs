//! Lambda entry point: wiring only.

use adapters::queue::SqsQueue;
use adapters::store::access::AccessStore;
use adapters::store::plans::PlanStore;
use adapters::store::Table;
use cpindex::config::{self, env, CallTimeouts};
use cpindex::SystemClock;
use lookup::port::ChildStore;
use lookup::{router, App};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let sdk = adapters::aws::from_env(CallTimeouts::default()).await;
    let table = Table::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        config::required(env::TABLE_NAME)?,
    );
    let queue = SqsQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        config::required(env::ALERT_FANOUT_QUEUE_URL)?,
    );
    let retention = config::retention()?;
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
    };
    lambda_http::run(router(app)).await
}
