//! Missed appointments: scheduled care (maternity, paediatrics, health visiting, CAMHS, general
//! practice) records that a child, or a pregnant woman whose unborn child has a plan, missed an
//! appointment. A child with an active plan alerts each responsible LA; for any other child
//! nothing is kept but the audit (by child key, as for a lookup), and the answer is the same, so
//! the route cannot tell anyone who is on the index.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json_object::ObjectReader;
use crate::problem::{ErrorCode, FieldError};
use crate::text::displayed;

/// The scheduled-care services that record a missed appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareSetting {
    Maternity,
    Paediatrics,
    HealthVisiting,
    Camhs,
    Gp,
}

impl CareSetting {
    pub const ALL: [CareSetting; 5] = [
        CareSetting::Maternity,
        CareSetting::Paediatrics,
        CareSetting::HealthVisiting,
        CareSetting::Camhs,
        CareSetting::Gp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CareSetting::Maternity => "maternity",
            CareSetting::Paediatrics => "paediatrics",
            CareSetting::HealthVisiting => "health_visiting",
            CareSetting::Camhs => "camhs",
            CareSetting::Gp => "gp",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// The longest service name kept.
pub const MAX_SERVICE_CHARS: usize = 120;
/// How far back an appointment may be recorded as missed (a clinic's weekly review).
pub const RECORDABLE_WITHIN_DAYS: i64 = 90;

/// One missed appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissedAppointment {
    pub setting: CareSetting,
    /// The service or clinic (e.g. "Antenatal clinic, St James's").
    pub service: String,
    pub appointment_date: NaiveDate,
    /// The service tried and could not reach the family.
    #[serde(default)]
    pub family_not_reached: bool,
}

impl MissedAppointment {
    /// Reads a request body: `setting`, `service`, `appointmentDate` (from
    /// [`RECORDABLE_WITHIN_DAYS`] ago to `today`), optionally `familyNotReached`.
    pub fn from_json(value: &Value, today: NaiveDate) -> Result<Self, FieldError> {
        let mut r = ObjectReader::new(value, "")?;
        let raw = r.str(
            "setting",
            ErrorCode::MissingField,
            ErrorCode::InvalidCareSetting,
        )?;
        let setting = CareSetting::parse(raw).ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidCareSetting,
                "/setting",
                "one of maternity, paediatrics, health_visiting, camhs, gp",
            )
        })?;
        let service = displayed(
            r.str("service", ErrorCode::MissingField, ErrorCode::InvalidText)?,
            "/service",
            MAX_SERVICE_CHARS,
        )?;
        let appointment_date = crate::plan::date(&mut r, "appointmentDate")?.ok_or_else(|| {
            FieldError::new(
                ErrorCode::MissingField,
                "/appointmentDate",
                "`appointmentDate` is required",
            )
        })?;
        let earliest = today - Duration::days(RECORDABLE_WITHIN_DAYS);
        if appointment_date > today || appointment_date < earliest {
            return Err(FieldError::new(
                ErrorCode::InvalidDate,
                "/appointmentDate",
                format!(
                    "an appointment missed on or before today, and within {RECORDABLE_WITHIN_DAYS} days"
                ),
            ));
        }
        let family_not_reached = match value.get("familyNotReached") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(FieldError::new(
                    ErrorCode::BadRequest,
                    "/familyNotReached",
                    "true or false",
                ))
            }
        };
        r.handled("familyNotReached");
        r.finish()?;
        Ok(Self {
            setting,
            service,
            appointment_date,
            family_not_reached,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    #[test]
    fn a_missed_appointment_reads_with_or_without_the_family_reached() {
        let m = MissedAppointment::from_json(
            &json!({"setting": "health_visiting", "service": "Health visiting, Leeds North", "appointmentDate": "2026-12-01"}),
            today(),
        )
        .unwrap();
        assert_eq!(m.setting, CareSetting::HealthVisiting);
        assert!(!m.family_not_reached);
        let m = MissedAppointment::from_json(
            &json!({"setting": "maternity", "service": "Antenatal", "appointmentDate": "2026-12-05", "familyNotReached": true}),
            today(),
        )
        .unwrap();
        assert!(m.family_not_reached);
    }

    proptest! {
        /// Dates outside the 90 days up to today, unknown settings, blank services and unknown
        /// fields are each refused with their own code and field.
        #[test]
        fn bad_bodies_are_refused_naming_the_field(
            days in -400i64..400,
            setting in "[a-z_]{1,16}",
            extra in "[a-zA-Z]{1,12}",
        ) {
            let date = (today() + Duration::days(days)).to_string();
            let r = MissedAppointment::from_json(
                &json!({"setting": "gp", "service": "GP surgery", "appointmentDate": date}),
                today(),
            );
            prop_assert_eq!(r.is_ok(), (-RECORDABLE_WITHIN_DAYS..=0).contains(&days));
            if let Err(e) = r {
                prop_assert_eq!((e.code, e.field.as_str()), (ErrorCode::InvalidDate, "/appointmentDate"));
            }
            let known = CareSetting::parse(&setting).is_some();
            let r = MissedAppointment::from_json(
                &json!({"setting": setting, "service": "GP", "appointmentDate": "2026-12-01"}),
                today(),
            );
            prop_assert_eq!(r.is_ok(), known);
            if let Err(e) = r {
                prop_assert_eq!((e.code, e.field.as_str()), (ErrorCode::InvalidCareSetting, "/setting"));
            }
            let known_field = ["setting", "service", "appointmentDate", "familyNotReached"].contains(&extra.as_str());
            let mut body = json!({"setting": "gp", "service": "GP", "appointmentDate": "2026-12-01"});
            body[extra.as_str()] = json!("x");
            let r = MissedAppointment::from_json(&body, today());
            if !known_field {
                let e = r.unwrap_err();
                prop_assert_eq!(e.code, ErrorCode::UnknownField);
            }
        }
    }

    #[test]
    fn a_blank_service_is_refused() {
        let e = MissedAppointment::from_json(
            &json!({"setting": "gp", "service": "  ", "appointmentDate": "2026-12-01"}),
            today(),
        )
        .unwrap_err();
        assert_eq!(e.field, "/service");
    }
}
