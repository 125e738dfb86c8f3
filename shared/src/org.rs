//! Organisation codes (ODS style) identify local authorities and care settings.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::problem::{ErrorCode, FieldError};

/// An ODS-style organisation code: 3 to 10 upper-case ASCII letters or digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (3..=10).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            return Err(FieldError::new(
                ErrorCode::InvalidOrgCode,
                "",
                "an organisation code is 3 to 10 upper-case letters or digits",
            ));
        }
        // No ODS code is ten digits; one that is an NHS number would put a child's number into
        // URLs and logs, where organisation codes go.
        if crate::plan::holds_nhs_number(raw) {
            return Err(FieldError::new(
                ErrorCode::InvalidOrgCode,
                "",
                "an organisation code is never an NHS number",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgCode({})", self.0)
    }
}

impl Serialize for OrgCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrgCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(|e| serde::de::Error::custom(e.detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_code_is_never_an_nhs_number() {
        assert!(OrgCode::parse("9434765919").is_err());
        assert!(
            OrgCode::parse("9876544321").is_ok(),
            "ten digits that are no NHS number"
        );
    }
    use proptest::prelude::*;

    #[test]
    fn accepts_ods_style_codes() {
        for c in ["E08000035", "RR8", "Y02794", "ABC"] {
            assert_eq!(OrgCode::parse(c).unwrap().as_str(), c);
        }
    }

    #[test]
    fn rejects_lower_case_short_long_and_punctuated() {
        for c in [
            "",
            "AB",
            "e08000035",
            "E0800003512",
            "E08-00",
            "E08 000",
            "É08",
        ] {
            assert!(OrgCode::parse(c).is_err(), "{c:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_the_documented_alphabet(s in "\\PC{0,12}") {
            let expected = (3..=10).contains(&s.len())
                && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            prop_assert_eq!(OrgCode::parse(&s).is_ok(), expected);
        }
    }
}
