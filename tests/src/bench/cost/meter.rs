//! Metering: what a set of SDK requests consumed (capacity units, SQS requests, secret reads),
//! the log lines the handlers wrote meanwhile, the time Lambda would bill for it, and what a
//! table holds per kind of item.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cpindex::keys::attr;

use super::england::{ITEM_OVERHEAD_BYTES, LOG_EVENT_OVERHEAD_BYTES};
use crate::io_recorder::{IoRecorder, Span};

/// What a set of requests consumed, and the log bytes CloudWatch would ingest meanwhile.
#[derive(Debug, Clone, Copy, Default)]
pub struct Use {
    pub read_units: f64,
    pub write_units: f64,
    pub sqs_requests: f64,
    pub secret_calls: f64,
    pub log_bytes: f64,
}

impl Use {
    pub fn of(spans: &[Span]) -> Self {
        let mut u = Use::default();
        for s in spans {
            u.read_units += s.read_units;
            u.write_units += s.write_units;
            match s.service.as_str() {
                "SQS" => u.sqs_requests += 1.0,
                "Secrets Manager" => u.secret_calls += 1.0,
                _ => {}
            }
        }
        u
    }

    pub fn scaled(self, k: f64) -> Self {
        Use {
            read_units: self.read_units * k,
            write_units: self.write_units * k,
            sqs_requests: self.sqs_requests * k,
            secret_calls: self.secret_calls * k,
            log_bytes: self.log_bytes * k,
        }
    }

    pub fn plus(self, o: Use) -> Self {
        Use {
            read_units: self.read_units + o.read_units,
            write_units: self.write_units + o.write_units,
            sqs_requests: self.sqs_requests + o.sqs_requests,
            secret_calls: self.secret_calls + o.secret_calls,
            log_bytes: self.log_bytes + o.log_bytes,
        }
    }
}

/// One kind of operation, measured: what one of it consumed and how long its handler took.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub uses: Use,
    pub invocations: f64,
    pub handler_ms: f64,
}

impl Measured {
    pub fn per(self, n: f64) -> Self {
        Measured {
            uses: self.uses.scaled(1.0 / n),
            invocations: self.invocations / n,
            handler_ms: self.handler_ms / n,
        }
    }
}

impl Measured {
    /// Queue consumers at England's rate see one message per invocation (a lookup every few
    /// seconds): bill each message as its own invocation.
    pub fn one_invocation(self) -> Self {
        Measured {
            invocations: 1.0,
            ..self
        }
    }

    /// Delivery reads the LA's webhook secret; the cache holds it for a warm instance, so one
    /// read per invocation is an upper bound.
    pub fn with_secret_call(mut self) -> Self {
        self.uses.secret_calls += 1.0;
        self
    }

    /// Another operation's cost added to this one's.
    pub fn with(self, o: Measured) -> Self {
        Measured {
            uses: self.uses.plus(o.uses),
            invocations: self.invocations + o.invocations,
            handler_ms: self.handler_ms + o.handler_ms,
        }
    }
}

/// What a table holds, per kind of item (`entity`): items, their bytes (what a scan reads),
/// and what DynamoDB bills as stored (per-item overhead; the index's copies).
#[derive(Debug, Clone, Copy, Default)]
pub struct Held {
    pub items: f64,
    pub bytes: f64,
    pub stored: f64,
    /// Of them, in GSI1 (what reconciliation's scan reads).
    pub indexed_items: f64,
    pub indexed_bytes: f64,
}

/// The kind [`held`] counts attendance copies of visits under.
pub const ATTENDANCE_KIND: &str = "access (attendance copy)";

pub async fn held(dynamo: &aws_sdk_dynamodb::Client, name: &str) -> BTreeMap<String, Held> {
    let mut out: BTreeMap<String, Held> = BTreeMap::new();
    let mut start = None;
    loop {
        let page = dynamo
            .scan()
            .table_name(name)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        for i in page.items() {
            let mut kind = i
                .get(attr::ENTITY)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_else(|| "other".into());
            // An attendance's first view is a second copy of a visit, written only for a
            // child with a plan: it scales with the alerts, not with every lookup.
            let sk = i.get(attr::SK).and_then(|v| v.as_s().ok());
            if sk.is_some_and(|sk| sk.starts_with(cpindex::keys::key::ATTENDANCE_PREFIX)) {
                kind = ATTENDANCE_KIND.into();
            }
            let copies = if i.contains_key(attr::GSI1_PK) {
                2.0
            } else {
                1.0
            };
            let bytes = adapters::store::size::item_size(i) as f64;
            let h = out.entry(kind).or_default();
            h.items += 1.0;
            h.bytes += bytes;
            h.stored += copies * (bytes + ITEM_OVERHEAD_BYTES);
            if copies > 1.0 {
                h.indexed_items += 1.0;
                h.indexed_bytes += bytes;
            }
        }
        match page.last_evaluated_key.filter(|k| !k.is_empty()) {
            Some(k) => start = Some(k),
            None => return out,
        }
    }
}

/// What a request to DynamoDB or SQS takes on AWS, counted along each operation's critical
/// path (the emulator's own times are far slower and say nothing of Lambda's bill).
pub const AWS_REQUEST_MS: f64 = 20.0;

/// Time inside requests: the union of their spans.
pub fn in_requests(spans: &[Span]) -> Duration {
    crate::io_recorder::covered(spans.iter().map(|s| (s.start, s.end)))
}

/// Log bytes the handlers of this process have written, each line as CloudWatch counts it.
static LOG_BYTES: AtomicU64 = AtomicU64::new(0);

/// A writer that counts what it is given and keeps nothing.
struct LogMeter;

impl std::io::Write for LogMeter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let events = buf.iter().filter(|b| **b == b'\n').count() as u64;
        LOG_BYTES.fetch_add(
            buf.len() as u64 + events * LOG_EVENT_OVERHEAD_BYTES,
            Ordering::Relaxed,
        );
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Meters the handlers' log lines from now on: formatted as the functions format them
/// (`cpindex::logging`, JSON) at the level the template gives them. The template's system log
/// level keeps Lambda's own START/END/REPORT lines out of the logs, so these are all of them.
pub fn meter_logs(level: &str) {
    let level = cpindex::logging::level(Some(level), None);
    let subscriber = cpindex::logging::subscriber(level, true, || LogMeter);
    // Once per process: a second call (another bench in the same run) keeps the first.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Runs `f`, returning what it consumed by the recorder and the time Lambda would bill: our
/// own time (wall time less time inside requests) plus [`AWS_REQUEST_MS`] per request on the
/// critical path.
pub async fn metered<F: std::future::Future<Output = T>, T>(
    recorder: &IoRecorder,
    invocations: f64,
    f: F,
) -> (T, Measured) {
    recorder.take();
    let logged = LOG_BYTES.load(Ordering::Relaxed);
    let t = Instant::now();
    let out = f.await;
    let wall = t.elapsed();
    let spans = recorder.take();
    let log_bytes = (LOG_BYTES.load(Ordering::Relaxed) - logged) as f64;
    let own = wall.saturating_sub(in_requests(&spans));
    let handler_ms = own.as_secs_f64() * 1000.0
        + crate::io_recorder::critical_path(&spans) as f64 * AWS_REQUEST_MS;
    (
        out,
        Measured {
            uses: Use {
                log_bytes,
                ..Use::of(&spans)
            },
            invocations,
            handler_ms,
        },
    )
}
