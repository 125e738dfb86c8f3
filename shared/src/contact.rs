//! How a clinician reaches the responsible local authority's team.

use serde::{Deserialize, Serialize};

use crate::json_object::ObjectReader;
use crate::problem::{ErrorCode, FieldError};
use crate::text::displayed as text;

/// A phone number as people dial it. UK national form: `0` then 9 or 10 more digits (`0113 535
/// 0600`, `0800 123 4567`). International form: `+` (or `00`) and 8 to 15 digits, E.164's limit,
/// with an optional `(0)` trunk digit (`+44 (0)113 535 0600`). Digits may be grouped with spaces,
/// hyphens and one pair of brackets; nothing else (no letters, no extensions, no invisible
/// characters) may appear, so what a clinician reads is what they dial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

/// The digits of a phone number as written, if it is written as one: (international, digits).
fn phone_digits(t: &str) -> Option<(bool, String)> {
    let (plus, rest) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut digits = String::new();
    let mut open = false;
    let mut brackets = 0;
    let mut trunk = false;
    let mut group = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                digits.push(c);
                group.push(c);
            }
            ' ' | '-' => {}
            '(' if !open && brackets == 0 => {
                open = true;
                group.clear();
            }
            ')' if open => {
                open = false;
                brackets += 1;
                // `(0)` after a country code is the national trunk digit, not dialled from abroad.
                trunk = plus && group == "0";
            }
            _ => return None,
        }
    }
    if open {
        return None;
    }
    if trunk {
        if let Some(at) = rest.find("(0)") {
            let before = rest[..at].chars().filter(char::is_ascii_digit).count();
            digits.remove(before);
        }
    }
    match (plus, digits.strip_prefix("00")) {
        (false, Some(intl)) => Some((true, intl.to_owned())),
        _ => Some((plus, digits)),
    }
}

impl Phone {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let bad = |detail: &str| FieldError::new(ErrorCode::InvalidPhone, field, detail);
        if raw.chars().any(|c| crate::text::refused(c).is_some()) {
            return Err(bad("the number holds an invisible or control character"));
        }
        let trimmed = raw.trim();
        let ok = match phone_digits(trimmed) {
            Some((true, d)) => (8..=15).contains(&d.len()) && !d.starts_with('0'),
            Some((false, d)) => d.starts_with('0') && (10..=11).contains(&d.len()),
            None => false,
        };
        if ok {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(bad(
                "a UK number starts with 0 and has 10 or 11 digits; an international one starts \
                 with + (or 00) and has 8 to 15; spaces, hyphens and one pair of brackets may \
                 group the digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a plan record may add to its LA's vetted contacts (which come from the LA's profile
/// only, kept by operators): the team holding the case and its direct line. Shown to
/// clinicians as "given by <LA>", beside the profile's emergency-duty number and never instead
/// of it, so an LA account can add a useful daytime line but cannot plant the number a
/// clinician calls at 3 a.m.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseTeam {
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
}

impl CaseTeam {
    /// Parses the `caseTeam` object of a plan.
    pub fn read(mut r: ObjectReader<'_>) -> Result<Self, FieldError> {
        let team = text(
            r.str("team", ErrorCode::MissingField, ErrorCode::InvalidText)?,
            &r.pointer("team"),
            120,
        )?;
        let phone = r
            .opt_str("phone", ErrorCode::InvalidPhone)?
            .filter(|p| !p.trim().is_empty())
            .map(|p| Phone::parse(p, &r.pointer("phone")))
            .transpose()?;
        r.finish()?;
        Ok(Self { team, phone })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Result<CaseTeam, FieldError> {
        CaseTeam::read(ObjectReader::new(&v, "/caseTeam").unwrap())
    }

    #[test]
    fn a_case_team_is_a_team_and_perhaps_its_direct_line() {
        let c =
            read(json!({"team": "Leeds North CP team", "phone": "+44 (0)113 378 1000"})).unwrap();
        assert_eq!(c.phone.unwrap().as_str(), "+44 (0)113 378 1000");
        assert_eq!(
            read(json!({"team": "T", "phone": " "})).unwrap().phone,
            None
        );
        let e = read(json!({"team": "T", "emergencyDutyPhone": "0113 535 0600"})).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str()),
            (ErrorCode::UnknownField, "/caseTeam/emergencyDutyPhone")
        );
        let e = read(json!({"phone": "0113 535 0600"})).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str()),
            (ErrorCode::MissingField, "/caseTeam/team")
        );
    }

    #[test]
    fn phones_are_what_uk_and_international_numbers_can_hold() {
        for good in [
            "0113 535 0600",
            "01132224403",
            "0800 123 4567",
            "020-7946-0018",
            "(0113) 535 0600",
            "+44 113 535 0600",
            "+44 (0)113 535 0600",
            "0044 113 535 0600",
            "+353 1 234 5678",
            "+1 (212) 555-0123",
        ] {
            assert!(Phone::parse(good, "/p").is_ok(), "{good}");
        }
        for bad in [
            "999",
            "535 0600",
            "113 535 0600",
            "0113 535 06001 2",
            "+44",
            "+0 113 535 0600",
            "+44 113 535 0600 1234 5",
            "0113 535 0600 ext 2",
            "0113 535 0600\u{202E}",
            "0113\u{200B}5350600",
            "+44 ((0)113) 535 0600",
            "0113) 535 0600",
            "+44 (0113 535 0600",
            "0113.535.0600",
            "O113 535 0600",
            "",
        ] {
            assert_eq!(
                Phone::parse(bad, "/p").unwrap_err().code,
                ErrorCode::InvalidPhone,
                "{bad:?}"
            );
        }
    }
}
