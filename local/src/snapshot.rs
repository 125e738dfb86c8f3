//! The local stack keeps its data across restarts: the table is written to
//! `<state dir>/data/<table>.jsonl` (one item per line) at a clean stop and every few seconds
//! while it changes, and loaded back into a fresh emulator at start. Queues are not kept: an
//! access still waiting for fan-out is re-driven by the next reconciliation step, and a notice
//! waiting for delivery stays in its LA's inbox.

use std::path::{Path, PathBuf};

use adapters::store::{Index, StoreError, Table};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use sha2::{Digest, Sha256};

/// Items read or written per request.
const PAGE: usize = 500;
const WRITE_CHUNK: usize = 25;

/// Why the data could not be kept or loaded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the emulator's table could not be read or written")]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} line {line} is not an item: {source}")]
    Item {
        path: String,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("an item could not be converted")]
    Convert(#[from] serde_dynamo::Error),
}

/// The table's data file under `state_dir`.
pub fn path_for(state_dir: &Path, table: &str) -> PathBuf {
    state_dir.join("data").join(format!("{table}.jsonl"))
}

/// Every item of the table, one JSON object per line, in scan order.
async fn dump(table: &Table) -> Result<(String, usize), SnapshotError> {
    let mut out = String::new();
    let mut count = 0;
    let mut start = None;
    loop {
        let (items, next) = table.scan_page(Index::Table, 0, 1, PAGE, start).await?;
        for item in items {
            let value: serde_json::Value = serde_dynamo::from_item(item)?;
            out.push_str(&value.to_string());
            out.push('\n');
            count += 1;
        }
        match next {
            Some(n) => start = Some(n),
            None => return Ok((out, count)),
        }
    }
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::File {
        path: path.display().to_string(),
        source,
    }
}

/// Keeps the table's data in one file, writing it only when it changed.
pub struct Keeper {
    table: Table,
    path: PathBuf,
    last: Option<[u8; 32]>,
}

impl Keeper {
    pub fn new(table: Table, path: PathBuf) -> Self {
        Self {
            table,
            path,
            last: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the file into the table when the table is empty (a fresh emulator); returns how
    /// many items were loaded, or `None` when there was no file or the table already held data.
    pub async fn restore(&mut self) -> Result<Option<usize>, SnapshotError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(file_error(&self.path)(e)),
        };
        let (held, _) = self.table.scan_page(Index::Table, 0, 1, 1, None).await?;
        if !held.is_empty() {
            return Ok(None);
        }
        let mut requests = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let value: serde_json::Value =
                serde_json::from_str(line).map_err(|source| SnapshotError::Item {
                    path: self.path.display().to_string(),
                    line: i + 1,
                    source,
                })?;
            let item = serde_dynamo::to_item(value)?;
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        let count = requests.len();
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(WRITE_CHUNK));
            self.table
                .batch_write_chunk(std::mem::replace(&mut requests, rest))
                .await?;
        }
        self.last = Some(Sha256::digest(text.as_bytes()).into());
        Ok(Some(count))
    }

    /// Writes the table to the file if it changed since the last write (through a temporary
    /// file, so a stop mid-write never leaves half a file); returns the items written.
    pub async fn save(&mut self) -> Result<Option<usize>, SnapshotError> {
        let (text, count) = dump(&self.table).await?;
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if self.last == Some(digest) {
            return Ok(None);
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(file_error(dir))?;
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        std::fs::write(&tmp, &text).map_err(file_error(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(file_error(&self.path))?;
        self.last = Some(digest);
        Ok(Some(count))
    }

    /// Forgets the kept data: the next start is empty.
    pub fn discard(&self) -> Result<(), SnapshotError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(file_error(&self.path)(e)),
        }
    }
}

/// How often the local stack writes its data while it changes (at most this much is lost if
/// it is killed rather than stopped).
pub const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The keeper, shared by the periodic save and the last one at a clean stop.
pub type Shared = std::sync::Arc<tokio::sync::Mutex<Keeper>>;

/// Loads the data kept by the last run into `stack`'s table (unless `CPINDEX_START_EMPTY=1`,
/// which `make dev FRESH=1` sets, discards it first), saying what it did and how long it took.
pub async fn keep(state_dir: &Path, stack: &crate::Stack) -> Result<Shared, SnapshotError> {
    let table = Table::new(stack.dynamo.clone(), &stack.table);
    let mut keeper = Keeper::new(table, path_for(state_dir, &stack.table));
    let shown = keeper.path().display().to_string();
    if std::env::var("CPINDEX_START_EMPTY").is_ok_and(|v| v == "1") {
        keeper.discard()?;
        println!("local stack: starting empty (FRESH=1): the data kept in {shown} was discarded");
    }
    let started = std::time::Instant::now();
    match keeper.restore().await? {
        Some(n) => println!(
            "local stack: restored {n} items kept in {shown} in {} ms (make dev FRESH=1 starts empty)",
            started.elapsed().as_millis()
        ),
        None => println!(
            "local stack: data is kept in {shown} across restarts (make dev FRESH=1 starts empty)"
        ),
    }
    Ok(std::sync::Arc::new(tokio::sync::Mutex::new(keeper)))
}

/// Saves `keeper` every `every` for as long as it runs (the stack aborts it at a stop).
pub async fn save_every(keeper: Shared, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = keeper.lock().await.save().await {
            tracing::warn!(error = %cpindex::log::chain(&e), "the local data could not be kept; retrying");
        }
    }
}
