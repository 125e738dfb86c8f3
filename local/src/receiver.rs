//! A local webhook receiver, so a newcomer sees alerts arrive: it verifies the signature exactly
//! as an LA should (docs/ALERTS.md) and prints one line per alert (NHS number masked).

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use cpindex::signing;

/// The local file holding an LA's webhook secret (the reference the demo profiles use).
pub fn secret_ref(org: &str) -> String {
    format!("{WEBHOOK_SECRET_PREFIX}{org}")
}

/// Where the local stack's webhook secrets are named (the template's default prefix): each is
/// the file `.local/secrets/<name with / as _>`.
pub const WEBHOOK_SECRET_PREFIX: &str = "cpindex/webhook/";

/// `POST /local/webhooks/{org}`.
pub async fn receive(
    State(secrets_dir): State<PathBuf>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let file = secrets_dir.join(secret_ref(&org).replace('/', "_"));
    let Ok(secret) = std::fs::read_to_string(&file) else {
        println!(
            "webhook {org}: no local secret at {}; refusing",
            file.display()
        );
        return StatusCode::UNAUTHORIZED;
    };
    let verified = signing::verify_any(
        &secret,
        &header(signing::SIGNATURE_HEADER),
        &header(signing::TIMESTAMP_HEADER),
        chrono::Utc::now().timestamp(),
        &body,
    );
    if !verified {
        println!("webhook {org}: signature check FAILED; refusing");
        return StatusCode::UNAUTHORIZED;
    }
    let alert: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let masked = alert["nhsNumber"]
        .as_str()
        .and_then(|n| cpindex::NhsNumber::parse(n).ok())
        .map(|n| n.masked())
        .unwrap_or_else(|| "?".into());
    println!(
        "ALERT to {org}: child {masked} seen at {} ({}) by {} at {}  [signature verified, key {}]",
        alert["setting"]["code"].as_str().unwrap_or("?"),
        alert["setting"]["name"].as_str().unwrap_or("-"),
        alert["seenBy"]["userId"].as_str().unwrap_or("?"),
        alert["seenAt"].as_str().unwrap_or("?"),
        header(signing::IDEMPOTENCY_HEADER),
    );
    StatusCode::NO_CONTENT
}
