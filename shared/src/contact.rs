//! How a clinician reaches the responsible local authority's team.

use serde::{Deserialize, Serialize};

use crate::json_object::ObjectReader;
use crate::problem::{ErrorCode, FieldError};

/// A phone number as people dial it: digits with optional `+`, spaces, hyphens, brackets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        let allowed = trimmed
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0));
        if allowed && (6..=15).contains(&digits) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(FieldError::new(
                ErrorCode::InvalidPhone,
                field,
                "a phone number has 6 to 15 digits, optionally with +, spaces, hyphens or brackets",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text shown to people: trimmed, 1 to `max` characters, no control characters.
pub fn text(raw: &str, field: &str, max: usize) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(FieldError::new(
            ErrorCode::InvalidText,
            field,
            format!("expected 1 to {max} printable characters"),
        ));
    }
    Ok(t.to_owned())
}

/// The responsible LA's name and the team to call, in and out of office hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LaContact {
    pub name: String,
    pub team: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_hours_phone: Option<Phone>,
    /// Mandatory: the out-of-hours line is what a clinician at 3 a.m. needs.
    pub emergency_duty_phone: Phone,
}

impl LaContact {
    /// Parses the `responsibleLa` object of a plan.
    pub fn read(mut r: ObjectReader<'_>) -> Result<Self, FieldError> {
        let name = text(
            r.str("name", ErrorCode::MissingField)?,
            &r.pointer("name"),
            120,
        )?;
        let team = text(
            r.str("team", ErrorCode::MissingField)?,
            &r.pointer("team"),
            120,
        )?;
        let office_hours_phone = r
            .opt_str("officeHoursPhone")?
            .map(|p| Phone::parse(p, &r.pointer("officeHoursPhone")))
            .transpose()?;
        let field = r.pointer("emergencyDutyPhone");
        let emergency_duty_phone = match r.opt_str("emergencyDutyPhone")? {
            Some(p) if !p.trim().is_empty() => Phone::parse(p, &field)?,
            _ => {
                return Err(FieldError::new(
                    ErrorCode::MissingEmergencyPhone,
                    field,
                    "the emergency-duty phone number is mandatory",
                ))
            }
        };
        r.finish()?;
        Ok(Self {
            name,
            team,
            office_hours_phone,
            emergency_duty_phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Result<LaContact, FieldError> {
        LaContact::read(ObjectReader::new(&v, "/responsibleLa").unwrap())
    }

    #[test]
    fn reads_a_full_contact() {
        let c = read(
            json!({"name": "Leeds", "team": "Front door", "officeHoursPhone": "0113 222 4403",
            "emergencyDutyPhone": "+44 (0)113 535 0600"}),
        )
        .unwrap();
        assert_eq!(c.emergency_duty_phone.as_str(), "+44 (0)113 535 0600");
    }

    #[test]
    fn emergency_phone_is_mandatory_and_named() {
        for v in [
            json!({"name": "L", "team": "T"}),
            json!({"name": "L", "team": "T", "emergencyDutyPhone": " "}),
        ] {
            let e = read(v).unwrap_err();
            assert_eq!(e.code, ErrorCode::MissingEmergencyPhone);
            assert_eq!(e.field, "/responsibleLa/emergencyDutyPhone");
        }
    }

    #[test]
    fn bad_phones_and_unknown_fields_are_refused() {
        assert_eq!(
            read(json!({"name": "L", "team": "T", "emergencyDutyPhone": "call me"}))
                .unwrap_err()
                .code,
            ErrorCode::InvalidPhone
        );
        assert_eq!(
            read(
                json!({"name": "L", "team": "T", "emergencyDutyPhone": "01132224403", "fax": "1"})
            )
            .unwrap_err()
            .field,
            "/responsibleLa/fax"
        );
    }
}
