use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::access::AccessOutcome;
use crate::claims::{Role, UserId};
use crate::{ChildKey, OrgCode};

const SETTINGS: [&str; 3] = ["RR801", "RAE01", "RWA01"];

fn visit(n: usize, user: usize, setting: usize, hours_before: i64) -> Access {
    Access {
        access_id: format!("v{n}"),
        child: ChildKey::parse(&"a".repeat(64)).unwrap(),
        at: now() - Duration::hours(hours_before),
        user: UserId::parse(&format!("dr-{user}")).unwrap(),
        role: Role::UnscheduledCare,
        org: OrgCode::parse(SETTINGS[setting]).unwrap(),
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

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

#[test]
fn a_third_attendance_in_thirty_days_stands_out_and_repeat_views_do_not() {
    let this = visit(0, 0, 0, 0);
    // Two earlier attendances in other settings, one 40 days ago; a repeat view by this
    // clinician an hour ago is the same attendance as this one.
    let history = vec![
        visit(1, 1, 1, 24 * 3),
        visit(2, 2, 2, 24 * 20),
        visit(3, 0, 0, 1),
        visit(4, 1, 1, 24 * 40),
    ];
    let a = Attendances::of(&history, &this, None);
    assert_eq!(
        (a.last_30_days, a.last_90_days, a.settings_90_days),
        (3, 4, 3)
    );
    assert!(a.is_repeat());
    // While the plan was held: only since ten days ago.
    let held = Attendances::of(&history, &this, Some(now() - Duration::days(10)));
    assert_eq!(
        (held.last_30_days, held.last_90_days, held.settings_90_days),
        (2, 2, 2)
    );
    assert!(!held.is_repeat());
}

proptest! {
    /// Whatever the history: this attendance is always counted, 30 days never count more
    /// than 90, every setting counted is one of the visits', nothing after this access or
    /// before the plan counts, and the order the visits come in changes nothing.
    #[test]
    fn counts_are_bounded_and_order_free(
        raw in proptest::collection::vec((0usize..3, 0usize..3, -48i64..24 * 120), 0..30),
        held_days in proptest::option::of(0i64..120),
    ) {
        let this = visit(999, 0, 0, 0);
        let history: Vec<Access> = raw
            .iter()
            .enumerate()
            .map(|(n, (u, s, h))| visit(n, *u, *s, *h))
            .collect();
        let held = held_days.map(|d| now() - Duration::days(d));
        let a = Attendances::of(&history, &this, held);
        prop_assert!(a.last_30_days >= 1);
        prop_assert!(a.last_30_days <= a.last_90_days);
        // (One clinician's attendance may span two settings within a day.)
        prop_assert!(a.settings_90_days >= 1 && a.settings_90_days as usize <= SETTINGS.len());
        let counted = history
            .iter()
            .filter(|v| v.at <= this.at && v.at >= now() - Duration::days(90))
            .filter(|v| held.is_none_or(|h| v.at >= h))
            .count();
        prop_assert!(a.last_90_days as usize <= counted + 1);
        let mut reversed = history.clone();
        reversed.reverse();
        prop_assert_eq!(Attendances::of(&reversed, &this, held), a);
    }
}
