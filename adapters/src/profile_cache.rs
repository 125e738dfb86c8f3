//! The LAs' profiles as lookups show them (whom a clinician calls comes from the profile only).
//! A lookup must not wait for them: all profiles (one per LA, a few hundred at most) are read
//! at start into a copy shared by every request, re-read beside the request that finds the copy
//! a minute old, and read again before the request when the copy is five minutes old (a process
//! idle that long) or when it lacks an LA a plan names and is over a second old (a profile
//! set up since). So a vetted number changed by an operator reaches lookups within a minute or
//! two, and the lookup stays one store round trip.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cpindex::profile::LaProfile;
use cpindex::OrgCode;

use crate::store::notifications::NotificationStore;
use crate::store::{StoreError, Table};

/// Re-read beside a request from this age.
pub const PROFILES_REFRESH: Duration = Duration::from_secs(60);
/// Read before the request from this age.
pub const PROFILES_MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// A copy lacking a wanted LA is read again from this age.
pub const PROFILES_MISS_AGE: Duration = Duration::from_secs(1);

/// Every LA's profile, by organisation.
pub type Profiles = Arc<HashMap<OrgCode, LaProfile>>;

struct Inner {
    store: NotificationStore,
    copy: Mutex<Option<(Profiles, Instant)>>,
    refreshing: AtomicBool,
}

/// The shared copy of the profiles.
#[derive(Clone)]
pub struct ProfileCache(Arc<Inner>);

impl ProfileCache {
    pub fn new(table: Table) -> Self {
        Self(Arc::new(Inner {
            store: NotificationStore::new(table),
            copy: Mutex::new(None),
            refreshing: AtomicBool::new(false),
        }))
    }

    async fn read(&self) -> Result<Profiles, StoreError> {
        let read_at = Instant::now();
        let all: Profiles = Arc::new(
            self.0
                .store
                .profiles()
                .await?
                .into_iter()
                .map(|p| (p.org.clone(), p))
                .collect(),
        );
        *self.0.copy.lock().expect("profile cache lock") = Some((all.clone(), read_at));
        Ok(all)
    }

    /// The profiles, fresh enough to show, holding every one of `wanted` that exists.
    pub async fn holding<'a>(
        &self,
        wanted: impl IntoIterator<Item = &'a OrgCode>,
    ) -> Result<Profiles, StoreError> {
        let copy = self.0.copy.lock().expect("profile cache lock").clone();
        let Some((all, read_at)) = copy else {
            return self.read().await;
        };
        let age = read_at.elapsed();
        let lacking = wanted.into_iter().any(|org| !all.contains_key(org));
        if age >= PROFILES_MAX_AGE || (lacking && age >= PROFILES_MISS_AGE) {
            return self.read().await;
        }
        if age >= PROFILES_REFRESH && !self.0.refreshing.swap(true, Ordering::AcqRel) {
            let cache = self.clone();
            tokio::spawn(async move {
                if let Err(e) = cache.read().await {
                    tracing::warn!(error = %cpindex::log::chain(&e), "LA profiles could not be re-read; the next request tries again");
                }
                cache.0.refreshing.store(false, Ordering::Release);
            });
        }
        Ok(all)
    }
}
