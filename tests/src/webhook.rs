//! A real HTTP webhook receiver on localhost, for alert tests: records every POST, verifies its
//! signature the way an LA would, and answers as scripted (status codes in turn, or never).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use cpindex::signing;

/// How the receiver answers each POST in turn (then the last rule forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Never answers (the caller's timeout must fire).
    Hang,
}

/// One POST as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: std::time::Instant,
    pub idempotency_key: String,
    pub signature_ok: bool,
    pub body: serde_json::Value,
}

#[derive(Clone)]
struct Receiver {
    secret: Vec<u8>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver.
pub struct WebhookReceiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    /// Starts a receiver on 127.0.0.1 (random port) that verifies with `secret`.
    pub async fn start(secret: &str, script: Vec<Answer>) -> Self {
        let state = Receiver {
            secret: secret.as_bytes().to_vec(),
            script: Arc::new(Mutex::new(script.into())),
            received: Arc::default(),
        };
        let received = state.received.clone();
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            received,
            task,
        }
    }

    /// Every POST so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let ts: i64 = header(signing::TIMESTAMP_HEADER).parse().unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    let signature_ok = signing::verify(
        &r.secret,
        &header(signing::SIGNATURE_HEADER),
        ts,
        now,
        &body,
    );
    r.received.lock().unwrap().push(Received {
        at: std::time::Instant::now(),
        idempotency_key: header(signing::IDEMPOTENCY_HEADER),
        signature_ok,
        body: serde_json::from_slice(&body).unwrap_or_default(),
    });
    let answer = {
        let mut script = r.script.lock().unwrap();
        if script.len() > 1 {
            script.pop_front().unwrap()
        } else {
            script.front().copied().unwrap_or(Answer::Status(200))
        }
    };
    match answer {
        Answer::Status(s) => StatusCode::from_u16(s).unwrap(),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK
        }
    }
}
