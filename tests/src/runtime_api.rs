//! The Lambda Runtime API played on loopback, so a built `bootstrap` runs exactly as Lambda runs
//! it: started as a fresh process with the function's environment, it asks
//! `GET /2018-06-01/runtime/invocation/next` for an event, and posts its answer to
//! `.../invocation/{id}/response` (or `/error`; `/runtime/init/error` if it cannot start).
//! Serves one event per process and records when each step happened.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Vec<u8>),
    InvocationError(Vec<u8>),
    InitError(Vec<u8>),
}

#[derive(Default)]
struct Inner {
    event: Option<Vec<u8>>,
    first_next: Option<Instant>,
    outcome: Option<(Instant, Outcome)>,
}

/// One process's Runtime API: the event it will be given, and what it did.
#[derive(Clone)]
pub struct RuntimeApi {
    inner: Arc<Mutex<Inner>>,
    done: Arc<Notify>,
    pub addr: SocketAddr,
    /// The function's ARN, as Lambda hands it to the runtime.
    arn: String,
    /// The function's timeout: the invocation's deadline is this far from when it is handed out.
    timeout: std::time::Duration,
}

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

async fn next(State(api): State<RuntimeApi>) -> Response {
    let event = {
        let mut inner = api.inner.lock().expect("runtime state");
        inner.first_next.get_or_insert_with(Instant::now);
        inner.event.take()
    };
    let Some(event) = event else {
        // One event per process: a second call waits until the process is stopped.
        std::future::pending::<()>().await;
        unreachable!("pending never completes");
    };
    // The function's own timeout, as Lambda sets it: a scheduled step budgets its pages from it.
    let timeout_ms = i64::try_from(api.timeout.as_millis()).unwrap_or(i64::MAX);
    let deadline = chrono::Utc::now()
        .timestamp_millis()
        .saturating_add(timeout_ms);
    let mut h = HeaderMap::new();
    h.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static(REQUEST_ID),
    );
    h.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from_str(&deadline.to_string()).expect("digits"),
    );
    h.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_str(&api.arn).expect("an ARN is ascii"),
    );
    h.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static(
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
        ),
    );
    h.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, h, event).into_response()
}

fn finish(api: &RuntimeApi, outcome: Outcome) -> StatusCode {
    api.inner.lock().expect("runtime state").outcome = Some((Instant::now(), outcome));
    api.done.notify_waiters();
    api.done.notify_one();
    StatusCode::ACCEPTED
}

async fn response(
    State(api): State<RuntimeApi>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, Outcome::Response(body.to_vec()))
}

async fn invocation_error(
    State(api): State<RuntimeApi>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, Outcome::InvocationError(body.to_vec()))
}

async fn init_error(State(api): State<RuntimeApi>, body: Bytes) -> StatusCode {
    finish(&api, Outcome::InitError(body.to_vec()))
}

impl RuntimeApi {
    /// Starts a Runtime API on a free loopback port that will hand `event` to the first caller,
    /// as the invocation of function `arn` with `timeout`.
    pub async fn start(
        arn: &str,
        timeout: std::time::Duration,
        event: Vec<u8>,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let api = RuntimeApi {
            inner: Arc::new(Mutex::new(Inner {
                event: Some(event),
                ..Inner::default()
            })),
            done: Arc::new(Notify::new()),
            addr: listener.local_addr()?,
            arn: arn.to_owned(),
            timeout,
        };
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(api)
    }

    /// Waits for the invocation to end (or `timeout`), returning when the process first asked
    /// for an event and how it ended.
    pub async fn wait(
        &self,
        timeout: std::time::Duration,
    ) -> (Option<Instant>, Option<(Instant, Outcome)>) {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let inner = self.inner.lock().expect("runtime state");
                if inner.outcome.is_some() || Instant::now() >= deadline {
                    return (inner.first_next, inner.outcome.clone());
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = tokio::time::timeout(
                left.min(std::time::Duration::from_millis(50)),
                self.done.notified(),
            )
            .await;
        }
    }
}
