use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
}

fn row(user: &str, role: Role, hour: DateTime<Utc>, lookups: u64) -> HourUsage {
    HourUsage {
        user: UserId::parse(user).unwrap(),
        role,
        hour,
        lookups,
        silent: 0,
        refused: 0,
        audit_reads: 0,
    }
}

const WEEK_DAY: u32 = 30; // Monday 30 November 2026

fn week() -> IsoWeek {
    IsoWeek::of(at(WEEK_DAY, 0))
}

#[test]
fn the_cap_refuses_only_past_its_number_and_asks_for_the_next_hour() {
    let cap = UsageCap::new(3).unwrap();
    assert!(!cap.refuses(3));
    assert!(cap.refuses(4));
    assert_eq!(cap.refused_of(5), 2);
    assert_eq!(cap.refused_of(2), 0);
    assert_eq!(UsageCap::retry_after(at(1, 10)), 3600);
    let late = Utc.with_ymd_and_hms(2026, 11, 1, 10, 59, 59).unwrap();
    assert_eq!(UsageCap::retry_after(late), 1);
    assert_eq!(UsageCap::new(0), None);
    assert_eq!(UsageCap::new(MAX_CAP_PER_HOUR + 1), None);
    assert_eq!(UsageCap::default().per_hour(), DEFAULT_CAP_PER_HOUR);
    const { assert!(DEFAULT_CAP_PER_HOUR <= 1_000) };
    let t = Utc.with_ymd_and_hms(2026, 11, 1, 10, 42, 7).unwrap();
    assert_eq!(hour_of(t), at(1, 10));
}

#[test]
fn a_user_past_the_cap_heads_the_view_and_quiet_users_do_not_stand_out() {
    let cap = UsageCap::new(50).unwrap();
    let mut rows: Vec<HourUsage> = (0..8)
        .map(|i| {
            row(
                &format!("nurse-{i}"),
                Role::UnscheduledCare,
                at(WEEK_DAY, 9 + i),
                6,
            )
        })
        .collect();
    rows.push(row("scraper", Role::UnscheduledCare, at(WEEK_DAY, 3), 70));
    let v = oversight("RX1", week(), cap, &rows, &[]);
    assert_eq!(v.users[0].user, "scraper");
    assert_eq!(
        v.users[0].reasons,
        vec![Reason::PassedCap, Reason::FarAboveMedian]
    );
    assert_eq!(v.users[0].over_cap, Shown::Exact { value: 20 });
    assert!(v.users[1..].iter().all(|u| !u.stands_out));
    assert_eq!(v.median_user_lookups, Shown::Exact { value: 6 });
    assert_eq!(v.lookups, Shown::Exact { value: 118 });
    // 09:00 holds nurse-0's 6 only; 03:00 the scraper's 70: the organisation's busiest hour.
    assert_eq!(v.busiest_hour, Shown::Exact { value: 70 });
    assert_eq!(v.week, "2026-W49");
}

#[test]
fn mostly_silent_reads_by_an_emergency_department_user_stand_out_but_not_by_scheduled_care() {
    let mut ed = row("ed", Role::UnscheduledCare, at(WEEK_DAY, 10), 30);
    ed.silent = 20;
    let mut gp = row("gp", Role::ScheduledCare, at(WEEK_DAY, 10), 30);
    gp.silent = 30;
    let v = oversight("RX1", week(), UsageCap::default(), &[ed, gp], &[]);
    let ed = v.users.iter().find(|u| u.user == "ed").unwrap();
    let gp = v.users.iter().find(|u| u.user == "gp").unwrap();
    assert_eq!(ed.reasons, vec![Reason::MostlySilent]);
    assert_eq!(ed.silent_share, Some(0.67));
    assert!(gp.reasons.is_empty());
}

#[test]
fn hours_outside_a_user_s_usual_ones_are_counted_against_the_baseline() {
    // Usual: 09:00 and 10:00 on several days of the four weeks before.
    let baseline: Vec<HourUsage> = [2, 3, 9, 10]
        .into_iter()
        .flat_map(|d| [9, 10].map(|h| row("nurse", Role::UnscheduledCare, at(d, h), 3)))
        // A single night shift is not a usual hour.
        .chain([row("nurse", Role::UnscheduledCare, at(4, 2), 3)])
        .collect();
    let rows = vec![
        row("nurse", Role::UnscheduledCare, at(WEEK_DAY, 9), 10),
        row("nurse", Role::UnscheduledCare, at(WEEK_DAY, 2), 12),
        row("new", Role::UnscheduledCare, at(WEEK_DAY, 2), 30),
    ];
    let v = oversight("RX1", week(), UsageCap::default(), &rows, &baseline);
    let nurse = v.users.iter().find(|u| u.user == "nurse").unwrap();
    assert_eq!(nurse.outside_usual_hours, Some(Shown::Exact { value: 12 }));
    assert!(nurse.reasons.contains(&Reason::OutsideUsualHours));
    // No baseline: not assessed, rather than everything counted as unusual.
    let new = v.users.iter().find(|u| u.user == "new").unwrap();
    assert_eq!(new.outside_usual_hours, None);
    assert!(!new.reasons.contains(&Reason::OutsideUsualHours));
}

#[test]
fn refusals_and_audit_reads_mark_their_users() {
    let mut la = row("la-worker", Role::LocalAuthority, at(WEEK_DAY, 10), 0);
    la.refused = 1;
    let mut op = row("operator", Role::Operator, at(WEEK_DAY, 11), 0);
    op.audit_reads = AUDIT_READS_ATTENTION_PER_HOUR;
    let v = oversight("X26", week(), UsageCap::default(), &[la, op], &[]);
    let la = v.users.iter().find(|u| u.user == "la-worker").unwrap();
    assert_eq!(la.reasons, vec![Reason::RefusedRole]);
    assert_eq!(la.refused, Shown::FewerThan5);
    let op = v.users.iter().find(|u| u.user == "operator").unwrap();
    assert_eq!(op.reasons, vec![Reason::ManyAuditReads]);
}

#[test]
fn a_user_id_is_never_a_formula_in_the_csv() {
    let v = oversight(
        "RX1",
        week(),
        UsageCap::default(),
        &[row(
            "=HYPERLINK(\"x\")",
            Role::ScheduledCare,
            at(WEEK_DAY, 10),
            7,
        )],
        &[],
    );
    let csv = v.to_csv();
    assert!(csv.starts_with(CSV_HEADER));
    assert!(csv.contains("'=HYPERLINK"));
}

proptest! {
    /// No count from 1 to 4 is ever shown, whatever the week's counts.
    #[test]
    fn no_count_below_five_is_shown(
        cells in proptest::collection::vec((0u8..6, 0u32..24, 0u64..9, 0u64..9, 0u64..3, 0u64..3), 1..30),
    ) {
        let rows: Vec<HourUsage> = cells
            .iter()
            .map(|&(u, h, lookups, silent, refused, audit)| HourUsage {
                user: UserId::parse(&format!("u{u}")).unwrap(),
                role: Role::UnscheduledCare,
                hour: at(WEEK_DAY, h),
                lookups,
                silent: silent.min(lookups),
                refused,
                audit_reads: audit,
            })
            .collect();
        let v = oversight("RX1", week(), UsageCap::new(4).unwrap(), &rows, &rows);
        let small = |s: Shown| matches!(s.value(), Some(1..=4));
        for s in [v.lookups, v.silent, v.refused, v.audit_reads, v.median_user_lookups, v.busiest_hour] {
            prop_assert!(!small(s));
        }
        for u in &v.users {
            for s in [u.lookups, u.silent, u.over_cap, u.refused, u.audit_reads, u.busiest_hour]
                .into_iter()
                .chain(u.outside_usual_hours)
            {
                prop_assert!(!small(s));
            }
            // A share is shown only beside an exact total, which it cannot narrow further.
            let exact = |s: Shown| matches!(s, Shown::Exact { .. });
            prop_assert!(u.silent_share.is_none() || (exact(u.lookups) && exact(u.silent)));
        }
    }
}
