//! An access: one clinician looking one NHS number up. Every access is audited; an
//! unscheduled-care access is also a visit and starts the alert to the responsible LAs.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::child_key::ChildKey;
use crate::claims::{Claims, Role, SettingType, UserId};
use crate::org::OrgCode;

/// Why an access was allowed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessOutcome {
    /// Read allowed (with or without a plan: the fan-out records which).
    Allowed,
    /// The caller's role may not look children up.
    DeniedRole,
    /// An LA or an operator read the child's access history (reads of the audit trail are
    /// audited too).
    HistoryRead,
    /// An unscheduled-care clinician's read declared not an unscheduled access event (FHIR
    /// `IsUnscheduledAccessEvent: false`): audited, but neither a visit nor an alert.
    SilentRead,
    /// Scheduled care recorded a missed appointment (`crate::missed`): nothing is read or
    /// answered about the child; fan-out tells the LAs with an active plan.
    MissedAppointment,
}

impl AccessOutcome {
    /// A clinician's read the index answered (an LA sees these, made while its plan was held).
    pub fn is_read(self) -> bool {
        matches!(self, AccessOutcome::Allowed | AccessOutcome::SilentRead)
    }
}

/// One access, as audited and as handed to the alert fan-out. It names the child by key, never
/// by NHS number: most lookups are of children without a plan, and their trail must not be a
/// register of every child seen in unscheduled care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    pub access_id: String,
    pub child: ChildKey,
    pub at: DateTime<Utc>,
    pub user: UserId,
    pub role: Role,
    /// The setting (or other organisation) the caller works for.
    pub org: OrgCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    /// The kind of setting, when the caller's claims state it (counted in indicators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_type: Option<SettingType>,
    pub outcome: AccessOutcome,
    /// The same child's keys under other keys still read while a key rotation is under way
    /// (`cpindex::key_state`): fan-out looks for plans under each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<ChildKey>,
    /// Why an operator read the child's audit trail, as the operator stated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<AuditPurpose>,
    /// For [`AccessOutcome::MissedAppointment`]: the appointment scheduled care recorded as
    /// missed (fan-out tells the LAs whose plan is active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<crate::missed::MissedAppointment>,
    /// The API platform's `X-Request-ID` of the request, when it carried one (FHIR searches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<uuid::Uuid>,
    /// The caller's `X-Correlation-ID`, when it sent one (FHIR searches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

/// Why an operator reads a child's whole audit trail (a subject access request, an incident,
/// an investigation): stated with the read, kept with it, shown with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditPurpose(String);

/// The shortest purpose accepted: room for a reference and a reason, not a shrug.
pub const MIN_PURPOSE_CHARS: usize = 10;
/// The longest.
pub const MAX_PURPOSE_CHARS: usize = 300;

impl AuditPurpose {
    /// A purpose of [`MIN_PURPOSE_CHARS`] to [`MAX_PURPOSE_CHARS`] displayable characters;
    /// none at all is refused the same way as one too short.
    pub fn parse(raw: Option<&str>) -> Result<Self, crate::problem::FieldError> {
        use crate::problem::{ErrorCode, FieldError};
        const FIELD: &str = "/purpose";
        let text = crate::text::displayed(raw.unwrap_or_default(), FIELD, MAX_PURPOSE_CHARS)
            .map_err(|e| match raw.map(str::trim) {
                None | Some("") => FieldError::new(ErrorCode::PurposeRequired, FIELD, "state why you read this child's audit trail (`purpose`: a case or request reference and the reason)"),
                Some(_) => e,
            })?;
        if text.chars().count() < MIN_PURPOSE_CHARS {
            return Err(FieldError::new(
                ErrorCode::PurposeRequired,
                FIELD,
                format!("a purpose is at least {MIN_PURPOSE_CHARS} characters: a case or request reference and the reason"),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Access {
    /// A new access by `caller` at `at`, with a fresh id.
    pub fn new(
        caller: &Claims,
        child: ChildKey,
        at: DateTime<Utc>,
        outcome: AccessOutcome,
    ) -> Self {
        Self {
            access_id: uuid::Uuid::new_v4().to_string(),
            child,
            // To the millisecond: the time is stored in the access's sort key alone, at that
            // precision (`adapters::store::access`), and must read back as written.
            at: chrono::SubsecRound::trunc_subsecs(at, 3),
            user: caller.user.clone(),
            role: caller.role,
            org: caller.org.clone(),
            org_name: caller.org_name.clone(),
            setting_type: caller.setting_type,
            outcome,
            aliases: Vec::new(),
            purpose: None,
            missed: None,
            request_id: None,
            correlation_id: None,
        }
    }

    /// Every key the child's partition may be under: its own, then its aliases.
    pub fn child_keys(&self) -> impl Iterator<Item = &ChildKey> {
        std::iter::once(&self.child).chain(&self.aliases)
    }

    /// An allowed unscheduled-care access: it shows as a visit and alerts the LA.
    pub fn alerts(&self) -> bool {
        self.role == Role::UnscheduledCare && self.outcome == AccessOutcome::Allowed
    }

    /// An access handed to fan-out (pending until fan-out confirms it): an alerting lookup,
    /// or a missed appointment recorded.
    pub fn fans_out(&self) -> bool {
        self.alerts() || self.outcome == AccessOutcome::MissedAppointment
    }
}

/// A visit as a clinician sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    pub at: DateTime<Utc>,
    pub setting_code: OrgCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_name: Option<String>,
}

/// Visits shown with a record.
pub const VISITS_SHOWN: usize = 25;
/// Repeated views by one user within this window show only the first.
pub const COLLAPSE_WINDOW_HOURS: i64 = 24;

/// The visits to show: repeated views by the same user within 24 hours of the first collapse to
/// the first; newest first; at most [`VISITS_SHOWN`]. Input in any order.
pub fn visits_to_show(mut accesses: Vec<Access>) -> Vec<Visit> {
    accesses.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.access_id.cmp(&b.access_id)));
    let window = Duration::hours(COLLAPSE_WINDOW_HOURS);
    let mut first_of: std::collections::HashMap<UserId, DateTime<Utc>> = Default::default();
    let mut kept = Vec::new();
    for a in accesses {
        match first_of.get(&a.user) {
            Some(first) if a.at - *first < window => continue,
            _ => {
                first_of.insert(a.user.clone(), a.at);
                kept.push(Visit {
                    at: a.at,
                    setting_code: a.org,
                    setting_name: a.org_name,
                });
            }
        }
    }
    kept.reverse();
    kept.truncate(VISITS_SHOWN);
    kept
}

/// Where a page of an access history stopped: the last access it listed. The next page lists
/// the accesses before it. Opaque to callers (hex), checked when read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCursor {
    /// The access's time as its sort key holds it.
    time: String,
    access_id: String,
}

impl AccessCursor {
    /// The cursor after `access`.
    pub fn after(access: &Access) -> Self {
        Self {
            time: crate::keys::key::sortable_time(access.at),
            access_id: access.access_id.clone(),
        }
    }

    /// The form a URL carries.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}#{}", self.time, self.access_id))
    }

    /// Reads a cursor from the `cursor` query parameter.
    pub fn parse(raw: &str) -> Result<Self, crate::FieldError> {
        let bad = || {
            crate::FieldError::new(
                crate::ErrorCode::InvalidQuery,
                "cursor",
                "not a cursor this API gave out: use the `next` link as it is",
            )
        };
        let bytes = hex::decode(raw).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (time, id) = text.split_once('#').ok_or_else(bad)?;
        let time_ok = DateTime::parse_from_rfc3339(time).is_ok() && time.len() == 24;
        let id_ok = (1..=64).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !(time_ok && id_ok) {
            return Err(bad());
        }
        Ok(Self {
            time: time.to_owned(),
            access_id: id.to_owned(),
        })
    }

    /// The part of a sort key after the prefix (`<time>#<access id>`).
    pub fn key_part(&self) -> String {
        format!("{}#{}", self.time, self.access_id)
    }

    /// Whether `access` is the one this cursor names.
    pub fn names(&self, access: &Access) -> bool {
        access.access_id == self.access_id
    }
}

/// The attendance `access` belongs to: the first view of the child by the same user that this
/// one falls within 24 hours of, by the same rule [`visits_to_show`] collapses repeats with.
/// Returns that view's access id (`access`'s own when it starts a new attendance). `history` is
/// the child's recent visits, in any order, with or without `access` itself.
pub fn attendance_of(history: &[Access], access: &Access) -> String {
    let window = Duration::hours(COLLAPSE_WINDOW_HOURS);
    let mut same_user: Vec<&Access> = history
        .iter()
        .filter(|a| a.user == access.user && a.access_id != access.access_id && a.at <= access.at)
        .chain(std::iter::once(access))
        .collect();
    same_user.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.access_id.cmp(&b.access_id)));
    let mut first: Option<&Access> = None;
    for a in same_user {
        match first {
            Some(f) if a.at - f.at < window => {}
            _ => first = Some(a),
        }
        if a.access_id == access.access_id {
            break;
        }
    }
    first.map_or_else(|| access.access_id.clone(), |f| f.access_id.clone())
}

#[cfg(test)]
mod cursor_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_cursor_reads_back_as_given_and_nothing_else_reads_as_one(raw in "\\PC{0,80}") {
            // Arbitrary text is refused (or, if it happens to be one, reads back the same).
            if let Ok(c) = AccessCursor::parse(&raw) {
                prop_assert_eq!(c.encode(), raw.to_lowercase());
            }
        }
    }

    #[test]
    fn a_cursor_round_trips() {
        let c = AccessCursor {
            time: "2026-11-22T03:00:00.000Z".into(),
            access_id: "6f1c0e5e-2b1a-4c55-9a43-1f1d2f7a9c10".into(),
        };
        assert_eq!(AccessCursor::parse(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "zz",
            &hex::encode("2026-11-22T03:00:00.000Z"),
            &hex::encode("x#y"),
        ] {
            assert!(AccessCursor::parse(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    proptest::proptest! {
        /// No purpose, a blank one or one too short to say anything is refused, all alike.
        #[test]
        fn a_purpose_says_something(pad in "[ ]{0,3}", short in "[A-Za-z0-9 ]{0,9}") {
            for raw in [None, Some(pad.clone()), Some(format!("{pad}{}{pad}", short.trim()))] {
                let e = AuditPurpose::parse(raw.as_deref()).unwrap_err();
                proptest::prop_assert_eq!(e.code, crate::problem::ErrorCode::PurposeRequired);
                proptest::prop_assert_eq!(e.field.as_str(), "/purpose");
            }
        }
    }

    #[test]
    fn a_stated_purpose_is_kept_as_written() {
        let p = AuditPurpose::parse(Some("  SAR-2026-114: the mother's request ")).unwrap();
        assert_eq!(p.as_str(), "SAR-2026-114: the mother's request");
        let long = "x".repeat(MAX_PURPOSE_CHARS + 1);
        assert!(AuditPurpose::parse(Some(&long)).is_err());
    }

    fn access(user: &str, org: &str, minutes: i64) -> Access {
        Access {
            access_id: format!("{user}-{minutes}"),
            child: ChildKey::parse(&"a".repeat(64)).unwrap(),
            at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes),
            user: UserId::parse(user).unwrap(),
            role: Role::UnscheduledCare,
            org: OrgCode::parse(org).unwrap(),
            org_name: None,
            setting_type: None,
            outcome: AccessOutcome::Allowed,
            aliases: Vec::new(),
            purpose: None,
            missed: None,
            request_id: None,
            correlation_id: None,
        }
    }

    #[test]
    fn repeated_views_by_one_user_within_a_day_collapse_to_the_first() {
        let shown = visits_to_show(vec![
            access("dr-a", "RR8", 0),
            access("dr-a", "RR8", 60),
            access("dr-a", "RR8", 24 * 60 - 1),
            access("dr-b", "RR8", 30),
            access("dr-a", "RR8", 24 * 60),
        ]);
        let minutes: Vec<i64> = shown
            .iter()
            .map(|v| (v.at - Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()).num_minutes())
            .collect();
        assert_eq!(
            minutes,
            vec![24 * 60, 30, 0],
            "newest first; the 24 h window is from the first view"
        );
    }

    #[test]
    fn an_attendance_is_the_first_view_by_that_user_within_a_day() {
        let history = vec![
            access("dr-a", "RR8", 0),
            access("dr-a", "RR8", 3),
            access("dr-b", "RR8", 4),
            access("dr-a", "RR8", 24 * 60 - 1),
            access("dr-a", "RR8", 24 * 60),
            access("dr-a", "RR8", 24 * 60 + 5),
        ];
        let of = |a: &Access| attendance_of(&history, a);
        assert_eq!(of(&history[0]), "dr-a-0");
        assert_eq!(
            of(&history[1]),
            "dr-a-0",
            "three minutes later: the same attendance"
        );
        assert_eq!(
            of(&history[2]),
            "dr-b-4",
            "another clinician: an attendance of their own"
        );
        assert_eq!(of(&history[3]), "dr-a-0");
        assert_eq!(
            of(&history[4]),
            "dr-a-1440",
            "24 hours after the first: a new attendance"
        );
        assert_eq!(of(&history[5]), "dr-a-1440");
        // The answer does not depend on whether the history holds the access itself, or on order.
        let mut shuffled: Vec<Access> = history[..4].iter().rev().cloned().collect();
        shuffled.retain(|a| a.access_id != "dr-a-3");
        assert_eq!(attendance_of(&shuffled, &history[1]), "dr-a-0");
        assert_eq!(attendance_of(&[], &history[1]), "dr-a-3");
    }

    #[test]
    fn at_most_25_are_shown_newest_first() {
        let many: Vec<Access> = (0..40)
            .map(|i| access(&format!("u{i}"), "RR8", i))
            .collect();
        let shown = visits_to_show(many);
        assert_eq!(shown.len(), VISITS_SHOWN);
        assert!(shown.windows(2).all(|w| w[0].at > w[1].at));
        assert_eq!(shown[0].at, access("x", "RR8", 39).at);
    }

    #[test]
    fn only_allowed_unscheduled_care_alerts() {
        let mut a = access("dr-a", "RR8", 0);
        assert!(a.alerts());
        a.role = Role::ScheduledCare;
        assert!(!a.alerts());
        a.role = Role::UnscheduledCare;
        a.outcome = AccessOutcome::DeniedRole;
        assert!(!a.alerts());
    }
}
