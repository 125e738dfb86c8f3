//! The log lines one test produces, as JSON (the format Lambda writes), for tests that assert
//! what an operator would read. Holds for the thread the guard was taken on: `#[tokio::test]`
//! runs every task of the test there.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// Log lines captured since [`capture`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing this thread's log lines (JSON, every level) until the guard drops.
pub fn capture() -> (Captured, DefaultGuard) {
    // With one dispatcher registered, tracing computes a new call site's interest from the
    // registering thread's default alone: a site first reached by another test's thread (no
    // subscriber) would be cached as never, and this test would miss its lines. A second,
    // silent dispatcher kept for the life of the process makes it ask every dispatcher.
    static SILENT: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    SILENT.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let captured = Captured::default();
    let buf = captured.0.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || Sink(buf.clone()))
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

impl Captured {
    /// Every line, parsed.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The lines whose `fields.event` is `event`.
    pub fn events(&self, event: &str) -> Vec<serde_json::Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["fields"]["event"] == event)
            .collect()
    }
}
