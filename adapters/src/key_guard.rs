//! Lookup and plan writes work only under the child keys the data is written under
//! (`cpindex::KeyState`, stored with the data). A changed secret (rotation switched on, a stack
//! re-created after a restore, a wrong local key) would otherwise make every child on a plan
//! look up as "no plan" and file new plans where no lookup finds them. The guard reads the
//! state at start; once its copy is older than [`KEY_STATE_REFRESH`] it re-reads it beside the
//! request that noticed (no request waits for it), and a copy older than [`KEY_STATE_MAX_AGE`]
//! (a process idle that long) is read again before the request goes on. A rotation's switch is
//! planned further ahead than that, so it reaches every process before it takes effect. When
//! the secret lacks a key the data may be under, every request answers 503 and
//! one configuration fault is logged, which the `ConfigurationFaults` alarm counts. A handler
//! runs only with the keys resolved, so nothing is written under a wrong key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cpindex::key_state::{MissingKeys, KEY_STATE_MAX_AGE, KEY_STATE_REFRESH};
use cpindex::{ActiveKeys, Clock, KeyState, Keyring, Problem};

use crate::edge::ApiError;
use crate::store::key_state::KeyStateStore;
use crate::store::{StoreError, Table};

/// Why the keys cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFault {
    /// The data is (or may be) under a key the secret does not hold: an operator must act.
    #[error("the child key secret does not match the data")]
    Mismatch(#[from] MissingKeys),
    /// The state could not be read: try again.
    #[error("the child key state could not be read")]
    Store(#[from] StoreError),
}

struct Known {
    state: KeyState,
    read_at: Instant,
}

struct Inner {
    store: KeyStateStore,
    ring: Keyring,
    clock: Arc<dyn Clock>,
    /// Re-read in the background from this age; wait for a read from `max_age`.
    refresh: Duration,
    max_age: Duration,
    known: Mutex<Option<Known>>,
    /// A background read is under way.
    refreshing: AtomicBool,
    /// Whether the last resolution was a fault (one log line per change, not per request).
    faulted: Mutex<bool>,
}

/// The check, shared by every request of one process.
#[derive(Clone)]
pub struct KeyGuard(Arc<Inner>);

impl KeyGuard {
    pub fn new(table: Table, ring: Keyring, clock: Arc<dyn Clock>) -> Self {
        Self(Arc::new(Inner {
            store: KeyStateStore::new(table),
            ring,
            clock,
            refresh: KEY_STATE_REFRESH,
            max_age: KEY_STATE_MAX_AGE,
            known: Mutex::new(None),
            refreshing: AtomicBool::new(false),
            faulted: Mutex::new(false),
        }))
    }

    /// The same guard re-reading the state from this age (and waiting for it from twice this
    /// age): tests of a rotation, which cannot wait minutes.
    pub fn refreshing_every(self, refresh: Duration) -> Self {
        let inner = Arc::into_inner(self.0).expect("set before the guard is shared");
        Self(Arc::new(Inner {
            refresh,
            max_age: refresh * 2,
            ..inner
        }))
    }

    async fn read(&self) -> Result<KeyState, StoreError> {
        let read_at = Instant::now();
        let state = self
            .0
            .store
            .load_or_claim(&self.0.ring.first().fingerprint())
            .await?;
        *self.0.known.lock().expect("key guard lock") = Some(Known {
            state: state.clone(),
            read_at,
        });
        Ok(state)
    }

    async fn state(&self) -> Result<KeyState, StoreError> {
        let cached = {
            let known = self.0.known.lock().expect("key guard lock");
            known
                .as_ref()
                .map(|k| (k.state.clone(), k.read_at.elapsed()))
        };
        match cached {
            Some((state, age)) if age < self.0.refresh => Ok(state),
            Some((state, age)) if age < self.0.max_age => {
                if !self.0.refreshing.swap(true, Ordering::AcqRel) {
                    let guard = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = guard.read().await {
                            tracing::warn!(error = %cpindex::log::chain(&e), "the child key state could not be re-read; the next request tries again");
                        }
                        guard.0.refreshing.store(false, Ordering::Release);
                    });
                }
                Ok(state)
            }
            _ => self.read().await,
        }
    }

    /// The keys to work under now: `Err` when the secret lacks a key the data may be under, or
    /// the state cannot be read.
    pub async fn keys(&self) -> Result<ActiveKeys, KeyFault> {
        let state = self.state().await?;
        let resolved = state.resolve(&self.0.ring, self.0.clock.now());
        let was_faulted = {
            let mut faulted = self.0.faulted.lock().expect("key guard lock");
            std::mem::replace(&mut *faulted, resolved.is_err())
        };
        match resolved {
            Ok(keys) => Ok(keys),
            Err(missing) => {
                let fault = KeyFault::from(missing);
                if !was_faulted {
                    tracing::error!(
                        event = cpindex::log::MISCONFIGURED, service = "child-key",
                        resource = "child key secret", code = "KeyMismatch",
                        error = %cpindex::log::chain(&fault),
                        "every request will answer 503 until the secret holds every key the data is under (docs/OPERATIONS.md)"
                    );
                }
                Err(fault)
            }
        }
    }
}

/// Axum middleware: a request runs only with its keys resolved (handed to it as the
/// [`ActiveKeys`] extension); otherwise 503 with Retry-After (never "no plan", never a write).
pub async fn require_key(State(guard): State<KeyGuard>, mut req: Request, next: Next) -> Response {
    match guard.keys().await {
        Ok(keys) => {
            req.extensions_mut().insert(keys);
            next.run(req).await
        }
        Err(KeyFault::Store(e)) => ApiError::from(Problem::from(e)).into_response(),
        Err(KeyFault::Mismatch(_)) => ApiError::from(Problem::store_unavailable()).into_response(),
    }
}
