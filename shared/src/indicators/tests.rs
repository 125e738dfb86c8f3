use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::answers::RecordOutcome;
use crate::claims::SettingType;
use crate::disclosure::{Shown, THRESHOLD};
use crate::org::OrgCode;
use crate::plan::PlanType;

fn org(code: &str) -> OrgCode {
    OrgCode::parse(code).unwrap()
}

fn week() -> IsoWeek {
    "2026-W49".parse().unwrap()
}

fn counts(pairs: &[(String, u64)]) -> Counts {
    Counts(pairs.iter().cloned().collect::<BTreeMap<_, _>>())
}

fn series<'a>(r: &'a Report, key: &str) -> &'a IndicatorSeries {
    r.indicators.iter().find(|s| s.key == key).unwrap()
}

/// Stored numbers of an LA that saw `sent` alerts (all from emergency departments), delivered
/// `webhook` of them, and measured `cpp` child protection plans.
fn la_week(code: &str, sent: u64, webhook: u64, cpp: u64) -> LaWeek {
    let mut pairs = vec![
        (
            Counter::AlertSent(Some(SettingType::EmergencyDepartment)).attribute(),
            sent,
        ),
        (Counter::DeliveredByWebhook.attribute(), webhook),
        (
            Counter::DeliveredWithin(TimeBand::of_seconds(4)).attribute(),
            webhook,
        ),
    ];
    for t in [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp] {
        let n = if t == PlanType::Cpp { cpp } else { 0 };
        pairs.push((StateValue::ActivePlans(t).attribute(), n));
    }
    LaWeek {
        org: org(code),
        week: week(),
        counts: counts(&pairs),
    }
}

#[test]
fn a_large_la_sees_its_exact_figures_beside_the_national_median() {
    let data = [
        la_week("E08000035", 40, 40, 120),
        la_week("E09000007", 10, 10, 30),
        la_week("E06000001", 20, 20, 60),
        la_week("E06000002", 30, 30, 90),
        la_week("E06000003", 0, 0, 0),
    ];
    let las: Vec<OrgCode> = data.iter().map(|d| d.org.clone()).collect();
    let r = publish(&Scope::La(org("E08000035")), &[week()], &las, &data);
    assert_eq!(r.scope, "E08000035");
    assert_eq!(r.las_compared, 5);
    let sent = series(&r, "alerts_sent");
    assert_eq!(sent.values, vec![Some(Shown::Exact { value: 40 })]);
    assert_eq!(sent.national_median, vec![Some(Shown::Exact { value: 20 })]);
    // Plans are a state measured again each week: rounded to the nearest 5.
    assert_eq!(
        series(&r, "plans_cpp").values,
        vec![Some(Shown::Rounded { value: 120 })]
    );
    assert_eq!(
        series(&r, "plans_total").national_median,
        vec![Some(Shown::Rounded { value: 60 })]
    );
    // Every delivery within 10 s: median and 90th percentile read 10.
    assert_eq!(
        series(&r, "delivered_median_s").values,
        vec![Some(Shown::Exact { value: 10 })]
    );
    // Nobody read an alert in the inbox: no time to show.
    assert_eq!(
        series(&r, "read_median_s").values,
        vec![Some(Shown::Withheld)]
    );
    // The nightly pass measured no extract.
    assert_eq!(series(&r, "extract_age_days").values, vec![None]);
}

#[test]
fn an_la_with_nothing_stored_counts_zero_in_the_median_and_plans_read_no_data() {
    let data = [la_week("E08000035", 40, 40, 120)];
    let las: Vec<OrgCode> = [
        "E08000035",
        "E09000007",
        "E06000001",
        "E06000002",
        "E06000003",
    ]
    .into_iter()
    .map(org)
    .collect();
    let r = publish(
        &Scope::La(org("E09000007")),
        &[week().previous(), week()],
        &las,
        &data,
    );
    let sent = series(&r, "alerts_sent");
    assert_eq!(sent.values, vec![Some(Shown::Exact { value: 0 }); 2]);
    assert_eq!(
        sent.national_median,
        vec![Some(Shown::Exact { value: 0 }); 2]
    );
    assert_eq!(series(&r, "plans_total").values, vec![None, None]);
    assert_eq!(r.weeks, ["2026-W48", "2026-W49"]);
}

#[test]
fn a_small_la_s_counts_are_fewer_than_5_and_nothing_gives_them_away() {
    // Three alerts, two delivered, one still pending; two child protection plans.
    let data = [
        la_week("E06000053", 3, 2, 2),
        la_week("E08000035", 40, 40, 120),
    ];
    let r = publish(&Scope::La(org("E06000053")), &[week()], &[], &data);
    let v = |k: &str| series(&r, k).values[0];
    assert_eq!(v("plans_cpp"), Some(Shown::FewerThan5));
    assert_eq!(v("plans_total"), Some(Shown::Withheld));
    assert_eq!(v("alerts_webhook"), Some(Shown::FewerThan5));
    assert_eq!(v("alerts_pending"), Some(Shown::FewerThan5));
    assert_eq!(v("alerts_sent"), Some(Shown::Withheld));
    // The other partitions of the same three alerts would give them away: withheld whole.
    assert_eq!(v("setting_emergency_department"), Some(Shown::Withheld));
    assert_eq!(v("alerts_unread"), Some(Shown::Withheld));
    assert_eq!(v("delivered_median_s"), Some(Shown::Withheld));
    let csv = to_csv(&r, Some("alerts_webhook"));
    assert!(csv.contains("alerts_webhook"));
    assert!(csv.contains("fewer than 5"));
    assert!(!csv.contains(",2,") && !csv.contains(",3,"));
}

#[test]
fn the_csv_is_the_report_cell_for_cell() {
    let data = [
        la_week("E08000035", 40, 38, 120),
        la_week("E09000007", 3, 3, 4),
    ];
    let weeks = week().last(2);
    let r = publish(&Scope::National, &weeks, &[], &data);
    let csv = to_csv(&r, None);
    let mut rows = ::csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<::csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), INDICATORS.len() * weeks.len());
    for row in rows {
        let s = series(&r, &row[3]);
        let i = r.weeks.iter().position(|w| *w == row[1]).unwrap();
        let text = |x: Option<Shown>| x.map_or("no data".to_owned(), Shown::text);
        assert_eq!(row[0].to_owned(), "national");
        assert_eq!(row[6].to_owned(), text(s.values[i]));
        assert_eq!(row[7].to_owned(), text(s.national_median[i]));
    }
    // National totals: 43 sent, all from emergency departments, 41 delivered and 2 pending.
    // The settings give the total away (so it is shown), and the outcomes, with a small part,
    // are withheld whole.
    let v = |k: &str| series(&r, k).values[1];
    assert_eq!(
        v("setting_emergency_department"),
        Some(Shown::Exact { value: 43 })
    );
    assert_eq!(v("alerts_webhook"), Some(Shown::Withheld));
    assert_eq!(v("alerts_pending"), Some(Shown::Withheld));
    assert_eq!(v("alerts_sent"), Some(Shown::Exact { value: 43 }));
}

#[test]
fn over_fewer_than_5_las_the_median_is_withheld() {
    // Of two LAs the median is their mean: Leeds (20) could work Camden's 3 out from it.
    let data = [
        la_week("E08000035", 20, 20, 20),
        la_week("E09000007", 3, 3, 3),
    ];
    let r = publish(&Scope::La(org("E08000035")), &[week()], &[], &data);
    // (What no LA measured, such as an extract's age, is "no data".)
    for s in r.indicators.iter().filter(|s| s.values[0].is_some()) {
        assert_eq!(s.national_median, vec![Some(Shown::Withheld)], "{}", s.key);
    }
    assert_eq!(
        series(&r, "alerts_sent").values,
        vec![Some(Shown::Exact { value: 20 })]
    );
}

#[test]
fn every_indicator_is_published_once_in_its_defined_order() {
    let r = publish(&Scope::National, &[week()], &[], &[]);
    let keys: Vec<&str> = r.indicators.iter().map(|s| s.key).collect();
    let defined: Vec<&str> = INDICATORS.iter().map(|d| d.key).collect();
    assert_eq!(keys, defined);
    assert!(indicator("alerts_sent").is_some() && indicator("nope").is_none());
}

fn small() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..8, 0u64..60]
}

proptest! {
    /// Whatever a small LA's events were, no count it publishes (nor any national median) is
    /// from 1 to 4, and no time is published over fewer than 5 events.
    #[test]
    fn no_published_count_is_ever_1_to_4(
        settings in proptest::collection::vec(small(), 6),
        outcome in proptest::collection::vec(small(), 3),
        read in small(),
        records in proptest::collection::vec(small(), 7),
        plans in proptest::collection::vec(small(), 3),
        quality in proptest::collection::vec(small(), 5),
        other in small(),
    ) {
        let mut pairs = Vec::new();
        let types: Vec<Option<SettingType>> = SettingType::ALL.into_iter().map(Some).chain([None]).collect();
        for (t, n) in types.into_iter().zip(&settings) {
            pairs.push((Counter::AlertSent(t).attribute(), *n));
        }
        let sent: u64 = settings.iter().sum();
        // Outcomes never exceed what was sent.
        let mut left = sent;
        for (c, n) in [Counter::DeliveredByWebhook, Counter::LeftInInbox, Counter::DeadLettered].into_iter().zip(&outcome) {
            let n = (*n).min(left);
            left -= n;
            pairs.push((c.attribute(), n));
            if c == Counter::DeliveredByWebhook {
                pairs.push((Counter::DeliveredWithin(TimeBand::of_seconds(40)).attribute(), n));
            }
        }
        pairs.push((Counter::Read.attribute(), read.min(sent)));
        pairs.push((Counter::ReadWithin(TimeBand::of_seconds(900)).attribute(), read.min(sent)));
        let outcomes = [RecordOutcome::Created, RecordOutcome::Updated, RecordOutcome::Unchanged, RecordOutcome::Moved, RecordOutcome::Stale, RecordOutcome::Rejected, RecordOutcome::Failed];
        for (o, n) in outcomes.into_iter().zip(&records) {
            pairs.push((Counter::Record(o).attribute(), *n));
        }
        for (t, n) in [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp].into_iter().zip(&plans) {
            pairs.push((StateValue::ActivePlans(t).attribute(), *n));
        }
        let states = [StateValue::NotInIndex, StateValue::NotInExtract, StateValue::VersionMismatches, StateValue::UnbornPastDue, StateValue::OpenTooLong];
        for (s, n) in states.into_iter().zip(&quality) {
            pairs.push((s.attribute(), *n));
        }
        let small_la = LaWeek { org: org("E06000053"), week: week(), counts: counts(&pairs) };
        let neighbour = la_week("E06000054", other, other / 2, other);
        let data = [small_la, neighbour];
        for scope in [Scope::La(org("E06000053")), Scope::National] {
            let r = publish(&scope, &[week()], &[], &data);
            for s in &r.indicators {
                for shown in s.values.iter().chain(&s.national_median).flatten() {
                    if let (Unit::Count, Some(v)) = (s.unit, shown.value()) {
                        prop_assert!(v == 0 || v >= THRESHOLD, "{} published {}", s.key, v);
                    }
                }
            }
            let events: u64 = r.indicators.iter().find(|s| s.key == "alerts_read").map(|_| read.min(sent)).unwrap();
            if events < THRESHOLD && scope != Scope::National {
                prop_assert_eq!(series(&r, "read_median_s").values[0], Some(Shown::Withheld));
            }
        }
    }
}
