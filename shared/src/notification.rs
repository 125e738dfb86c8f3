//! A notification: one responsible LA told that one child was seen in unscheduled care, or that
//! another LA recorded a plan on a child it holds a plan for.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::Access;
use crate::answers::ResponsibleLa;
use crate::attendances::Attendances;
use crate::claims::{Role, SettingType};
use crate::missed::MissedAppointment;
use crate::nhs_number::NhsNumber;
use crate::org::OrgCode;
use crate::plan::PlanType;
use crate::plan_record::PlanProjection;

/// What a notification tells its LA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A clinician in unscheduled care looked up a child on the LA's plan: an alert. Items
    /// written before there were kinds are these.
    #[default]
    ChildSeen,
    /// Another LA recorded a plan on (or moved one onto) a child this LA holds a plan for, or
    /// held one for until less than [`OTHER_LA_ENDED_WITHIN_DAYS`] ago. Nothing about visits.
    OtherLaPlan,
    /// Someone changed the LA's profile (contacts, or where its alerts go): in the inbox only,
    /// never sent to a webhook (a repointed webhook must not be the one told of it).
    ProfileChanged,
    /// An alert (a child seen, or an appointment missed) nobody acknowledged within the LA's
    /// window: sent once more, naming the original (`crate::overdue`).
    AlertOverdue,
    /// Scheduled care recorded that a child on the LA's plan (or a pregnant woman, for an
    /// unborn-child plan) missed an appointment (`crate::missed`).
    MissedAppointment,
    /// A clinician in unscheduled care searched by date of birth, sex and family name and found
    /// one of the LA's plans as a possible match (`crate::child_search`): the LA confirms who
    /// the child is. Carries the LA's own plan reference, never what was typed.
    DemographicMatch,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::ChildSeen,
        NotificationKind::OtherLaPlan,
        NotificationKind::ProfileChanged,
        NotificationKind::AlertOverdue,
        NotificationKind::MissedAppointment,
        NotificationKind::DemographicMatch,
    ];

    /// An alert someone must act on: it falls overdue when not acknowledged in time.
    pub fn must_be_acknowledged(self) -> bool {
        matches!(
            self,
            NotificationKind::ChildSeen
                | NotificationKind::MissedAppointment
                | NotificationKind::DemographicMatch
        )
    }

    /// The event type a webhook receives.
    pub fn event_type(self) -> &'static str {
        match self {
            NotificationKind::ChildSeen => "child_seen_in_unscheduled_care",
            NotificationKind::OtherLaPlan => "child_on_another_la_plan",
            NotificationKind::ProfileChanged => "la_profile_changed",
            NotificationKind::AlertOverdue => "alert_overdue",
            NotificationKind::MissedAppointment => "child_missed_appointment",
            NotificationKind::DemographicMatch => "child_possibly_seen_in_unscheduled_care",
        }
    }
}

/// An LA whose plan ended less than this long ago is still told when another LA records a plan
/// on the child: a family that moves is often recorded by the new LA weeks after the old one
/// closed its plan.
pub const OTHER_LA_ENDED_WITHIN_DAYS: i64 = 90;

/// Whether `p` is a plan of another LA than `recorder` that this LA should be told about: live,
/// and active or ended less than [`OTHER_LA_ENDED_WITHIN_DAYS`] before `today`.
pub fn held_by_another(p: &PlanProjection, recorder: &OrgCode, today: NaiveDate) -> bool {
    let since = today - Duration::days(OTHER_LA_ENDED_WITHIN_DAYS);
    &p.org != recorder
        && p.live_plan()
            .is_some_and(|plan| plan.end_date.is_none_or(|end| end > since))
}

/// Another LA's plan on the told LA's child: which LA (its vetted contacts, from its profile),
/// which plan, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtherLaPlan {
    pub la: ResponsibleLa,
    pub plan_type: PlanType,
    pub start_date: NaiveDate,
}

/// The notification id: derived from the access and the LA, so a redelivered access message
/// can only ever name the same notification (idempotent fan-out).
pub fn notification_id(access_id: &str, la: &OrgCode) -> String {
    let digest = Sha256::digest(format!("{access_id}|{la}").as_bytes());
    hex::encode(&digest[..16])
}

/// The id of the `alert_overdue` notice about the alert `original` of `la`: one per alert.
pub fn overdue_notice_id(original: &str, la: &OrgCode) -> String {
    notification_id(&format!("overdue-{original}"), la)
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Created; delivery queued.
    Pending,
    /// Accepted by the LA's webhook (2xx).
    Delivered,
    /// The LA has no webhook: it reads the notification from its inbox.
    Inbox,
    /// Every delivery attempt failed; dead-lettered, reported, still in the inbox.
    Failed,
}

impl DeliveryStatus {
    /// The status as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Inbox => "inbox",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// No further delivery attempt is made.
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryStatus::Pending)
    }
}

/// A notification to one LA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    #[serde(default)]
    pub kind: NotificationKind,
    /// The LA told.
    pub la: OrgCode,
    pub access_id: String,
    /// The child's NHS number, from the LA's plan; gone once the plan is corrected to another
    /// number or withdrawn ([`Notification::struck`]): it may be another child's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nhs_number: Option<NhsNumber>,
    /// Why the number was removed, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub struck: Option<Struck>,
    pub seen_at: DateTime<Utc>,
    pub setting_code: OrgCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_type: Option<SettingType>,
    pub seen_by: String,
    pub seen_by_role: Role,
    /// This LA's plan types for the child at the time.
    pub plan_types: Vec<PlanType>,
    pub status: DeliveryStatus,
    #[serde(default)]
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// The last delivery failure, briefly (status code or "timeout"; never a response body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Access ids of later views in the same attendance (same clinician, within 24 hours of the
    /// first): recorded here instead of alerting the LA again. At most [`MAX_LATER_VIEWS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub later_views: Vec<String>,
    /// When the child was last seen in this attendance, if after the first view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// For [`NotificationKind::OtherLaPlan`]: the other LA and its plan. The fields above that
    /// describe an attendance then describe the recording: `seenAt` is when it was recorded,
    /// `setting` the recording LA, `seenBy` that LA (never a person of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_la: Option<OtherLaPlan>,
    /// For [`NotificationKind::ProfileChanged`]: which change (its id in the profile's history)
    /// and the fields it changed. `seenAt` is when, `seenBy` who (`setting` their organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_change: Option<ProfileChangeNote>,
    /// When this alert fell overdue (not acknowledged within the LA's window), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_at: Option<DateTime<Utc>>,
    /// For [`NotificationKind::AlertOverdue`]: the alert it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<OverdueNote>,
    /// For an alert: the child's unscheduled-care attendances while the LA's plan was held,
    /// this one included (`crate::attendances`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendances: Option<Attendances>,
    /// For [`NotificationKind::MissedAppointment`]: which appointment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<MissedAppointment>,
    /// For [`NotificationKind::DemographicMatch`]: which of the LA's plans matched, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demographic_match: Option<DemographicMatchNote>,
}

/// What a demographic-match alert says: the LA's plan the search matched, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemographicMatchNote {
    pub plan_ref: crate::plan::PlanRef,
    pub plan_type: PlanType,
    #[serde(rename = "match")]
    pub matched: crate::demographics::MatchKind,
    /// Whether the clinician widened the search to sound-alike family names.
    pub widened: bool,
}

/// What an overdue notification says of the alert it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueNote {
    /// The alert nobody acknowledged.
    pub notification_id: String,
    /// Its kind.
    pub kind: NotificationKind,
    /// When it fell due.
    pub deadline: DateTime<Utc>,
}

/// What a profile-change notification says of the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChangeNote {
    pub change_id: String,
    pub changed: Vec<String>,
}

/// Later views kept on one notification (the item stays small; the count stops there).
pub const MAX_LATER_VIEWS: usize = 100;

/// Who caused a notification, where and when (a clinician's view, a search, a profile change,
/// another LA's recording).
struct Seen {
    at: DateTime<Utc>,
    setting_code: OrgCode,
    setting_name: Option<String>,
    setting_type: Option<SettingType>,
    by: String,
    by_role: Role,
}

impl Notification {
    /// The notification for `la` about `access` to the child `nhs_number` (taken from the LA's
    /// plan: the access itself names the child only by key).
    pub fn new(
        access: &Access,
        nhs_number: NhsNumber,
        la: OrgCode,
        plan_types: Vec<PlanType>,
        now: DateTime<Utc>,
    ) -> Self {
        Self::for_attendance(&access.access_id, access, nhs_number, la, plan_types, now)
    }

    /// The notification for `la` about the attendance that began with access `attendance`
    /// ([`crate::access::attendance_of`]): its id depends on the attendance, not the view, so
    /// repeated views by one clinician within a day are one notification.
    pub fn for_attendance(
        attendance: &str,
        access: &Access,
        nhs_number: NhsNumber,
        la: OrgCode,
        plan_types: Vec<PlanType>,
        now: DateTime<Utc>,
    ) -> Self {
        let id = notification_id(attendance, &la);
        Self {
            nhs_number: Some(nhs_number),
            plan_types,
            ..Self::pending(
                NotificationKind::ChildSeen,
                id,
                la,
                access.access_id.clone(),
                Seen {
                    at: access.at,
                    setting_code: access.org.clone(),
                    setting_name: access.org_name.clone(),
                    setting_type: access.setting_type,
                    by: access.user.as_str().to_owned(),
                    by_role: access.role,
                },
                now,
            )
        }
    }

    /// The alert telling `m.org` that the unscheduled-care search `search` matched its plan
    /// `m.plan_ref`. Its id depends on the search and the plan, so a redelivered message names
    /// the same notification.
    pub fn demographic_match(
        search: &crate::child_search::DemographicMatch,
        m: &crate::child_search::MatchedPlan,
        now: DateTime<Utc>,
    ) -> Self {
        let s = &search.searcher;
        let event = format!("search-{}-{}", s.search_id, m.plan_ref);
        Self {
            plan_types: vec![m.plan_type],
            demographic_match: Some(DemographicMatchNote {
                plan_ref: m.plan_ref.clone(),
                plan_type: m.plan_type,
                matched: m.matched,
                widened: search.widened,
            }),
            ..Self::pending(
                NotificationKind::DemographicMatch,
                notification_id(&event, &m.org),
                m.org.clone(),
                s.search_id.clone(),
                Seen {
                    at: s.at,
                    setting_code: s.org.clone(),
                    setting_name: s.org_name.clone(),
                    setting_type: s.setting_type,
                    by: s.user.as_str().to_owned(),
                    by_role: s.role,
                },
                now,
            )
        }
    }

    /// The LA's inbox note that its profile changed: never delivered (its status is `inbox`).
    pub fn profile_changed(change: &crate::profile_change::ProfileChange) -> Self {
        let event = format!("profile-{}", change.change_id);
        Self {
            status: DeliveryStatus::Inbox,
            profile_change: Some(ProfileChangeNote {
                change_id: change.change_id.clone(),
                changed: change.changed.clone(),
            }),
            ..Self::pending(
                NotificationKind::ProfileChanged,
                notification_id(&event, &change.org),
                change.org.clone(),
                event,
                Seen {
                    at: change.at,
                    setting_code: change.by_org.clone(),
                    setting_name: None,
                    setting_type: None,
                    by: change.by.clone(),
                    by_role: change.by_role,
                },
                change.at,
            )
        }
    }

    /// The notification telling `la` (which holds a plan of `plan_types` on the child
    /// `nhs_number`) that `other` recorded a plan on the child at `now`. `event` names the
    /// recording (the other LA's plan, child and first-recorded time), so a replay of it can only
    /// name the same notification.
    pub fn other_la_plan(
        event: &str,
        la: OrgCode,
        nhs_number: NhsNumber,
        plan_types: Vec<PlanType>,
        other: OtherLaPlan,
        now: DateTime<Utc>,
    ) -> Self {
        let id = notification_id(event, &la);
        let access_id = format!("plan-{}", &id[..16]);
        let seen = Seen {
            at: now,
            setting_code: other.la.code.clone(),
            setting_name: Some(other.la.name.clone()),
            setting_type: None,
            by: other.la.code.as_str().to_owned(),
            by_role: Role::LocalAuthority,
        };
        Self {
            nhs_number: Some(nhs_number),
            plan_types,
            other_la: Some(other),
            ..Self::pending(NotificationKind::OtherLaPlan, id, la, access_id, seen, now)
        }
    }

    /// A notification of `kind` to `la`, pending delivery, about no child and with nothing its
    /// kind adds: each constructor above fills in what its kind says.
    fn pending(
        kind: NotificationKind,
        notification_id: String,
        la: OrgCode,
        access_id: String,
        seen: Seen,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            notification_id,
            kind,
            la,
            access_id,
            nhs_number: None,
            struck: None,
            seen_at: seen.at,
            setting_code: seen.setting_code,
            setting_name: seen.setting_name,
            setting_type: seen.setting_type,
            seen_by: seen.by,
            seen_by_role: seen.by_role,
            plan_types: Vec::new(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            delivered_at: None,
            acknowledged_at: None,
            acknowledged_by: None,
            last_error: None,
            later_views: Vec::new(),
            last_seen_at: None,
            other_la: None,
            profile_change: None,
            overdue_at: None,
            overdue: None,
            attendances: None,
            missed: None,
            demographic_match: None,
        }
    }

    /// The notification telling the LA that `original` fell overdue at `deadline`: the same
    /// child, setting and time, sent once (its id follows from the original's).
    pub fn overdue(original: &Notification, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            notification_id: overdue_notice_id(&original.notification_id, &original.la),
            access_id: format!("overdue-{}", original.notification_id),
            kind: NotificationKind::AlertOverdue,
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            delivered_at: None,
            acknowledged_at: None,
            acknowledged_by: None,
            last_error: None,
            later_views: Vec::new(),
            overdue_at: None,
            overdue: Some(OverdueNote {
                notification_id: original.notification_id.clone(),
                kind: original.kind,
                deadline,
            }),
            ..original.clone()
        }
    }

    /// The body POSTed to the LA's webhook.
    pub fn webhook_body(&self) -> serde_json::Value {
        if let (NotificationKind::AlertOverdue, Some(o)) = (self.kind, &self.overdue) {
            return serde_json::json!({
                "type": self.kind.event_type(),
                "notificationId": self.notification_id,
                "alertNotificationId": o.notification_id,
                "alertType": o.kind.event_type(),
                "deadline": o.deadline,
                "la": self.la,
                "nhsNumber": self.nhs_number,
                "seenAt": self.seen_at,
                "setting": {"code": self.setting_code, "name": self.setting_name},
                "planTypes": self.plan_types,
            });
        }
        if let (NotificationKind::MissedAppointment, Some(m)) = (self.kind, &self.missed) {
            return serde_json::json!({
                "type": self.kind.event_type(),
                "notificationId": self.notification_id,
                "accessId": self.access_id,
                "la": self.la,
                "nhsNumber": self.nhs_number,
                "recordedAt": self.seen_at,
                "setting": {"code": self.setting_code, "name": self.setting_name},
                "recordedBy": {"userId": self.seen_by, "role": self.seen_by_role},
                "appointment": m,
                "planTypes": self.plan_types,
            });
        }
        if let (NotificationKind::DemographicMatch, Some(m)) = (self.kind, &self.demographic_match)
        {
            // No NHS number: the search did not identify the child. The LA's own reference says
            // which plan matched, so its system can act without reading the inbox.
            return serde_json::json!({
                "type": self.kind.event_type(),
                "notificationId": self.notification_id,
                "searchId": self.access_id,
                "la": self.la,
                "seenAt": self.seen_at,
                "setting": {"code": self.setting_code, "name": self.setting_name},
                "seenBy": {"userId": self.seen_by, "role": self.seen_by_role},
                "planTypes": self.plan_types,
                "demographicMatch": m,
            });
        }
        if let (NotificationKind::OtherLaPlan, Some(other)) = (self.kind, &self.other_la) {
            return serde_json::json!({
                "type": self.kind.event_type(),
                "notificationId": self.notification_id,
                "la": self.la,
                "nhsNumber": self.nhs_number,
                "recordedAt": self.seen_at,
                "otherLa": other.la,
                "otherPlan": {"planType": other.plan_type, "startDate": other.start_date},
                "planTypes": self.plan_types,
            });
        }
        serde_json::json!({
            "type": self.kind.event_type(),
            "notificationId": self.notification_id,
            "accessId": self.access_id,
            "la": self.la,
            "nhsNumber": self.nhs_number,
            "seenAt": self.seen_at,
            "setting": {"code": self.setting_code, "name": self.setting_name},
            "seenBy": {"userId": self.seen_by, "role": self.seen_by_role},
            "planTypes": self.plan_types,
            "attendances": self.attendances,
        })
    }
}

/// Why a notification no longer names its child: the LA's plan moved to another NHS number (the
/// old one was a mistake, maybe another child's) or was withdrawn as recorded in error. The LA
/// still sees that, when and where a clinician looked the plan up, never the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Struck {
    Corrected,
    Withdrawn,
}

impl Struck {
    pub fn as_str(self) -> &'static str {
        match self {
            Struck::Corrected => "corrected",
            Struck::Withdrawn => "withdrawn",
        }
    }
}

/// The message on the delivery queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryMessage {
    pub notification_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_per_access_and_la() {
        let a = OrgCode::parse("E08000035").unwrap();
        let b = OrgCode::parse("E09000007").unwrap();
        assert_eq!(notification_id("acc-1", &a), notification_id("acc-1", &a));
        assert_ne!(notification_id("acc-1", &a), notification_id("acc-1", &b));
        assert_ne!(notification_id("acc-1", &a), notification_id("acc-2", &a));
        assert_eq!(notification_id("acc-1", &a).len(), 32);
    }
}
