//! Who is calling: the verified claims an authorizer passes to every function.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::org::OrgCode;
use crate::problem::{ErrorCode, Problem};

/// Claim names in the JWT (and in the API Gateway authorizer context). Declared once.
pub mod claim_names {
    pub const ORG: &str = "org";
    pub const ROLE: &str = "role";
    pub const USER: &str = "sub";
    /// Optional: the organisation's display name (shown in visit lists).
    pub const ORG_NAME: &str = "org_name";
    /// Optional: what kind of unscheduled-care setting the organisation is
    /// ([`super::SettingType`]); counted, never per child, in the LA's indicators.
    pub const SETTING_TYPE: &str = "setting_type";
}

/// Kinds of unscheduled-care setting, as the identity provider states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingType {
    EmergencyDepartment,
    /// Urgent treatment centres, minor injury units and walk-in centres.
    UrgentTreatmentCentre,
    /// GP out-of-hours services and NHS 111.
    OutOfHours,
    Ambulance,
    Other,
}

impl SettingType {
    pub const ALL: [SettingType; 5] = [
        SettingType::EmergencyDepartment,
        SettingType::UrgentTreatmentCentre,
        SettingType::OutOfHours,
        SettingType::Ambulance,
        SettingType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettingType::EmergencyDepartment => "emergency_department",
            SettingType::UrgentTreatmentCentre => "urgent_treatment_centre",
            SettingType::OutOfHours => "out_of_hours",
            SettingType::Ambulance => "ambulance",
            SettingType::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A local authority's social care system or staff: writes and reads its own plans.
    LocalAuthority,
    /// Emergency departments, minor injury units, out-of-hours: lookups alert the LA.
    UnscheduledCare,
    /// Scheduled care: silent reads, audited but not alerted.
    ScheduledCare,
    /// Runs the service: profiles, reports, re-drives.
    Operator,
    /// Oversees access in one organisation (a trust's Caldicott guardian or information
    /// governance lead, an LA's equivalent): reads who in it looked children up, and how much.
    PrivacyOfficer,
    /// NHS staff signed in through NHS CIS2 whose selected role grants neither CP-IS activity
    /// (`crate::cis2`): may read no child; every attempt is refused and audited.
    NhsStaff,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::LocalAuthority,
        Role::UnscheduledCare,
        Role::ScheduledCare,
        Role::Operator,
        Role::PrivacyOfficer,
        Role::NhsStaff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::LocalAuthority => "local_authority",
            Role::UnscheduledCare => "unscheduled_care",
            Role::ScheduledCare => "scheduled_care",
            Role::Operator => "operator",
            Role::PrivacyOfficer => "privacy_officer",
            Role::NhsStaff => "nhs_staff",
        }
    }

    /// The identity provider this role's people sign in at: NHS staff at NHS CIS2 (or a broker
    /// in front of it), everyone else at the LA and service staff directory. Each route serves
    /// roles of one provider, so each route trusts one issuer.
    pub const fn provider(self) -> Provider {
        match self {
            Role::UnscheduledCare | Role::ScheduledCare | Role::NhsStaff => Provider::Nhs,
            Role::LocalAuthority | Role::Operator | Role::PrivacyOfficer => Provider::Staff,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// Who vouches for a caller: see [`Role::provider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// NHS staff: NHS CIS2, whose tokens carry RBAC roles (`crate::cis2`), or a broker that
    /// issues this service's own `role`/`org` claims.
    Nhs,
    /// Local authority staff and the service's own (operators, privacy officers): the LA's or
    /// the service's directory, issuing `role`/`org` claims.
    Staff,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Nhs, Provider::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Nhs => "nhs",
            Provider::Staff => "staff",
        }
    }

    /// The one that is not this one.
    pub const fn other(self) -> Provider {
        match self {
            Provider::Nhs => Provider::Staff,
            Provider::Staff => Provider::Nhs,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An opaque user id from the identity provider (1 to 128 printable characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=128).contains(&raw.chars().count()) && !raw.chars().any(char::is_control);
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Verified identity of a caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub org: OrgCode,
    pub role: Role,
    pub user: UserId,
    /// The organisation's display name, when the identity provider supplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    /// The kind of setting, when the identity provider states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_type: Option<SettingType>,
}

/// Why claims could not be read: always a 401, never a guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("claim `{0}` is missing")]
    Missing(&'static str),
    #[error("claim `{0}` is not valid")]
    Invalid(&'static str),
}

impl From<ClaimsError> for Problem {
    fn from(e: ClaimsError) -> Self {
        Problem::new(ErrorCode::Unauthenticated).detail(e.to_string())
    }
}

/// A caller whose role may not use an endpoint, and the roles that may (so the person knows
/// whom to ask).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role `{role}` may not use this endpoint; it is for {}", allowed.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "))]
pub struct Forbidden {
    pub role: Role,
    pub allowed: Vec<Role>,
}

impl From<Forbidden> for Problem {
    fn from(e: Forbidden) -> Self {
        Problem::new(ErrorCode::ForbiddenRole).detail(e.to_string())
    }
}

impl Claims {
    /// Reads claims from a lookup function (name -> value), as API Gateway passes them.
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, ClaimsError> {
        use claim_names::*;
        let org = get(ORG).ok_or(ClaimsError::Missing(ORG))?;
        let role = get(ROLE).ok_or(ClaimsError::Missing(ROLE))?;
        let user = get(USER).ok_or(ClaimsError::Missing(USER))?;
        Ok(Self {
            org: OrgCode::parse(org).map_err(|_| ClaimsError::Invalid(ORG))?,
            role: Role::parse(role).ok_or(ClaimsError::Invalid(ROLE))?,
            user: UserId::parse(user).ok_or(ClaimsError::Invalid(USER))?,
            org_name: get(ORG_NAME)
                .map(|n| crate::text::displayed(n, ORG_NAME, 120))
                .transpose()
                .map_err(|_| ClaimsError::Invalid(ORG_NAME))?,
            setting_type: get(SETTING_TYPE)
                .map(|t| SettingType::parse(t).ok_or(ClaimsError::Invalid(SETTING_TYPE)))
                .transpose()?,
        })
    }

    /// Refuses roles outside `allowed` (a 403 once turned into a problem).
    pub fn require(&self, allowed: &[Role]) -> Result<(), Forbidden> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(Forbidden {
                role: self.role,
                allowed: allowed.to_vec(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn claims(pairs: &[(&str, &str)]) -> Result<Claims, ClaimsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Claims::from_lookup(|k| map.get(k).map(String::as_str))
    }

    #[test]
    fn reads_valid_claims() {
        let c = claims(&[
            ("org", "E08000035"),
            ("role", "local_authority"),
            ("sub", "u-1"),
        ])
        .unwrap();
        assert_eq!(c.role, Role::LocalAuthority);
        assert_eq!(c.org.as_str(), "E08000035");
    }

    #[test]
    fn missing_or_invalid_claims_are_refused() {
        assert_eq!(
            claims(&[("role", "operator"), ("sub", "u")]),
            Err(ClaimsError::Missing("org"))
        );
        assert_eq!(
            claims(&[("org", "RR8"), ("role", "admin"), ("sub", "u")]),
            Err(ClaimsError::Invalid("role"))
        );
        assert_eq!(
            claims(&[("org", "rr8"), ("role", "operator"), ("sub", "u")]),
            Err(ClaimsError::Invalid("org"))
        );
        assert_eq!(
            claims(&[("org", "RR8"), ("role", "operator"), ("sub", "")]),
            Err(ClaimsError::Invalid("sub"))
        );
    }

    #[test]
    fn require_refuses_other_roles_with_403() {
        let c = claims(&[("org", "RR8"), ("role", "unscheduled_care"), ("sub", "u")]).unwrap();
        assert!(c
            .require(&[Role::UnscheduledCare, Role::ScheduledCare])
            .is_ok());
        let refused = Problem::from(
            c.require(&[Role::LocalAuthority, Role::Operator])
                .unwrap_err(),
        );
        assert_eq!(refused.status, 403);
        // It names the roles that may, so the person knows whom to ask.
        assert_eq!(
            refused.detail.as_deref(),
            Some("role `unscheduled_care` may not use this endpoint; it is for `local_authority`, `operator`")
        );
    }

    #[test]
    fn the_setting_type_is_optional_but_must_be_known() {
        let base = [("org", "RR8"), ("role", "unscheduled_care"), ("sub", "u")];
        assert_eq!(claims(&base).unwrap().setting_type, None);
        for t in SettingType::ALL {
            let mut with = base.to_vec();
            with.push(("setting_type", t.as_str()));
            assert_eq!(claims(&with).unwrap().setting_type, Some(t));
        }
        let mut bad = base.to_vec();
        bad.push(("setting_type", "hospital"));
        assert_eq!(claims(&bad), Err(ClaimsError::Invalid("setting_type")));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
