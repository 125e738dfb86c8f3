//! NHS CIS2 tokens: what an NHS user may do comes from the RBAC role they selected at sign-in,
//! through its activity codes, not from a claim this service invented (NHS England's CP-IS
//! guidance for RA managers):
//!
//! - `B0107` "View CP-IS Flag": unscheduled and emergency care; the lookup alerts the LA.
//! - `B0170` "View CP-IS Flag (Without sending an Access to Service Notification)": scheduled
//!   care; a silent read.
//! - neither: [`Role::NhsStaff`], refused on every route that reads a child (403, audited).
//!
//! The selected role is the `nhsid_nrbac_roles` entry whose `person_roleid` is the session's
//! `NHSD-Session-URID` header, else the token's `selected_roleid`, else the user's only role (as
//! NHS England's API platform resolves it). The organisation is the selected role's `org_code`.

use serde::Deserialize;

use crate::claims::{claim_names, Claims, ClaimsError, Role, UserId};
use crate::org::OrgCode;

/// View CP-IS flag; the responsible LA is sent an access notification.
pub const VIEW_FLAG_NOTIFYING: &str = "B0107";
/// View CP-IS flag without an access notification.
pub const VIEW_FLAG_SILENT: &str = "B0170";

/// CIS2 claim names.
pub mod cis2_claims {
    /// The user's RBAC roles (userinfo, and the ID token when a broker copies it).
    pub const ROLES: &str = "nhsid_nrbac_roles";
    /// The `person_roleid` of the role chosen at sign-in (`selectedrole` scope).
    pub const SELECTED_ROLE: &str = "selected_roleid";
    /// The user's UUID (the same as `sub` in CIS2's tokens).
    pub const USER_UID: &str = "nhsid_useruid";
    /// The organisations the user belongs to, with their names.
    pub const ORG_MEMBERSHIPS: &str = "nhsid_org_memberships";
}

/// The API platform's header naming the session's selected role (a `person_roleid`).
pub const SESSION_URID_HEADER: &str = "nhsd-session-urid";

/// One RBAC role of the user, as CIS2 gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RbacRole {
    pub person_roleid: String,
    pub org_code: String,
    #[serde(default)]
    pub role_code: Option<String>,
    #[serde(default)]
    pub activity_codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Membership {
    org_code: String,
    #[serde(default)]
    org_name: Option<String>,
}

/// The role an NHS user's selected RBAC role gives here: notifying view first (an unscheduled
/// care clinician may still declare a silent read), then the silent view, else none.
pub fn role_for(activity_codes: &[String]) -> Role {
    let has = |code: &str| activity_codes.iter().any(|c| c == code);
    if has(VIEW_FLAG_NOTIFYING) {
        Role::UnscheduledCare
    } else if has(VIEW_FLAG_SILENT) {
        Role::ScheduledCare
    } else {
        Role::NhsStaff
    }
}

/// Claims from a CIS2 token's payload (`token`, the verified JSON) and the request's
/// `NHSD-Session-URID` header, if any.
pub fn claims(
    token: &serde_json::Value,
    session_urid: Option<&str>,
) -> Result<Claims, ClaimsError> {
    use cis2_claims::*;
    let roles_value = token.get(ROLES).ok_or(ClaimsError::Missing(ROLES))?;
    let roles: Vec<RbacRole> =
        serde_json::from_value(roles_value.clone()).map_err(|_| ClaimsError::Invalid(ROLES))?;
    let selected_claim = token.get(SELECTED_ROLE).and_then(|v| v.as_str());
    let selected = select(&roles, session_urid, selected_claim)?;
    let user = token
        .get(claim_names::USER)
        .or_else(|| token.get(USER_UID))
        .and_then(|v| v.as_str())
        .ok_or(ClaimsError::Missing(claim_names::USER))?;
    let org = OrgCode::parse(&selected.org_code).map_err(|_| ClaimsError::Invalid(ROLES))?;
    let org_name = token
        .get(ORG_MEMBERSHIPS)
        .and_then(|m| serde_json::from_value::<Vec<Membership>>(m.clone()).ok())
        .and_then(|ms| ms.into_iter().find(|m| m.org_code == selected.org_code))
        .and_then(|m| m.org_name)
        .and_then(|n| crate::text::displayed(&n, ORG_MEMBERSHIPS, 120).ok());
    Ok(Claims {
        org,
        role: role_for(&selected.activity_codes),
        user: UserId::parse(user).ok_or(ClaimsError::Invalid(claim_names::USER))?,
        org_name,
        // CIS2 does not say what kind of setting the organisation is; a broker in front of it
        // may add the claim from ODS data.
        setting_type: token
            .get(claim_names::SETTING_TYPE)
            .and_then(|v| v.as_str())
            .map(|t| {
                crate::claims::SettingType::parse(t)
                    .ok_or(ClaimsError::Invalid(claim_names::SETTING_TYPE))
            })
            .transpose()?,
    })
}

/// The selected role: the header's, else the token's, else the only one. A header or claim that
/// names a role the user does not hold is refused, never ignored.
fn select<'a>(
    roles: &'a [RbacRole],
    header: Option<&str>,
    claim: Option<&str>,
) -> Result<&'a RbacRole, ClaimsError> {
    let find = |id: &str, name: &'static str| {
        roles
            .iter()
            .find(|r| r.person_roleid == id)
            .ok_or(ClaimsError::Invalid(name))
    };
    match (header.map(str::trim).filter(|h| !h.is_empty()), claim) {
        (Some(h), Some(c)) if h != c => Err(ClaimsError::Invalid(SESSION_URID_HEADER)),
        (Some(h), _) => find(h, SESSION_URID_HEADER),
        (None, Some(c)) => find(c, cis2_claims::SELECTED_ROLE),
        (None, None) => match roles {
            [only] => Ok(only),
            [] => Err(ClaimsError::Missing(cis2_claims::ROLES)),
            _ => Err(ClaimsError::Missing(SESSION_URID_HEADER)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The shape of NHS England's published userinfo sample (identity-service-api's simulated
    /// auth), with a CP-IS role added.
    fn token(roles: serde_json::Value, selected: Option<&str>) -> serde_json::Value {
        let mut t = json!({
            "sub": "910000000001",
            "nhsid_useruid": "910000000001",
            "nhsid_nrbac_roles": roles,
            "nhsid_org_memberships": [{"person_orgid": "555254239107", "org_name": "LEEDS TEACHING HOSPITALS NHS TRUST", "org_code": "RR8"}],
        });
        if let Some(s) = selected {
            t["selected_roleid"] = json!(s);
        }
        t
    }

    fn role(id: &str, org: &str, codes: &[&str]) -> serde_json::Value {
        json!({"person_orgid": "555254239107", "person_roleid": id, "org_code": org,
               "role_code": "S8000:G8000:R8001",
               "role_name": "\"Clinical\":\"Clinical Provision\":\"Nurse Access Role\"",
               "activity_codes": codes})
    }

    #[test]
    fn b0107_alerts_b0170_reads_silently_neither_may_not_read() {
        for (codes, want) in [
            (vec!["B0278", "B0107"], Role::UnscheduledCare),
            (vec!["B0107", "B0170"], Role::UnscheduledCare),
            (vec!["B0170"], Role::ScheduledCare),
            (vec!["B0278", "B0401"], Role::NhsStaff),
            (vec![], Role::NhsStaff),
        ] {
            let t = token(json!([role("555254240100", "RR8", &codes)]), None);
            let c = claims(&t, None).unwrap();
            assert_eq!(c.role, want, "{codes:?}");
            assert_eq!(c.org.as_str(), "RR8");
            assert_eq!(c.user.as_str(), "910000000001");
            assert_eq!(
                c.org_name.as_deref(),
                Some("LEEDS TEACHING HOSPITALS NHS TRUST")
            );
        }
    }

    #[test]
    fn the_session_header_selects_the_role_and_its_organisation() {
        let roles = json!([
            role("555254240100", "RR8", &["B0170"]),
            role("555254242102", "RA9", &["B0107"]),
        ]);
        let t = token(roles, None);
        let c = claims(&t, Some("555254242102")).unwrap();
        assert_eq!((c.role, c.org.as_str()), (Role::UnscheduledCare, "RA9"));
        assert_eq!(c.org_name, None, "RA9 is not among the memberships");
        let c = claims(&t, Some("555254240100")).unwrap();
        assert_eq!((c.role, c.org.as_str()), (Role::ScheduledCare, "RR8"));
        // Several roles and nothing says which: refused, never the first.
        assert_eq!(
            claims(&t, None),
            Err(ClaimsError::Missing(SESSION_URID_HEADER))
        );
        // A role the user does not hold.
        assert_eq!(
            claims(&t, Some("093895563513")),
            Err(ClaimsError::Invalid(SESSION_URID_HEADER))
        );
    }

    #[test]
    fn the_tokens_selected_role_is_used_and_a_different_header_refused() {
        let roles = json!([
            role("555254240100", "RR8", &["B0170"]),
            role("555254242102", "RA9", &["B0107"]),
        ]);
        let t = token(roles, Some("555254242102"));
        assert_eq!(claims(&t, None).unwrap().role, Role::UnscheduledCare);
        assert_eq!(
            claims(&t, Some("555254242102")).unwrap().role,
            Role::UnscheduledCare
        );
        assert_eq!(
            claims(&t, Some("555254240100")),
            Err(ClaimsError::Invalid(SESSION_URID_HEADER))
        );
        let stale = token(json!([role("555254240100", "RR8", &["B0170"])]), Some("1"));
        assert_eq!(
            claims(&stale, None),
            Err(ClaimsError::Invalid(cis2_claims::SELECTED_ROLE))
        );
    }

    #[test]
    fn malformed_role_lists_are_refused() {
        for roles in [
            json!("S8000:G8000:R8001"),
            json!([{"person_roleid": "1"}]),
            json!([{"person_roleid": "1", "org_code": "not an ods code"}]),
        ] {
            let t = token(roles.clone(), Some("1"));
            assert!(claims(&t, None).is_err(), "{roles}");
        }
        assert_eq!(
            claims(&json!({"sub": "u"}), None),
            Err(ClaimsError::Missing(cis2_claims::ROLES))
        );
        assert_eq!(
            claims(&token(json!([]), None), None),
            Err(ClaimsError::Missing(cis2_claims::ROLES))
        );
    }

    proptest! {
        /// Whatever else a role holds, B0107 alerts, B0170 alone reads silently, and any other
        /// mix of codes reads nothing.
        #[test]
        fn any_other_activity_codes_give_no_read(
            others in proptest::collection::vec("B[0-9]{4}", 0..8),
            notifying: bool,
            silent: bool,
        ) {
            let mut codes: Vec<String> = others
                .into_iter()
                .filter(|c| c != VIEW_FLAG_NOTIFYING && c != VIEW_FLAG_SILENT)
                .collect();
            if silent { codes.push(VIEW_FLAG_SILENT.into()); }
            if notifying { codes.insert(0, VIEW_FLAG_NOTIFYING.into()); }
            let want = match (notifying, silent) {
                (true, _) => Role::UnscheduledCare,
                (false, true) => Role::ScheduledCare,
                _ => Role::NhsStaff,
            };
            prop_assert_eq!(role_for(&codes), want);
        }
    }
}
