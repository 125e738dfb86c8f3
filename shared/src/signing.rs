//! Webhook signatures. An LA verifies that an alert came from us by recomputing
//! `HMAC-SHA256(secret, "<timestamp>.<body>")` and comparing it with a `v1=` value of the
//! signature header, and by refusing timestamps older than five minutes (replays).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying the Unix timestamp (seconds) that was signed.
pub const TIMESTAMP_HEADER: &str = "x-cpindex-timestamp";
/// Header carrying one `v1=<hex>` per active secret, comma separated (two during a rotation).
pub const SIGNATURE_HEADER: &str = "x-cpindex-signature";
/// Header carrying the notification id: the same on every retry of one alert.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Receivers should refuse signatures older than this.
pub const MAX_AGE_SECONDS: i64 = 300;

/// The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The signature header value for every secret (the first is the current one).
pub fn signature_header(secrets: &[Vec<u8>], timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| format!("v1={}", sign(s, timestamp, body)))
        .collect::<Vec<_>>()
        .join(",")
}

/// What a receiver does: true when any `v1=` value matches `secret` and the timestamp is fresh.
pub fn verify(secret: &[u8], header: &str, timestamp: i64, now: i64, body: &[u8]) -> bool {
    if (now - timestamp).abs() > MAX_AGE_SECONDS {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    header
        .split(',')
        .filter_map(|v| v.trim().strip_prefix("v1="))
        .any(|hex_sig| {
            // Constant-time comparison through the MAC itself.
            hex::decode(hex_sig).is_ok_and(|sig| mac.clone().verify_slice(&sig).is_ok())
        })
}

/// Splits a stored secret into its active keys: one per line (current first, then the one being
/// retired during a rotation).
/// What a receiver does with an alert's headers: the signature checked against every secret in
/// `secret_text` (one per line while a secret is rotated) at the stated `timestamp`.
pub fn verify_any(
    secret_text: &str,
    signature: &str,
    timestamp: &str,
    now: i64,
    body: &[u8],
) -> bool {
    let ts: i64 = timestamp.trim().parse().unwrap_or(0);
    secrets_from(secret_text)
        .iter()
        .any(|s| verify(s, signature, ts, now, body))
}

pub fn secrets_from(value: &str) -> Vec<Vec<u8>> {
    value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_the_docs() {
        // docs/ALERTS.md walks through exactly this computation.
        let sig = sign(b"whsec_demo", 1_795_000_000, br#"{"notificationId":"n1"}"#);
        // The expected value was computed independently (Python's hmac module), as an LA would.
        assert_eq!(
            sig,
            "1eaa955c4f2e22b114fab4b6c5a7fda293ea85e51ba66c79a601ebd139828f95"
        );
        assert!(verify(
            b"whsec_demo",
            &format!("v1={sig}"),
            1_795_000_000,
            1_795_000_100,
            br#"{"notificationId":"n1"}"#
        ));
    }

    #[test]
    fn tampering_wrong_secret_and_old_timestamps_fail() {
        let body = b"{}";
        let header = signature_header(&[b"k1".to_vec()], 1000, body);
        assert!(verify(b"k1", &header, 1000, 1000, body));
        assert!(!verify(b"k2", &header, 1000, 1000, body));
        assert!(!verify(b"k1", &header, 1000, 1000, b"{ }"));
        assert!(
            !verify(b"k1", &header, 1001, 1001, body),
            "the timestamp is signed"
        );
        assert!(!verify(
            b"k1",
            &header,
            1000,
            1000 + MAX_AGE_SECONDS + 1,
            body
        ));
    }

    #[test]
    fn during_a_rotation_either_secret_verifies() {
        let header = signature_header(&secrets_from("new\nold\n"), 5, b"x");
        assert_eq!(header.matches("v1=").count(), 2);
        assert!(verify(b"new", &header, 5, 5, b"x"));
        assert!(verify(b"old", &header, 5, 5, b"x"));
        assert!(!verify(b"other", &header, 5, 5, b"x"));
    }
}
