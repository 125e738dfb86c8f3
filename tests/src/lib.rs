//! Shared test support: clients for the local emulator and fresh, isolated resources per test.
//! `make test` starts the emulator and sets `EMULATOR_URL`; each test creates its own table and
//! queues (random names), so tests run in parallel without seeing each other.

pub mod artefacts;
pub mod bench;
pub mod capacity;
pub mod endpoint_timer;
pub mod fixtures;
pub mod http;
pub mod io_recorder;
pub mod local;
pub mod logs;
pub mod runtime_api;
pub mod soak;
pub mod webhook;

use adapters::bootstrap::{self, QueueUrls};
use adapters::queue::SqsQueue;
use adapters::store::Table;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_sqs::Client as SqsClient;
use cpindex::config::CallTimeouts;
use cpindex::keys::{QueueDef, TABLE};

/// When `CPINDEX_TEST_LOG_DIR` is set (`make test` sets it), every log event of this test process
/// goes to a file there, at the level production logs at and DEBUG for our own crates, so that
/// scripts/scan-logs.py can fail the run on any NHS number in clear. Called by every emulator
/// fixture; once per process.
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(dir) = std::env::var("CPINDEX_TEST_LOG_DIR") else {
            return;
        };
        let _ = std::fs::create_dir_all(&dir);
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "test".into());
        let path = std::path::Path::new(&dir).join(format!("{exe}-{}.log", std::process::id()));
        let Ok(file) = std::fs::File::create(path) else {
            return;
        };
        let ours = "info,cpindex=debug,adapters=debug,plan_upsert=debug,lookup=debug,inbox=debug,\
                    alert_fanout=debug,alert_delivery=debug,reconcile=debug,local_stack=debug";
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new(ours))
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

/// A memory figure of a running process (`VmRSS`, `VmHWM`…) from `/proc/<pid>/status`, in MB.
pub fn proc_status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The child key secret every test uses (as Secrets Manager would hold it in AWS).
pub const TEST_CHILD_KEY_SECRET: &str = "test-child-key-secret-0123456789abcdef";

/// The child keys of [`TEST_CHILD_KEY_SECRET`].
pub fn child_keys() -> cpindex::ChildKeys {
    cpindex::ChildKeys::from_secret(TEST_CHILD_KEY_SECRET).expect("test secret is long enough")
}

/// The child key of an NHS number under the test secret.
pub fn child_key(nhs: &cpindex::NhsNumber) -> cpindex::ChildKey {
    child_keys().of(nhs)
}

/// A fresh state directory for a local stack in a test, holding the test child key: the local
/// stacks of the tests share one table in the emulator, and the data of one table is written
/// under one key (a stack with another is refused, as `tests/tests/misconfiguration.rs` shows).
pub fn local_state_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cpindex-{label}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    std::fs::write(dir.join(local_token::CHILD_KEY_FILE), TEST_CHILD_KEY_SECRET)
        .expect("the child key file");
    dir
}

/// A lookup router over `table` as main starts one: the child key checked against the data
/// before the first request, so no measured request pays for that check.
pub async fn started_lookup(
    table: adapters::store::Table,
    queue: adapters::queue::SqsQueue,
    clock: impl cpindex::Clock + 'static,
) -> axum::Router {
    let app = lookup::App::new(
        table,
        queue,
        child_keys(),
        cpindex::Retention::default(),
        clock,
    );
    app.check_key().await.expect("the data's key");
    lookup::router(app)
}

/// A table for a benchmark, with the profile of the LA the benchmarks act as (Leeds): an LA
/// records plans only with one.
pub async fn create_bench_table(
    dynamo: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), String> {
    adapters::bootstrap::create_table(dynamo, name, &cpindex::keys::TABLE)
        .await
        .map_err(|e| format!("table {name}: {e:?}"))?;
    adapters::store::notifications::NotificationStore::new(Table::new(dynamo.clone(), name))
        .put_profile(&fixtures::profile(fixtures::LEEDS))
        .await
        .map_err(|e| format!("profile: {}", cpindex::log::chain(&e)))
}

/// Where the emulator listens (`make test` sets it).
pub fn emulator_url() -> String {
    std::env::var("EMULATOR_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".to_owned())
}

/// SDK clients for the emulator (built per test: each test has its own runtime).
#[derive(Clone)]
pub struct Emulator {
    pub dynamo: DynamoClient,
    pub sqs: SqsClient,
}

impl Emulator {
    pub fn connect() -> Self {
        capture_logs();
        Self::connect_to(&emulator_url(), CallTimeouts::default())
    }

    /// Clients whose every request `recorder` sees.
    pub fn recorded(recorder: &io_recorder::IoRecorder) -> Self {
        capture_logs();
        let (dynamo, sqs) = recorder.clients(&emulator_url());
        Self { dynamo, sqs }
    }

    pub fn connect_to(url: &str, timeouts: CallTimeouts) -> Self {
        let sdk = adapters::aws::for_emulator(url, timeouts);
        Self {
            dynamo: DynamoClient::new(&sdk),
            sqs: SqsClient::new(&sdk),
        }
    }

    /// A new, empty table with the production key schema.
    pub async fn fresh_table(&self) -> Table {
        let name = format!("test-{}", uuid::Uuid::new_v4().simple());
        bootstrap::create_table(&self.dynamo, &name, &TABLE)
            .await
            .unwrap_or_else(|e| panic!("is the emulator running at {}? {e:?}", emulator_url()));
        let table = Table::new(self.dynamo.clone(), name);
        // The test LAs' profiles, as operators set them up before an LA records plans.
        let profiles = adapters::store::notifications::NotificationStore::new(table.clone());
        for org in fixtures::PROFILED_LAS {
            profiles
                .put_profile(&fixtures::profile(org))
                .await
                .expect("a test LA's profile");
        }
        table
    }

    /// A new table holding no profile at all.
    pub async fn bare_table(&self) -> Table {
        let name = format!("test-{}", uuid::Uuid::new_v4().simple());
        bootstrap::create_table(&self.dynamo, &name, &TABLE)
            .await
            .unwrap_or_else(|e| panic!("is the emulator running at {}? {e:?}", emulator_url()));
        Table::new(self.dynamo.clone(), name)
    }

    /// A new queue (with its DLQ) shaped like `def`.
    pub async fn fresh_queue(&self, def: &QueueDef) -> (SqsQueue, QueueUrls) {
        let stack = format!("test-{}", uuid::Uuid::new_v4().simple());
        let urls = bootstrap::create_queue(&self.sqs, &stack, def)
            .await
            .unwrap_or_else(|e| panic!("is the emulator running at {}? {e:?}", emulator_url()));
        (SqsQueue::new(self.sqs.clone(), urls.queue.clone()), urls)
    }

    /// Every item in a table but the child key's fingerprint, which the first lookup or plan
    /// write on a fresh table records: what a request wrote, or did not.
    pub async fn scan_data(&self, table: &Table) -> Vec<adapters::store::Item> {
        // Not the key state, nor the LAs' profiles that every fresh table starts with.
        let setup = [
            cpindex::keys::Entity::KeyFingerprint.as_str(),
            cpindex::keys::Entity::LaProfile.as_str(),
        ];
        let mut items = self.scan_all(table).await;
        items.retain(|i| {
            !i.get(cpindex::keys::attr::ENTITY)
                .and_then(|e| e.as_s().ok())
                .is_some_and(|e| setup.contains(&e.as_str()))
        });
        items
    }

    /// Every item in a table (tests read the table back to prove what was, or was not, written).
    pub async fn scan_all(&self, table: &Table) -> Vec<adapters::store::Item> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .dynamo
                .scan()
                .table_name(table.name())
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return items,
            }
        }
    }

    /// Receives up to ten messages without deleting them.
    pub async fn receive(&self, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
        self.sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default()
    }
}

/// Clients aimed at a port where nothing listens, with short timeouts: a store that is down.
pub fn unreachable_store() -> Emulator {
    let timeouts = CallTimeouts {
        connect: std::time::Duration::from_millis(200),
        attempt: std::time::Duration::from_millis(300),
        operation: std::time::Duration::from_millis(800),
        max_attempts: 2,
    };
    Emulator::connect_to("http://127.0.0.1:9", timeouts)
}
