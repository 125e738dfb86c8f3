//! What the fan-out queue carries: an access to fan out, or a recheck of a child that has just
//! had its first plan put on it.
//!
//! A lookup that finds no plan record hands nothing to fan-out (the lean path: its read and its
//! audit write are its whole cost). The one way that could lose an alert is a race: the
//! lookup's read runs just before a plan's first write lands, while the lookup's clock already
//! stands after the time the plan counts as held from. So every write that puts a plan on a
//! child (a creation, or a move onto it) queues a [`Recheck`] delayed by [`RECHECK_AFTER`],
//! longer than any lookup can run: by the time fan-out reads it, every lookup that could have
//! missed the plan has written its visit, and fan-out fans out each visit of the child made
//! since the plan was held, as if the lookup had handed it over itself (idempotently: a visit
//! already fanned out makes nothing new).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::child_key::ChildKey;
use crate::child_search::DemographicMatch;

/// How long a recheck waits in the queue: more than the lookup function's timeout (10 s), with
/// room for the clocks of two functions to disagree. SQS allows up to 900 s.
pub const RECHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Look again at the child's visits made since `since` (when the plan recorded on it counts as
/// held from). Names the child by key only, like an access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recheck {
    pub child: ChildKey,
    /// The same child under the other keys in use during a key rotation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<ChildKey>,
    pub since: DateTime<Utc>,
}

impl Recheck {
    /// Every key the child's partition may be under.
    pub fn child_keys(&self) -> impl Iterator<Item = &ChildKey> {
        std::iter::once(&self.child).chain(&self.aliases)
    }

    /// The queue message body.
    pub fn body(&self) -> String {
        serde_json::to_string(&FanoutMessage::Recheck(self.clone())).expect("a recheck serialises")
    }
}

/// One message on the fan-out queue. An access travels as itself (the form every access message
/// has had); a recheck under its own key, so neither can be read as the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FanoutMessage {
    Recheck(#[serde(with = "tagged")] Recheck),
    /// `{"demographicMatch": {...}}`: an unscheduled-care demographic search that matched.
    DemographicMatch(MatchMessage),
    Access(Box<Access>),
}

/// The message form of a [`DemographicMatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchMessage {
    pub demographic_match: DemographicMatch,
}

impl DemographicMatch {
    /// The queue message body.
    pub fn body(&self) -> String {
        serde_json::to_string(&FanoutMessage::DemographicMatch(MatchMessage {
            demographic_match: self.clone(),
        }))
        .expect("a match serialises")
    }
}

/// A recheck is `{"recheck": {...}}`.
mod tagged {
    use super::Recheck;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Tagged<T> {
        recheck: T,
    }

    pub fn serialize<S: Serializer>(r: &Recheck, s: S) -> Result<S::Ok, S::Error> {
        Tagged { recheck: r }.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Recheck, D::Error> {
        Tagged::<Recheck>::deserialize(d).map(|t| t.recheck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Claims;

    fn key(c: char) -> ChildKey {
        ChildKey::try_from(c.to_string().repeat(crate::child_key::CHILD_KEY_LEN)).unwrap()
    }

    #[test]
    fn a_recheck_and_an_access_each_read_back_as_themselves() {
        let r = Recheck {
            child: key('a'),
            aliases: vec![key('b')],
            since: "2026-12-06T10:00:00Z".parse().unwrap(),
        };
        let back: FanoutMessage = serde_json::from_str(&r.body()).unwrap();
        assert_eq!(back, FanoutMessage::Recheck(r));
        let claims = Claims::from_lookup(|k| match k {
            "org" => Some("RR801"),
            "role" => Some("unscheduled_care"),
            "sub" => Some("dr-1"),
            _ => None,
        })
        .unwrap();
        let a = Access::new(
            &claims,
            key('c'),
            "2026-12-06T10:00:01Z".parse().unwrap(),
            crate::access::AccessOutcome::Allowed,
        );
        let body = serde_json::to_string(&a).unwrap();
        let back: FanoutMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(back, FanoutMessage::Access(Box::new(a.clone())));
        assert!(serde_json::from_str::<FanoutMessage>("{\"recheck\":{}}").is_err());
        let m = DemographicMatch {
            searcher: crate::child_search::Searcher::new(&claims, a.at),
            widened: true,
            matches: vec![crate::child_search::MatchedPlan {
                org: crate::OrgCode::parse("E08000035").unwrap(),
                plan_ref: crate::PlanRef::parse("CP-1", "").unwrap(),
                plan_type: crate::PlanType::Cpp,
                matched: crate::demographics::MatchKind::SoundsAlike,
            }],
        };
        let back: FanoutMessage = serde_json::from_str(&m.body()).unwrap();
        assert_eq!(
            back,
            FanoutMessage::DemographicMatch(MatchMessage {
                demographic_match: m
            })
        );
        assert!(serde_json::from_str::<FanoutMessage>("{not json").is_err());
    }
}
