//! Which child keys the data is written under, stored with the data (`CONFIG#CHILD-KEY`): the
//! key new data is written under, a switch to another key planned for a set time, and the keys
//! written under before, which are still read (plans until they are re-keyed; accesses until
//! they expire). Every function that holds the secret follows this state, not the secret, so
//! all of them agree on where a child's partition is, and a rotation never leaves a plan where
//! no lookup reads.
//!
//! A rotation, in operators' steps (docs/OPERATIONS.md):
//! 1. The secret holds both keys (`{"keys": [...]}`); the functions restart. Nothing changes.
//! 2. `switch`: writes move to the new key at a time set far enough ahead that every function
//!    has re-read the state ([`KEY_STATE_MAX_AGE`]) and reads under both keys before any plan
//!    is written under the new one.
//! 3. `rekey`: every live plan moves to its new-key partition (after the switch time).
//! 4. `retire`: once accesses under the old key have expired, it is no longer read; the secret
//!    may then drop it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::child_key::{ChildKeys, KeyFingerprint, Keyring};

/// How old a function's copy of the key state may grow before it re-reads it in the
/// background (the request that notices goes on with the copy it has).
pub const KEY_STATE_REFRESH: Duration = Duration::from_secs(60);

/// How old a copy may be used at all: past this a request waits for a fresh read. A switch is
/// planned at least [`MIN_SWITCH_LEAD`] ahead, longer than this, so a copy young enough to use
/// always knows of every switch already in effect.
pub const KEY_STATE_MAX_AGE: Duration = Duration::from_secs(2 * 60);

/// The shortest notice of a switch: [`KEY_STATE_MAX_AGE`] and a minute's margin for clocks.
pub const MIN_SWITCH_LEAD: Duration = Duration::from_secs(3 * 60);

/// A planned move of writes to another key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Switch {
    #[serde(flatten)]
    pub key: KeyFingerprint,
    pub at: DateTime<Utc>,
}

/// A key written under before: still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviousKey {
    #[serde(flatten)]
    pub key: KeyFingerprint,
    /// When writes left it.
    pub until: DateTime<Utc>,
    /// When every live plan written under it had moved to a newer key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekeyed_at: Option<DateTime<Utc>>,
}

/// The keys the data is written under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyState {
    /// The key writes go to (until a due switch).
    #[serde(flatten)]
    pub current: KeyFingerprint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Switch>,
    /// Newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous: Vec<PreviousKey>,
    /// Counts operators' changes (each is conditional on the revision it read).
    #[serde(default)]
    pub revision: u64,
}

/// Why an operator's step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("a switch to key {0} is already planned")]
    SwitchPending(String),
    #[error("key {0} is already the key data is written under")]
    AlreadyCurrent(String),
    #[error("key {0} was written under before; a retired or retiring key is not used again")]
    UsedBefore(String),
    #[error("plans written under key {0} have not all been re-keyed: run the rekey step first")]
    NotRekeyed(String),
    #[error("the switch to key {0} is planned for {1}; re-key after it")]
    NotYetSwitched(String, DateTime<Utc>),
    #[error("a switch needs at least {} seconds' notice", MIN_SWITCH_LEAD.as_secs())]
    TooSoon,
    #[error("key {0} is not a previous key")]
    NotPrevious(String),
    #[error("accesses under key {0} are kept until {1}; it can be retired after that")]
    AccessesKept(String, DateTime<Utc>),
}

/// Why this process cannot work under the stored state: keys it does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the secret does not hold key(s) {} that the data is written under", missing.join(", "))]
pub struct MissingKeys {
    pub missing: Vec<String>,
}

/// The keys one request works under: the write key first, then every other key read.
#[derive(Debug, Clone)]
pub struct ActiveKeys {
    keys: Vec<ChildKeys>,
}

impl ActiveKeys {
    /// Writes (and accesses) go under this key.
    pub fn write(&self) -> &ChildKeys {
        &self.keys[0]
    }

    /// Every key a child's partition may be under, the write key first.
    pub fn all(&self) -> &[ChildKeys] {
        &self.keys
    }
}

impl From<ChildKeys> for ActiveKeys {
    fn from(key: ChildKeys) -> Self {
        Self { keys: vec![key] }
    }
}

impl KeyState {
    /// The state of a table first written under `key`.
    pub fn new(key: KeyFingerprint) -> Self {
        Self {
            current: key,
            next: None,
            previous: Vec::new(),
            revision: 0,
        }
    }

    /// The same state with a switch that is due carried out.
    pub fn settled(&self, now: DateTime<Utc>) -> Self {
        let mut state = self.clone();
        if let Some(switch) = state.next.take_if(|s| s.at <= now) {
            let left = std::mem::replace(&mut state.current, switch.key);
            state.previous.insert(
                0,
                PreviousKey {
                    key: left,
                    until: switch.at,
                    rekeyed_at: None,
                },
            );
        }
        state
    }

    /// Every key the data may be under: current, planned, previous.
    pub fn read_keys(&self) -> impl Iterator<Item = &KeyFingerprint> {
        std::iter::once(&self.current)
            .chain(self.next.as_ref().map(|s| &s.key))
            .chain(self.previous.iter().map(|p| &p.key))
    }

    /// The keys to work under at `now`, from the secret's keys: refused when the secret lacks
    /// any key the data may be under (a function that cannot read a partition must not answer
    /// "no plan" for it).
    pub fn resolve(&self, ring: &Keyring, now: DateTime<Utc>) -> Result<ActiveKeys, MissingKeys> {
        let state = self.settled(now);
        let mut keys = Vec::new();
        let mut missing = Vec::new();
        for fp in state.read_keys() {
            match ring.find(fp) {
                Some(k) => keys.push(k.clone()),
                None => missing.push(fp.key_id.clone()),
            }
        }
        if missing.is_empty() {
            Ok(ActiveKeys { keys })
        } else {
            Err(MissingKeys { missing })
        }
    }

    fn knows(&self, key: &KeyFingerprint) -> Option<RotationError> {
        if self.current.canary == key.canary {
            return Some(RotationError::AlreadyCurrent(key.key_id.clone()));
        }
        self.previous
            .iter()
            .any(|p| p.key.canary == key.canary)
            .then(|| RotationError::UsedBefore(key.key_id.clone()))
    }

    /// Plans writes to move to `to` at `at` (at least [`MIN_SWITCH_LEAD`] after `now`).
    pub fn switch_to(
        &self,
        to: KeyFingerprint,
        now: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Self, RotationError> {
        let state = self.settled(now);
        if let Some(s) = &state.next {
            return Err(RotationError::SwitchPending(s.key.key_id.clone()));
        }
        if let Some(e) = state.knows(&to) {
            return Err(e);
        }
        if let Some(p) = state.previous.iter().find(|p| p.rekeyed_at.is_none()) {
            return Err(RotationError::NotRekeyed(p.key.key_id.clone()));
        }
        let lead = chrono::Duration::from_std(MIN_SWITCH_LEAD).expect("a few minutes");
        if at < now + lead {
            return Err(RotationError::TooSoon);
        }
        Ok(Self {
            next: Some(Switch { key: to, at }),
            revision: state.revision + 1,
            ..state
        })
    }

    /// Whether any previous key still has live plans to move.
    pub fn rekey_due(&self, now: DateTime<Utc>) -> Result<bool, RotationError> {
        if let Some(s) = &self.next {
            if s.at > now {
                return Err(RotationError::NotYetSwitched(s.key.key_id.clone(), s.at));
            }
        }
        Ok(self
            .settled(now)
            .previous
            .iter()
            .any(|p| p.rekeyed_at.is_none()))
    }

    /// Records that every live plan is under the current key.
    pub fn rekeyed(&self, now: DateTime<Utc>) -> Result<Self, RotationError> {
        self.rekey_due(now)?;
        let mut state = self.settled(now);
        for p in &mut state.previous {
            p.rekeyed_at.get_or_insert(now);
        }
        state.revision += 1;
        Ok(state)
    }

    /// Stops reading a previous key once every access under it has expired (`kept`: how long
    /// accesses are kept).
    pub fn retire(
        &self,
        key_id: &str,
        now: DateTime<Utc>,
        kept: chrono::Duration,
    ) -> Result<Self, RotationError> {
        let mut state = self.settled(now);
        let Some(i) = state.previous.iter().position(|p| p.key.key_id == key_id) else {
            return Err(RotationError::NotPrevious(key_id.to_owned()));
        };
        let old = &state.previous[i];
        if old.rekeyed_at.is_none() {
            return Err(RotationError::NotRekeyed(key_id.to_owned()));
        }
        // Functions that had not yet re-read the state wrote under it a little after `until`.
        let refresh = chrono::Duration::from_std(KEY_STATE_REFRESH).expect("a minute");
        let expired_at = old.until + refresh + kept;
        if now < expired_at {
            return Err(RotationError::AccessesKept(key_id.to_owned(), expired_at));
        }
        state.previous.remove(i);
        state.revision += 1;
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ring(ids: &[&str]) -> Keyring {
        let keys: Vec<String> = ids
            .iter()
            .map(|id| {
                format!(r#"{{"id": "{id}", "secret": "secret-{id}-0123456789abcdef0123456789"}}"#)
            })
            .collect();
        Keyring::from_secret(&format!(r#"{{"keys": [{}]}}"#, keys.join(","))).unwrap()
    }

    fn fp(id: &str) -> KeyFingerprint {
        ring(&[id]).first().fingerprint()
    }

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    fn ids(keys: &ActiveKeys) -> Vec<&str> {
        keys.all().iter().map(ChildKeys::id).collect()
    }

    #[test]
    fn a_rotation_reads_both_keys_from_the_plan_and_writes_the_new_one_from_the_switch() {
        let one = KeyState::new(fp("1"));
        let both = ring(&["1", "2"]);
        assert_eq!(ids(&one.resolve(&both, t(0)).unwrap()), ["1"]);
        assert_eq!(
            one.switch_to(fp("2"), t(0), t(2)),
            Err(RotationError::TooSoon)
        );
        let planned = one.switch_to(fp("2"), t(0), t(5)).unwrap();
        assert_eq!(planned.revision, 1);
        // Before the switch: written under 1, read under both.
        assert_eq!(ids(&planned.resolve(&both, t(1)).unwrap()), ["1", "2"]);
        // From the switch: written under 2, still read under 1.
        assert_eq!(ids(&planned.resolve(&both, t(5)).unwrap()), ["2", "1"]);
        // A function without the new key stops as soon as a switch is planned.
        assert_eq!(
            planned.resolve(&ring(&["1"]), t(1)).unwrap_err().missing,
            ["2"]
        );
        assert!(matches!(
            planned.rekeyed(t(4)),
            Err(RotationError::NotYetSwitched(..))
        ));
        assert!(planned.rekey_due(t(6)).unwrap());
        let rekeyed = planned.rekeyed(t(6)).unwrap();
        assert!(!rekeyed.rekey_due(t(7)).unwrap());
        assert_eq!(rekeyed.current, fp("2"));
        assert_eq!(rekeyed.previous[0].until, t(5));
        // Accesses under 1 are read until they have expired, then 1 may go.
        let kept = chrono::Duration::days(730);
        assert!(matches!(
            rekeyed.retire("1", t(60 * 24 * 700), kept),
            Err(RotationError::AccessesKept(..))
        ));
        let retired = rekeyed.retire("1", t(5) + kept + chrono::Duration::minutes(1), kept);
        let retired = retired.unwrap();
        assert_eq!(ids(&retired.resolve(&ring(&["2"]), t(0)).unwrap()), ["2"]);
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let planned = KeyState::new(fp("1"))
            .switch_to(fp("2"), t(0), t(5))
            .unwrap();
        assert_eq!(
            planned.switch_to(fp("3"), t(1), t(10)),
            Err(RotationError::SwitchPending("2".into()))
        );
        // Switched but not re-keyed: no new rotation, no retirement.
        assert_eq!(
            planned.switch_to(fp("3"), t(6), t(20)),
            Err(RotationError::NotRekeyed("1".into()))
        );
        assert_eq!(
            planned.retire("1", t(60 * 24 * 1000), chrono::Duration::days(1)),
            Err(RotationError::NotRekeyed("1".into()))
        );
        let rekeyed = planned.rekeyed(t(6)).unwrap();
        assert_eq!(
            rekeyed.switch_to(fp("1"), t(7), t(20)),
            Err(RotationError::UsedBefore("1".into()))
        );
        assert_eq!(
            rekeyed.switch_to(fp("2"), t(7), t(20)),
            Err(RotationError::AlreadyCurrent("2".into()))
        );
        assert_eq!(
            rekeyed.retire("9", t(7), chrono::Duration::days(1)),
            Err(RotationError::NotPrevious("9".into()))
        );
    }

    #[test]
    fn the_stored_form_reads_the_fingerprint_item_written_before_rotations_existed() {
        let legacy = serde_json::json!({"keyId": "1", "canary": fp("1").canary});
        let state: KeyState = serde_json::from_value(legacy).unwrap();
        assert_eq!(state, KeyState::new(fp("1")));
        let planned = state.switch_to(fp("2"), t(0), t(5)).unwrap();
        let text = serde_json::to_value(&planned).unwrap();
        assert_eq!(text["next"]["keyId"], "2");
        assert_eq!(serde_json::from_value::<KeyState>(text).unwrap(), planned);
    }
}
