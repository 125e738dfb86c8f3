//! An operator's steps of a child key rotation (`cpindex::key_state` says why they are in this
//! order): run by `cpindex child-key` with the break-glass role, which alone may read the
//! secret besides the two functions that use it. Each step changes the stored key state only
//! on the revision it read, so two operators cannot interleave.

use chrono::{DateTime, Utc};
use cpindex::key_state::{MissingKeys, RotationError};
use cpindex::keys::{keep, Entity};
use cpindex::{KeyState, Keyring, PlanState, Retention};

use crate::store::key_state::KeyStateStore;
use crate::store::plans::{decode_record, PlanStore};
use crate::store::{Index, StoreError, Table};

/// Why a step did nothing.
#[derive(Debug, thiserror::Error)]
pub enum RotationFault {
    #[error("refused")]
    Refused(#[from] RotationError),
    #[error("the secret given does not hold every key the data is under")]
    Missing(#[from] MissingKeys),
    #[error("the secret holds no key with id {0}")]
    UnknownKey(String),
    #[error("no key state is recorded: no function has started on this table")]
    NoState,
    #[error("the key state changed while this step ran: look at it again")]
    Changed,
    #[error("the table could not be read or written")]
    Store(#[source] StoreError),
}

impl From<StoreError> for RotationFault {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed { .. } => Self::Changed,
            e => Self::Store(e),
        }
    }
}

/// What the re-key step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Plan records read.
    pub plans: u64,
    /// Moved to the current key by this run.
    pub moved: u64,
    /// Changed by their LA while the step ran (such a write goes under the current key).
    pub changed_meanwhile: u64,
    /// Under a key that is not this child's under any key the secret holds: left, and logged.
    pub unrecognised: u64,
}

/// The rotation steps over one table, with the secret's keys.
pub struct Rotation {
    table: Table,
    state: KeyStateStore,
    plans: PlanStore,
    ring: Keyring,
}

/// Plan records read per page of the re-key scan.
const REKEY_PAGE: usize = 500;

impl Rotation {
    pub fn new(table: Table, ring: Keyring, retention: Retention) -> Self {
        Self {
            state: KeyStateStore::new(table.clone()),
            plans: PlanStore::new(table.clone(), retention),
            table,
            ring,
        }
    }

    /// The stored state.
    pub async fn status(&self) -> Result<KeyState, RotationFault> {
        self.state.load().await?.ok_or(RotationFault::NoState)
    }

    async fn change(
        &self,
        step: impl FnOnce(&KeyState) -> Result<KeyState, RotationError>,
    ) -> Result<KeyState, RotationFault> {
        let read = self.status().await?;
        let next = step(&read)?;
        self.state.replace(&read, &next).await?;
        Ok(next)
    }

    /// Plans writes to move to the secret's key `to` at `at`.
    pub async fn switch(
        &self,
        to: &str,
        now: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<KeyState, RotationFault> {
        let key = self
            .ring
            .by_id(to)
            .ok_or_else(|| RotationFault::UnknownKey(to.to_owned()))?
            .fingerprint();
        // The secret must already hold every key the functions will need after the switch.
        let planned = self.status().await?.switch_to(key, now, at)?;
        planned.resolve(&self.ring, at)?;
        self.change(|s| s.switch_to(planned.next.clone().expect("planned").key, now, at))
            .await
    }

    /// Moves every live plan under a previous key to the current key, then records that no
    /// plan is left under a previous key. `progress` hears after each page.
    pub async fn rekey(
        &self,
        now: DateTime<Utc>,
        mut progress: impl FnMut(&RekeyReport),
    ) -> Result<(KeyState, RekeyReport), RotationFault> {
        let state = self.status().await?;
        let mut report = RekeyReport::default();
        if !state.rekey_due(now)? {
            return Ok((state, report));
        }
        let keys = state.resolve(&self.ring, now)?;
        let mut start = None;
        loop {
            // Plan records are listed in GSI1 (per LA): a scan of the index reads them and
            // little else (no accesses, no projections).
            let (items, next) = self
                .table
                .scan_page(Index::Gsi1, 0, 1, REKEY_PAGE, start)
                .await?;
            for item in items {
                let is_record = item
                    .get(cpindex::keys::attr::ENTITY)
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|e| e == Entity::PlanRecord.as_str());
                if !is_record {
                    continue;
                }
                let record = decode_record(item)?;
                report.plans += 1;
                if record.state != PlanState::Live {
                    continue;
                }
                let to = keys.write().of(&record.nhs_number);
                if record.child == to {
                    continue;
                }
                if !keys
                    .all()
                    .iter()
                    .any(|k| k.of(&record.nhs_number) == record.child)
                {
                    tracing::error!(org = %record.org, plan_ref = %record.plan_ref, "a plan is under no key the secret holds: left where it is");
                    report.unrecognised += 1;
                    continue;
                }
                if self.plans.rekey(&record, to, now).await? {
                    report.moved += 1;
                } else {
                    report.changed_meanwhile += 1;
                }
            }
            progress(&report);
            match next {
                Some(n) => start = Some(n),
                None => break,
            }
        }
        if report.unrecognised > 0 {
            return Ok((state, report));
        }
        let done = self.change(|s| s.rekeyed(now)).await?;
        Ok((done, report))
    }

    /// Stops reading the previous key `key_id` (once accesses under it have expired).
    pub async fn retire(
        &self,
        key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyState, RotationFault> {
        let kept = chrono::Duration::days(keep::ACCESS_DAYS);
        self.change(|s| s.retire(key_id, now, kept)).await
    }
}
