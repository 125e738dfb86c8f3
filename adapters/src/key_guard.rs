//! Lookup and plan writes refuse to work under a child key the data was not written under: a
//! changed secret (rotation switched on, a stack re-created after a restore, a wrong local key)
//! would otherwise make every child on a plan look up as "no plan" and file new plans where no
//! lookup finds them. The guard compares the key's fingerprint with the one stored with the data
//! once (at start, or on the first request if the store could not be read then) and, on a
//! mismatch, answers every request 503 and logs one configuration fault, which the
//! `ConfigurationFaults` alarm counts. It never lets a handler run, so nothing is written.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cpindex::{ChildKeys, KeyFingerprint, Problem};

use crate::edge::ApiError;
use crate::store::key_fingerprint::{KeyCheck, KeyFingerprintStore};
use crate::store::{StoreError, Table};

/// Why the key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFault {
    /// The data was written under another key: an operator must act.
    #[error("the child key (id {ours}) is not the key the data was written under (id {stored})")]
    Mismatch { ours: String, stored: String },
    /// The fingerprint could not be read: try again.
    #[error("the child key could not be checked")]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Unchecked,
    Verified,
    /// The data's key id.
    Mismatch(String),
}

struct Inner {
    store: KeyFingerprintStore,
    ours: KeyFingerprint,
    verdict: Mutex<Verdict>,
}

/// The check, shared by every request of one process.
#[derive(Clone)]
pub struct KeyGuard(Arc<Inner>);

impl KeyGuard {
    pub fn new(table: Table, keys: &ChildKeys) -> Self {
        Self(Arc::new(Inner {
            store: KeyFingerprintStore::new(table),
            ours: keys.fingerprint(),
            verdict: Mutex::new(Verdict::Unchecked),
        }))
    }

    fn mismatch(&self, stored: String) -> KeyFault {
        KeyFault::Mismatch {
            ours: self.0.ours.key_id.clone(),
            stored,
        }
    }

    /// Checks the key unless that is done: `Ok` when the data was written under it.
    pub async fn check(&self) -> Result<(), KeyFault> {
        let known = self.0.verdict.lock().expect("key guard lock").clone();
        match known {
            Verdict::Verified => return Ok(()),
            Verdict::Mismatch(stored) => return Err(self.mismatch(stored)),
            Verdict::Unchecked => {}
        }
        let (verdict, result) = match self.0.store.check(&self.0.ours).await? {
            KeyCheck::Matches | KeyCheck::Claimed => (Verdict::Verified, Ok(())),
            KeyCheck::Mismatch { stored } => (
                Verdict::Mismatch(stored.key_id.clone()),
                Err(self.mismatch(stored.key_id)),
            ),
        };
        let first = {
            let mut known = self.0.verdict.lock().expect("key guard lock");
            let first = *known == Verdict::Unchecked;
            *known = verdict;
            first
        };
        if let (Err(fault), true) = (&result, first) {
            // Once per process: the alarm counts faults, not requests.
            tracing::error!(
                event = cpindex::log::MISCONFIGURED, service = "child-key",
                resource = "child key secret", code = "KeyMismatch",
                error = %cpindex::log::chain(fault),
                "every request will answer 503 until the right key is configured (docs/OPERATIONS.md)"
            );
        }
        result
    }
}

/// Axum middleware: a request runs only under a verified key; otherwise 503 with Retry-After
/// (never "no plan", never a write).
pub async fn require_key(State(guard): State<KeyGuard>, req: Request, next: Next) -> Response {
    match guard.check().await {
        Ok(()) => next.run(req).await,
        Err(KeyFault::Store(e)) => ApiError::from(Problem::from(e)).into_response(),
        Err(KeyFault::Mismatch { .. }) => {
            ApiError::from(Problem::store_unavailable()).into_response()
        }
    }
}
