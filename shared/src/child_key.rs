//! The child's key: a keyed pseudonym of the NHS number, `HMAC-SHA-256(secret, digits)`. It is
//! the child's partition key, and accesses and queued alerts carry it instead of the number, so
//! no stored item about a child without a plan holds that child's NHS number in clear. Whoever
//! holds the secret (the lookup, the plan writer, and through them an authorised operator) can
//! still answer "who looked up this NHS number?"; whoever holds only the table or a queue cannot.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::nhs_number::NhsNumber;

/// Hex digits in a child key (the whole HMAC: a collision would merge two children's records).
pub const CHILD_KEY_LEN: usize = 64;

/// Shortest secret accepted: the HMAC's own output size, as RFC 2104 advises.
pub const MIN_SECRET_BYTES: usize = 32;

/// One child's key (lower-case hex); valid by construction.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChildKey(String);

/// Why a stored value or a secret is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChildKeyError {
    #[error("a child key is {CHILD_KEY_LEN} lower-case hex digits")]
    Malformed,
    #[error("the child key secret is shorter than {MIN_SECRET_BYTES} bytes")]
    SecretTooShort,
    #[error("a keyring holds at least one key, each with its own id")]
    Keyring,
}

impl ChildKey {
    pub fn parse(raw: &str) -> Result<Self, ChildKeyError> {
        let ok = raw.len() == CHILD_KEY_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ChildKeyError::Malformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChildKey {
    type Error = ChildKeyError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ChildKey> for String {
    fn from(k: ChildKey) -> Self {
        k.0
    }
}

impl fmt::Display for ChildKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChildKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChildKey({})", &self.0[..8])
    }
}

/// The id of a secret given as a bare value (no `{"id": ..., "secret": ...}` wrapper).
pub const DEFAULT_KEY_ID: &str = "1";

/// The fixed text whose MAC identifies a secret without revealing it.
const CANARY: &[u8] = b"cpindex: child key canary, v1";

/// What the data says about the key it was written under: the key's id and the MAC of a fixed
/// canary. Stored once with the data; lookup and plan writes compare theirs with it at start,
/// so a changed secret is an outage, never a quiet "no plan" for every child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFingerprint {
    pub key_id: String,
    /// Hex HMAC-SHA-256 of the canary under the key.
    pub canary: String,
}

/// The secret that turns NHS numbers into child keys. Held only by the functions whose input is
/// an NHS number (lookup, plan writes); everything else works from stored keys.
#[derive(Clone)]
pub struct ChildKeys {
    mac: Hmac<Sha256>,
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifiedSecret {
    id: String,
    secret: String,
}

/// A secret holding several keys, while a rotation is under way.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringSecret {
    keys: Vec<IdentifiedSecret>,
}

impl ChildKeys {
    /// From the secret's value (Secrets Manager's string, or the local state file's contents):
    /// the secret itself (its id is [`DEFAULT_KEY_ID`]), or `{"id": "<id>", "secret": "<secret>"}`.
    pub fn from_secret(secret: &str) -> Result<Self, ChildKeyError> {
        let secret = secret.trim();
        let (id, secret) = match serde_json::from_str::<IdentifiedSecret>(secret) {
            Ok(s) => (s.id, s.secret),
            Err(_) => (DEFAULT_KEY_ID.to_owned(), secret.to_owned()),
        };
        Self::identified(id, &secret)
    }

    fn identified(id: String, secret: &str) -> Result<Self, ChildKeyError> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ChildKeyError::SecretTooShort);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .expect("HMAC takes keys of any length");
        Ok(Self { mac, id })
    }

    /// The key's id (as the secret names it; only the canary decides whether two keys agree).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// This key's id and canary MAC, to compare with what the data was written under.
    pub fn fingerprint(&self) -> KeyFingerprint {
        let mut mac = self.mac.clone();
        mac.update(CANARY);
        KeyFingerprint {
            key_id: self.id.clone(),
            canary: hex::encode(mac.finalize().into_bytes()),
        }
    }

    /// A fresh MAC under this key (`crate::demographics` keys demographics with it).
    pub(crate) fn mac_for_demographics(&self) -> Hmac<Sha256> {
        self.mac.clone()
    }

    /// The child key of `nhs`.
    pub fn of(&self, nhs: &NhsNumber) -> ChildKey {
        let mut mac = self.mac.clone();
        mac.update(nhs.digits().as_bytes());
        ChildKey(hex::encode(mac.finalize().into_bytes()))
    }
}

/// Every key the secret holds: one, or (while a rotation is under way) several. Which one writes
/// and which are read is decided by the key state stored with the data
/// (`cpindex::key_state::KeyState`), never by the secret, so that every function agrees.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<ChildKeys>,
}

impl Keyring {
    /// From the secret's value: a bare secret, `{"id", "secret"}`, or
    /// `{"keys": [{"id", "secret"}, ...]}` (the first claims an empty table).
    pub fn from_secret(secret: &str) -> Result<Self, ChildKeyError> {
        let keys = match serde_json::from_str::<KeyringSecret>(secret.trim()) {
            Ok(ring) => ring
                .keys
                .into_iter()
                .map(|k| ChildKeys::identified(k.id, &k.secret))
                .collect::<Result<Vec<_>, _>>()?,
            Err(_) => vec![ChildKeys::from_secret(secret)?],
        };
        let mut ids: Vec<&str> = keys.iter().map(ChildKeys::id).collect();
        ids.sort_unstable();
        ids.dedup();
        if keys.is_empty() || ids.len() != keys.len() {
            return Err(ChildKeyError::Keyring);
        }
        Ok(Self { keys })
    }

    /// The key that claims an empty table.
    pub fn first(&self) -> &ChildKeys {
        &self.keys[0]
    }

    /// The key with this fingerprint's canary, if the secret holds it.
    pub fn find(&self, fingerprint: &KeyFingerprint) -> Option<&ChildKeys> {
        self.keys
            .iter()
            .find(|k| k.fingerprint().canary == fingerprint.canary)
    }

    /// The key the secret names `id`.
    pub fn by_id(&self, id: &str) -> Option<&ChildKeys> {
        self.keys.iter().find(|k| k.id == id)
    }
}

impl From<ChildKeys> for Keyring {
    fn from(key: ChildKeys) -> Self {
        Self { keys: vec![key] }
    }
}

impl fmt::Debug for ChildKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChildKeys(id {}, <secret>)", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_fingerprint_tells_keys_apart_and_reveals_neither() {
        let a = ChildKeys::from_secret(SECRET).unwrap();
        let b = ChildKeys::from_secret(&format!("{SECRET}x")).unwrap();
        let wrapped =
            ChildKeys::from_secret(&format!(r#"{{"id": "2026-12", "secret": "{SECRET}"}}"#))
                .unwrap();
        assert_eq!(a.fingerprint().key_id, DEFAULT_KEY_ID);
        assert_eq!(wrapped.fingerprint().key_id, "2026-12");
        // The same secret under another id keys children the same way, and its canary agrees.
        assert_eq!(a.fingerprint().canary, wrapped.fingerprint().canary);
        assert_eq!(a.of(&nhs("9434765919")), wrapped.of(&nhs("9434765919")));
        assert_ne!(a.fingerprint().canary, b.fingerprint().canary);
        assert!(!a.fingerprint().canary.contains(SECRET));
        assert!(!format!("{a:?}").contains(SECRET));
    }

    fn nhs(raw: &str) -> NhsNumber {
        NhsNumber::parse(raw).unwrap()
    }

    #[test]
    fn a_key_is_stable_and_depends_on_the_secret() {
        let a = ChildKeys::from_secret(SECRET).unwrap();
        let b = ChildKeys::from_secret(&SECRET.replace('0', "1")).unwrap();
        let n = nhs("9434765919");
        assert_eq!(a.of(&n), a.of(&n));
        assert_ne!(a.of(&n), b.of(&n));
        assert_ne!(a.of(&n), a.of(&nhs("9434765870")));
        assert_eq!(a.of(&n).as_str().len(), CHILD_KEY_LEN);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            ChildKeys::from_secret(&SECRET[..31]).unwrap_err(),
            ChildKeyError::SecretTooShort
        );
        assert!(ChildKeys::from_secret(&format!("  {SECRET}\n")).is_ok());
    }

    #[test]
    fn neither_debug_form_shows_the_secret_or_the_whole_key() {
        let keys = ChildKeys::from_secret(SECRET).unwrap();
        assert!(!format!("{keys:?}").contains("0123"));
        let k = keys.of(&nhs("9434765919"));
        assert!(!format!("{k:?}").contains(k.as_str()));
    }

    #[test]
    fn a_keyring_holds_each_form_of_the_secret_and_finds_keys_by_canary() {
        let other = "fedcba9876543210fedcba9876543210";
        let ring = Keyring::from_secret(&format!(
            r#"{{"keys": [{{"id": "2", "secret": "{other}"}}, {{"id": "1", "secret": "{SECRET}"}}]}}"#
        ))
        .unwrap();
        assert_eq!(ring.first().id(), "2");
        let bare = ChildKeys::from_secret(SECRET).unwrap();
        assert_eq!(ring.find(&bare.fingerprint()).unwrap().id(), "1");
        assert_eq!(
            ring.by_id("2").unwrap().fingerprint().canary,
            ChildKeys::from_secret(other).unwrap().fingerprint().canary
        );
        assert!(ring.by_id("3").is_none());
        assert_eq!(
            Keyring::from_secret(SECRET).unwrap().first().id(),
            DEFAULT_KEY_ID
        );
        for bad in [
            r#"{"keys": []}"#.to_owned(),
            format!(
                r#"{{"keys": [{{"id": "1", "secret": "{SECRET}"}}, {{"id": "1", "secret": "{other}"}}]}}"#
            ),
        ] {
            assert_eq!(
                Keyring::from_secret(&bad).unwrap_err(),
                ChildKeyError::Keyring,
                "{bad}"
            );
        }
        assert_eq!(
            Keyring::from_secret(r#"{"keys": [{"id": "1", "secret": "short"}]}"#).unwrap_err(),
            ChildKeyError::SecretTooShort
        );
    }

    proptest! {
        #[test]
        fn only_64_lower_case_hex_digits_parse(raw in prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F]{63,65}", ".{0,70}"]) {
            let valid = raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
            prop_assert_eq!(ChildKey::parse(&raw).is_ok(), valid);
        }
    }
}
