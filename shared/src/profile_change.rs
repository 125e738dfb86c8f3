//! Operators answer for their actions: every change to an LA's profile (above all its webhook's
//! address and secret reference, where alerts about its children go) is kept with who made it,
//! when, and the values before and after; the LA reads the history and is told in its inbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::claims::{Claims, Role};
use crate::org::OrgCode;
use crate::profile::LaProfile;

/// One change to an LA's profile, as kept and as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChange {
    pub change_id: String,
    /// The LA whose profile changed.
    pub org: OrgCode,
    pub at: DateTime<Utc>,
    /// Who changed it: the user, its role and organisation.
    pub by: String,
    pub by_role: Role,
    pub by_org: OrgCode,
    /// The fields that changed (`name`, `team`, `officeHoursPhone`, `emergencyDutyPhone`,
    /// `webhook.url`, `webhook.secretRef`, `acknowledgeWithinHours`; for a first profile, every one it sets).
    pub changed: Vec<String>,
    /// The profile before (none for the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<LaProfile>,
    pub after: LaProfile,
}

/// The fields a change is described by, in the order shown.
pub const FIELDS: [&str; 7] = [
    "name",
    "team",
    "officeHoursPhone",
    "emergencyDutyPhone",
    "webhook.url",
    "webhook.secretRef",
    "acknowledgeWithinHours",
];

impl ProfileChange {
    /// The change from `before` to `after` made by `caller` at `at`; none when no field a
    /// clinician or delivery reads differs (saving the same profile again is not a change).
    pub fn between(
        before: Option<&LaProfile>,
        after: &LaProfile,
        caller: &Claims,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        let old = before.map(fields).unwrap_or_default();
        let new = fields(after);
        let changed: Vec<String> = FIELDS
            .iter()
            .filter(|f| old.get(**f) != new.get(**f))
            .map(|f| (*f).to_owned())
            .collect();
        if changed.is_empty() {
            return None;
        }
        Some(Self {
            change_id: uuid::Uuid::new_v4().simple().to_string(),
            org: after.org.clone(),
            at,
            by: caller.user.as_str().to_owned(),
            by_role: caller.role,
            by_org: caller.org.clone(),
            changed,
            before: before.cloned(),
            after: after.clone(),
        })
    }

    /// Whether where alerts go changed (the webhook's address or secret).
    pub fn touches_webhook(&self) -> bool {
        self.changed.iter().any(|f| f.starts_with("webhook."))
    }
}

/// The profile's described fields, flattened (`webhook.url`), absent ones left out.
fn fields(p: &LaProfile) -> serde_json::Map<String, Value> {
    let v = serde_json::to_value(p).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for f in FIELDS {
        let value = match f.split_once('.') {
            Some((outer, inner)) => v.get(outer).and_then(|o| o.get(inner)),
            None => v.get(f),
        };
        if let Some(value) = value.filter(|x| !x.is_null()) {
            out.insert(f.to_owned(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn profile(body: Value) -> LaProfile {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        LaProfile::from_json(
            &body,
            OrgCode::parse("E08000035").unwrap(),
            false,
            at,
            "ops-1",
        )
        .unwrap()
    }

    fn operator() -> Claims {
        Claims::from_lookup(|k| match k {
            "org" => Some("X26"),
            "role" => Some("operator"),
            "sub" => Some("ops-3"),
            _ => None,
        })
        .unwrap()
    }

    const BASE: &str = r#"{"name": "Leeds City Council", "team": "Front Door", "officeHoursPhone": "0113 222 4403", "emergencyDutyPhone": "0113 535 0600"}"#;

    #[test]
    fn a_first_profile_changes_every_field_it_sets_and_saving_it_again_changes_nothing() {
        let p = profile(serde_json::from_str(BASE).unwrap());
        let at = Utc::now();
        let first = ProfileChange::between(None, &p, &operator(), at).unwrap();
        assert_eq!(
            first.changed,
            vec!["name", "team", "officeHoursPhone", "emergencyDutyPhone"]
        );
        assert_eq!(
            (first.by.as_str(), first.by_role),
            ("ops-3", Role::Operator)
        );
        // The same values saved again (a new updatedAt) are not a change.
        let mut again = p.clone();
        again.updated_at = at;
        assert_eq!(
            ProfileChange::between(Some(&p), &again, &operator(), at),
            None
        );
    }

    #[test]
    fn a_repointed_webhook_is_named_with_its_values_before_and_after() {
        let mut before: Value = serde_json::from_str(BASE).unwrap();
        before["webhook"] = json!({"url": "https://hooks.leeds.gov.uk/cpis", "secretRef": "cpindex/webhooks/leeds"});
        let mut after = before.clone();
        after["webhook"]["url"] = json!("https://example.net/collect");
        let (b, a) = (profile(before), profile(after));
        let c = ProfileChange::between(Some(&b), &a, &operator(), Utc::now()).unwrap();
        assert_eq!(c.changed, vec!["webhook.url"]);
        assert!(c.touches_webhook());
        assert_eq!(
            c.before.unwrap().webhook.unwrap().url.as_str(),
            "https://hooks.leeds.gov.uk/cpis"
        );
        assert_eq!(
            c.after.webhook.unwrap().url.as_str(),
            "https://example.net/collect"
        );
    }
}
