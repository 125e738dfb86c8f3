//! A recording pass-through in front of the emulator for one process's start: the cold-start
//! benchmark reports each function's init with and without the time it spends waiting on the
//! store and secret reads it makes at start (the child key, the key state, the LAs' profiles).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::Response;

type Spans = Arc<Mutex<Vec<(Instant, Instant)>>>;

/// Forwards every request to the emulator unchanged and records when each was in flight.
pub struct EndpointTimer {
    /// Where the process is pointed instead of the emulator.
    pub url: String,
    spans: Spans,
    server: tokio::task::JoinHandle<()>,
}

impl EndpointTimer {
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let spans = Spans::default();
        let client = reqwest::Client::new();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let recorded = spans.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let (client, upstream, spans) = (client.clone(), upstream.clone(), recorded.clone());
            async move { forward(&client, &upstream, &spans, req).await }
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, spans, server })
    }

    /// Time spent waiting on requests that ended before `until` (the union of their spans).
    pub fn waited_before(&self, until: Instant) -> Duration {
        let spans = self.spans.lock().expect("spans");
        crate::io_recorder::covered(spans.iter().copied().filter(|(_, end)| *end <= until))
    }
}

impl Drop for EndpointTimer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    spans: &Spans,
    req: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let answer = async {
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| e.to_string())?;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut out = client.request(parts.method, format!("{upstream}{path}"));
        for (name, value) in &parts.headers {
            if name != header::HOST && name != header::CONTENT_LENGTH {
                out = out.header(name, value);
            }
        }
        let resp = out.body(body).send().await.map_err(|e| e.to_string())?;
        let mut back = Response::builder().status(resp.status());
        for (name, value) in resp.headers() {
            if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
                back = back.header(name, value);
            }
        }
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        back.body(Body::from(bytes)).map_err(|e| e.to_string())
    }
    .await;
    spans.lock().expect("spans").push((started, Instant::now()));
    answer.unwrap_or_else(|e| {
        Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::from(e))
            .expect("a response")
    })
}
