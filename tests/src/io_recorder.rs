//! Records every SDK request's operation, start and end (an SDK interceptor), so benchmarks can
//! count store round trips and measure the longest chain of requests that ran one after another.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// One request: which operation, when it started and ended.
#[derive(Debug, Clone)]
pub struct Span {
    /// The SDK's service name (`DynamoDB`, `SQS`).
    pub service: String,
    pub operation: String,
    pub start: Instant,
    pub end: Instant,
    /// DynamoDB capacity units it consumed (0 for other services), by [`crate::capacity`].
    pub read_units: f64,
    pub write_units: f64,
    /// Issued by the task [`awaited`] ran, not by a task it spawned (a cache's refresh that no
    /// answer waits for).
    pub awaited: bool,
}

tokio::task_local! {
    /// Set while [`awaited`] runs its future: requests that future's own task issues.
    static AWAITED: ();
}

/// Runs `f`, marking the requests its own task issues as [`Span::awaited`]: those a caller
/// waits for. A task `f` spawns (a background refresh) is not marked.
pub async fn awaited<F: std::future::Future>(f: F) -> F::Output {
    AWAITED.scope((), f).await
}

#[derive(Debug, Clone)]
struct Started(Instant, crate::capacity::Planned, bool);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// Attach one recorder to both clients; read and clear it between measured calls.
#[derive(Debug, Clone, Default)]
pub struct IoRecorder {
    spans: Arc<Mutex<Vec<Span>>>,
}

impl Span {
    /// The IAM action this request needs, e.g. `dynamodb:PutItem`. SQS authorises a batch call
    /// by its single-message action; DynamoDB authorises a transaction by its parts (ours are
    /// only ever puts: `Table::transact_put` is the one way to build one).
    pub fn iam_action(&self) -> String {
        let service = self.service.to_ascii_lowercase();
        let operation = match (service.as_str(), self.operation.as_str()) {
            ("sqs", op) => op.strip_suffix("Batch").unwrap_or(op),
            ("dynamodb", "TransactWriteItems") => "PutItem",
            (_, op) => op,
        };
        format!("{service}:{operation}")
    }
}

impl IoRecorder {
    /// Takes the spans recorded so far, leaving the recorder empty.
    pub fn take(&self) -> Vec<Span> {
        std::mem::take(&mut *self.spans.lock().expect("recorder lock"))
    }

    /// Dynamo and SQS clients for the emulator with this recorder attached.
    pub fn clients(&self, url: &str) -> (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client) {
        self.clients_with(url, cpindex::config::CallTimeouts::default())
    }

    /// As [`IoRecorder::clients`], with the given timeouts (benchmarks on a loaded machine).
    pub fn clients_with(
        &self,
        url: &str,
        timeouts: cpindex::config::CallTimeouts,
    ) -> (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client) {
        let sdk = adapters::aws::for_emulator(url, timeouts);
        let dynamo = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(self.clone())
            .build();
        let sqs = aws_sdk_sqs::config::Builder::from(&sdk)
            .interceptor(self.clone())
            .build();
        (
            aws_sdk_dynamodb::Client::from_conf(dynamo),
            aws_sdk_sqs::Client::from_conf(sqs),
        )
    }
}

impl Intercept for IoRecorder {
    fn name(&self) -> &'static str {
        "IoRecorder"
    }

    fn read_before_execution(
        &self,
        ctx: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let planned = crate::capacity::planned(ctx.input());
        let awaited = AWAITED.try_with(|_| ()).is_ok();
        cfg.interceptor_state()
            .store_put(Started(Instant::now(), planned, awaited));
        Ok(())
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let end = Instant::now();
        let (start, planned, awaited) = cfg
            .load::<Started>()
            .map_or((end, Default::default(), false), |s| (s.0, s.1, s.2));
        // A failed request is counted at its planned writes: a refused condition still costs.
        let read_units = match ctx.output_or_error() {
            Some(Ok(output)) => crate::capacity::read_units(output, planned.read_factor),
            _ => planned.read_factor,
        };
        let (service, operation) = cfg.load::<Metadata>().map_or_else(
            || ("unknown".to_owned(), "unknown".to_owned()),
            |m| (m.service().to_owned(), m.name().to_owned()),
        );
        self.spans.lock().expect("recorder lock").push(Span {
            service,
            operation,
            start,
            end,
            read_units,
            write_units: planned.write_units,
            awaited,
        });
        Ok(())
    }
}

/// The longest chain of requests in which each starts after the previous one ended: 1 means
/// everything overlapped (one round trip of latency), n means n round trips one after another.
pub fn critical_path(spans: &[Span]) -> usize {
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort_by_key(|s| s.end);
    // depth[i] = longest chain ending with span i.
    let mut depth = vec![1usize; sorted.len()];
    for i in 0..sorted.len() {
        for j in 0..i {
            if sorted[j].end <= sorted[i].start {
                depth[i] = depth[i].max(depth[j] + 1);
            }
        }
    }
    depth.into_iter().max().unwrap_or(0)
}

/// [`critical_path`] of the requests a caller waited for ([`awaited`]).
pub fn awaited_critical_path(spans: &[Span]) -> usize {
    let awaited: Vec<Span> = spans.iter().filter(|s| s.awaited).cloned().collect();
    critical_path(&awaited)
}

/// Time covered by spans (start, end) that may overlap: the length of their union.
pub fn covered(spans: impl IntoIterator<Item = (Instant, Instant)>) -> Duration {
    let mut sorted: Vec<(Instant, Instant)> = spans.into_iter().collect();
    sorted.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in sorted {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(Duration::ZERO, |(s, e)| e - s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn span(start_ms: u64, end_ms: u64, base: Instant) -> Span {
        Span {
            service: "DynamoDB".into(),
            operation: "op".into(),
            start: base + Duration::from_millis(start_ms),
            end: base + Duration::from_millis(end_ms),
            read_units: 0.0,
            write_units: 0.0,
            awaited: true,
        }
    }

    #[test]
    fn batch_and_transaction_calls_need_the_actions_iam_governs_them_by() {
        let at = |service: &str, operation: &str| Span {
            service: service.into(),
            operation: operation.into(),
            start: Instant::now(),
            end: Instant::now(),
            read_units: 0.0,
            write_units: 0.0,
            awaited: true,
        };
        assert_eq!(
            at("SQS", "SendMessageBatch").iam_action(),
            "sqs:SendMessage"
        );
        assert_eq!(
            at("SQS", "ReceiveMessage").iam_action(),
            "sqs:ReceiveMessage"
        );
        assert_eq!(
            at("DynamoDB", "TransactWriteItems").iam_action(),
            "dynamodb:PutItem"
        );
        assert_eq!(
            at("DynamoDB", "BatchGetItem").iam_action(),
            "dynamodb:BatchGetItem"
        );
    }

    #[test]
    fn overlapping_requests_are_one_deep_and_sequential_ones_add_up() {
        let t = Instant::now();
        assert_eq!(critical_path(&[]), 0);
        assert_eq!(
            critical_path(&[span(0, 10, t), span(1, 12, t), span(2, 9, t)]),
            1
        );
        assert_eq!(
            critical_path(&[span(0, 10, t), span(10, 20, t), span(21, 30, t)]),
            3
        );
        assert_eq!(
            critical_path(&[span(0, 10, t), span(5, 30, t), span(11, 12, t)]),
            2
        );
    }

    #[test]
    fn a_request_no_answer_waited_for_is_not_on_the_awaited_path() {
        let t = Instant::now();
        // A background refresh between the read and the hand-off would make a chain of three.
        let background = Span {
            awaited: false,
            ..span(11, 12, t)
        };
        let spans = [span(0, 10, t), background, span(13, 20, t)];
        assert_eq!(critical_path(&spans), 3);
        assert_eq!(awaited_critical_path(&spans), 2);
    }

    #[tokio::test]
    async fn only_the_awaited_future_s_own_task_is_marked() {
        let inside = awaited(async { AWAITED.try_with(|_| ()).is_ok() }).await;
        let spawned = awaited(async {
            tokio::spawn(async { AWAITED.try_with(|_| ()).is_ok() })
                .await
                .expect("the task")
        })
        .await;
        assert!(inside);
        assert!(!spawned);
        assert!(AWAITED.try_with(|_| ()).is_err());
    }
}
