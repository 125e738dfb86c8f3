//! The local stack: the same resources and handlers as in AWS, on a laptop.

use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_sqs::Client as SqsClient;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use cpindex::config::CallTimeouts;
use cpindex::keys::{ALERT_FANOUT_QUEUE, TABLE};
use serde_json::json;

/// Stack name used for local resource names.
pub const LOCAL_STACK: &str = "cpindex-local";

/// Where the local stack listens and finds the emulator.
#[derive(Debug, Clone)]
pub struct LocalSettings {
    pub port: u16,
    pub emulator_url: String,
}

impl LocalSettings {
    pub fn from_env() -> Result<Self, String> {
        let port = match std::env::var("PORT") {
            Ok(p) => p
                .parse()
                .map_err(|_| format!("PORT `{p}` is not a port number"))?,
            Err(_) => 3000,
        };
        let emulator_url =
            std::env::var("EMULATOR_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
        Ok(Self { port, emulator_url })
    }
}

/// The resources the local stack created, and clients to reach them.
#[derive(Clone)]
pub struct Stack {
    pub dynamo: DynamoClient,
    pub sqs: SqsClient,
    pub table: String,
    pub fanout_queue: String,
}

/// Creates the table and queues (idempotent: a second start reuses them).
pub async fn bootstrap_resources(
    settings: &LocalSettings,
) -> Result<Stack, Box<dyn std::error::Error>> {
    let sdk = cpindex::aws::for_emulator(&settings.emulator_url, CallTimeouts::default());
    let dynamo = DynamoClient::new(&sdk);
    let sqs = SqsClient::new(&sdk);
    let table = format!("{LOCAL_STACK}-index");
    cpindex::bootstrap::create_table(&dynamo, &table, &TABLE).await?;
    let urls = cpindex::bootstrap::create_queue(&sqs, LOCAL_STACK, &ALERT_FANOUT_QUEUE).await?;
    Ok(Stack {
        dynamo,
        sqs,
        table,
        fanout_queue: urls.queue,
    })
}

/// `GET /health`: 200 when the table and queue answer, 503 (with Retry-After) when not.
async fn health(
    State(stack): State<Stack>,
) -> (
    StatusCode,
    [(&'static str, &'static str); 1],
    Json<serde_json::Value>,
) {
    let store = stack
        .dynamo
        .describe_table()
        .table_name(&stack.table)
        .send()
        .await
        .is_ok();
    let queue = stack
        .sqs
        .get_queue_attributes()
        .queue_url(&stack.fanout_queue)
        .send()
        .await
        .is_ok();
    let status = if store && queue {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        [(
            "retry-after",
            if status == StatusCode::OK { "0" } else { "2" },
        )],
        Json(json!({"status": word(store && queue), "store": word(store), "queue": word(queue)})),
    )
}

/// Every route the local stack serves.
pub fn router(stack: Stack) -> Router {
    Router::new()
        .route("/health", get(health))
        .with_state(stack)
}
