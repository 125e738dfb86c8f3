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

/// The secret that turns NHS numbers into child keys. Held only by the functions whose input is
/// an NHS number (lookup, plan writes); everything else works from stored keys.
#[derive(Clone)]
pub struct ChildKeys {
    mac: Hmac<Sha256>,
}

impl ChildKeys {
    /// From the secret's value (Secrets Manager's string, or the local state file's contents).
    pub fn from_secret(secret: &str) -> Result<Self, ChildKeyError> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ChildKeyError::SecretTooShort);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .expect("HMAC takes keys of any length");
        Ok(Self { mac })
    }

    /// The child key of `nhs`.
    pub fn of(&self, nhs: &NhsNumber) -> ChildKey {
        let mut mac = self.mac.clone();
        mac.update(nhs.digits().as_bytes());
        ChildKey(hex::encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for ChildKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChildKeys(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

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

    proptest! {
        #[test]
        fn only_64_lower_case_hex_digits_parse(raw in prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F]{63,65}", ".{0,70}"]) {
            let valid = raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
            prop_assert_eq!(ChildKey::parse(&raw).is_ok(), valid);
        }
    }
}
