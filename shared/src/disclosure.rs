//! Disclosure control for published counts (indicators, charts, exports): no child may be
//! identifiable from a number the service shows.
//!
//! - A count from 1 to 4 is shown as "fewer than 5". Zero is shown: it identifies no one.
//! - A total whose parts include a suppressed count is withheld: with the other parts shown it
//!   would give the suppressed one away. (Rounding it instead still narrows the small count:
//!   with one part of 5-7 shown as about 5, a rounded total of 5 leaves only 1 or 2.)
//! - A time statistic (a median, a 90th percentile) over fewer than 5 events is withheld: it
//!   would be one event's own time.
//! - A count of a state measured again each week (plans held, data-quality findings) is also
//!   rounded to the nearest 5 ([`rounded`]): two weeks' exact counts would give away the small
//!   change between them (20 plans, then 18: two ended).
//!
//! The test of the rule is the attacker's: for every suppressed count, each value it could
//! have had (1 to 4) publishes exactly the same figures.

use serde::{Deserialize, Serialize};

/// The smallest count shown as itself (other than zero).
pub const THRESHOLD: u64 = 5;

/// A figure as it may be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shown", rename_all = "snake_case")]
pub enum Shown {
    Exact {
        value: u64,
    },
    /// To the nearest multiple of 5.
    Rounded {
        value: u64,
    },
    #[serde(rename = "fewer_than_5")]
    FewerThan5,
    /// Not published: it would let a suppressed count, or one event, be worked out.
    Withheld,
}

impl Shown {
    /// The figure as a CSV cell or a table reads it.
    pub fn text(self) -> String {
        match self {
            Shown::Exact { value } | Shown::Rounded { value } => value.to_string(),
            Shown::FewerThan5 => "fewer than 5".into(),
            Shown::Withheld => "not shown".into(),
        }
    }

    /// The value, where it is shown (exactly or rounded).
    pub fn value(self) -> Option<u64> {
        match self {
            Shown::Exact { value } | Shown::Rounded { value } => Some(value),
            _ => None,
        }
    }
}

/// One count on its own.
pub fn count(n: u64) -> Shown {
    if n == 0 || n >= THRESHOLD {
        Shown::Exact { value: n }
    } else {
        Shown::FewerThan5
    }
}

/// A count of a state measured again each week: 1 to 4 as "fewer than 5", others to the nearest 5.
pub fn rounded(n: u64) -> Shown {
    match count(n) {
        Shown::Exact { value } if value > 0 => Shown::Rounded {
            value: (value + 2) / 5 * 5,
        },
        shown => shown,
    }
}

/// A breakdown of a measured state and its total, each rounded (the total withheld when a part
/// is suppressed, as in [`breakdown`]).
pub fn rounded_breakdown(parts: &[u64]) -> Breakdown {
    breakdown_by(parts, rounded)
}

/// A breakdown and its total, published together (they are one set of equations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub parts: Vec<Shown>,
    pub total: Shown,
}

/// Publishes `parts` and their sum.
pub fn breakdown(parts: &[u64]) -> Breakdown {
    breakdown_by(parts, count)
}

/// `parts` and their sum, each published by `publish`; the total withheld when a part is
/// suppressed.
fn breakdown_by(parts: &[u64], publish: fn(u64) -> Shown) -> Breakdown {
    let shown: Vec<Shown> = parts.iter().map(|&n| publish(n)).collect();
    let total = if shown.contains(&Shown::FewerThan5) {
        Shown::Withheld
    } else {
        publish(parts.iter().sum())
    };
    Breakdown {
        parts: shown,
        total,
    }
}

/// One total and several partitions of it (each partition's parts sum to the total: alerts by
/// delivery outcome, by setting, read or not), published together. With one partition this is
/// [`breakdown`]; with more, a suppressed part could be worked out across them, so:
///
/// - nothing suppressed anywhere: the total and every part are shown;
/// - otherwise, if some partition has no suppressed part (so its sum gives the total away, and
///   the total is shown) every partition with a suppressed part is withheld whole; if every
///   partition has one, the total is withheld, only the first partition (the most useful) is
///   shown and the rest are withheld (two shown partitions with suppressed parts would give away
///   the difference of those parts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partitioned {
    pub total: Shown,
    pub partitions: Vec<Vec<Shown>>,
}

/// Publishes `partitions` of one total (the sum of the first; each should sum to it).
pub fn partitioned(partitions: &[&[u64]]) -> Partitioned {
    let total = partitions.first().map_or(0, |p| p.iter().sum());
    let shown: Vec<Vec<Shown>> = partitions
        .iter()
        .map(|p| p.iter().map(|&n| count(n)).collect())
        .collect();
    let suppressed: Vec<bool> = shown
        .iter()
        .map(|p| p.contains(&Shown::FewerThan5))
        .collect();
    if !suppressed.contains(&true) {
        return Partitioned {
            total: count(total),
            partitions: shown,
        };
    }
    let total_known = suppressed.contains(&false);
    let first_suppressed = suppressed.iter().position(|&s| s);
    let partitions = shown
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let keep = !suppressed[i] || (!total_known && Some(i) == first_suppressed);
            if keep {
                p
            } else {
                vec![Shown::Withheld; p.len()]
            }
        })
        .collect();
    Partitioned {
        // A fully shown partition already gives the total: showing it adds nothing.
        total: if total_known {
            count(total)
        } else {
            Shown::Withheld
        },
        partitions,
    }
}

/// A statistic of event times (already computed), shown only over enough events.
pub fn statistic(value: u64, events: u64) -> Shown {
    if events >= THRESHOLD {
        Shown::Exact { value }
    } else {
        Shown::Withheld
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_counts_are_fewer_than_5_and_zero_and_five_are_shown() {
        assert_eq!(count(0), Shown::Exact { value: 0 });
        for n in 1..5 {
            assert_eq!(count(n), Shown::FewerThan5);
        }
        assert_eq!(count(5), Shown::Exact { value: 5 });
        assert_eq!(count(5).text(), "5");
        assert_eq!(count(3).text(), "fewer than 5");
        assert_eq!(
            serde_json::to_value(count(3)).unwrap(),
            serde_json::json!({"shown": "fewer_than_5"})
        );
        assert_eq!(
            serde_json::to_value(count(12)).unwrap(),
            serde_json::json!({"shown": "exact", "value": 12})
        );
    }

    #[test]
    fn measured_states_are_rounded_to_the_nearest_5_and_small_ones_suppressed() {
        assert_eq!(rounded(0), Shown::Exact { value: 0 });
        for n in 1..5 {
            assert_eq!(rounded(n), Shown::FewerThan5);
        }
        for (n, r) in [
            (5, 5),
            (7, 5),
            (8, 10),
            (18, 20),
            (20, 20),
            (22, 20),
            (23, 25),
        ] {
            assert_eq!(rounded(n), Shown::Rounded { value: r }, "{n}");
        }
        assert_eq!(rounded(18).text(), "20");
        assert_eq!(
            serde_json::to_value(rounded(18)).unwrap(),
            serde_json::json!({"shown": "rounded", "value": 20})
        );
        let b = rounded_breakdown(&[18, 3]);
        assert_eq!((b.parts[1], b.total), (Shown::FewerThan5, Shown::Withheld));
        assert_eq!(
            rounded_breakdown(&[18, 6]).total,
            Shown::Rounded { value: 25 }
        );
    }

    proptest! {
        /// Two weeks' rounded counts never tell a change from 1 to 4 exactly: for every pair of
        /// counts, some other pair with a different change publishes the same figures.
        #[test]
        fn a_small_change_between_weeks_is_never_told_exactly(a in 5u64..200, change in 1u64..5) {
            let b = a + change;
            let published = (rounded(a), rounded(b));
            let alternatives = (a.saturating_sub(2)..=a + 2)
                .flat_map(|x| (b.saturating_sub(2)..=b + 2).map(move |y| (x, y)))
                .filter(|&(x, y)| (rounded(x), rounded(y)) == published && y.abs_diff(x) != change);
            prop_assert!(alternatives.count() > 0, "{a} then {b}");
        }
    }

    #[test]
    fn a_statistic_over_fewer_than_5_events_is_withheld() {
        assert_eq!(statistic(40, 4), Shown::Withheld);
        assert_eq!(statistic(40, 5), Shown::Exact { value: 40 });
    }

    /// Every way of writing `total` as `parts` counts (a partition's possible values).
    fn compositions(total: u64, parts: usize) -> Vec<Vec<u64>> {
        if parts == 1 {
            return vec![vec![total]];
        }
        (0..=total)
            .flat_map(|first| {
                compositions(total - first, parts - 1)
                    .into_iter()
                    .map(move |mut rest| {
                        rest.insert(0, first);
                        rest
                    })
            })
            .collect()
    }

    /// The attacker, exhaustively over small worlds: for every total up to 30 and every pair
    /// of partitions of it (any pair of marginals is a possible set of events), nothing
    /// published pins down a suppressed part. Figures that publish alike are grouped; within a
    /// group, each part shown as "fewer than 5" must still take more than one value. Only
    /// publications whose shown figures sum to at most 14 are judged, so the world's bound
    /// (30) never constrains what a suppressed part could be.
    #[test]
    fn no_suppressed_part_is_pinned_down_across_partitions() {
        use std::collections::{BTreeSet, HashMap};
        for sizes in [[2usize, 2], [3, 2], [2, 3]] {
            let mut seen: HashMap<String, Vec<Vec<Vec<u64>>>> = HashMap::new();
            for total in 0..=30 {
                for a in compositions(total, sizes[0]) {
                    for b in compositions(total, sizes[1]) {
                        let published = partitioned(&[&a, &b]);
                        assert!(published
                            .partitions
                            .iter()
                            .flatten()
                            .all(|s| s.value().is_none_or(|v| v == 0 || v >= THRESHOLD)));
                        let key = format!("{published:?}");
                        seen.entry(key)
                            .or_default()
                            .push(vec![a.clone(), b.clone()]);
                    }
                }
            }
            for (key, worlds) in seen {
                let published = partitioned(&[&worlds[0][0], &worlds[0][1]]);
                let shown: u64 = published
                    .partitions
                    .iter()
                    .flatten()
                    .filter_map(|s| s.value())
                    .sum();
                if shown > 14 {
                    continue;
                }
                for (p, part) in published.partitions.iter().enumerate() {
                    for (i, s) in part.iter().enumerate() {
                        if *s == Shown::FewerThan5 {
                            let values: BTreeSet<u64> = worlds.iter().map(|w| w[p][i]).collect();
                            assert!(values.len() > 1, "{key}: part {p}/{i} is always {values:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn partitions_show_everything_when_nothing_is_small() {
        let p = partitioned(&[&[10, 5], &[0, 15]]);
        assert_eq!(p.total, Shown::Exact { value: 15 });
        assert!(p.partitions.iter().flatten().all(|s| s.value().is_some()));
        // A small part elsewhere: the fully shown partition would give the total away.
        let p = partitioned(&[&[10, 5], &[2, 13]]);
        assert_eq!(p.total, Shown::Exact { value: 15 });
        assert_eq!(p.partitions[0], vec![count(10), count(5)]);
        assert_eq!(p.partitions[1], vec![Shown::Withheld; 2]);
        // Small parts in both: only the first is shown.
        let p = partitioned(&[&[3, 12], &[2, 13]]);
        assert_eq!(p.total, Shown::Withheld);
        assert_eq!(p.partitions[0], vec![Shown::FewerThan5, count(12)]);
        assert_eq!(p.partitions[1], vec![Shown::Withheld; 2]);
    }

    proptest! {
        /// Whatever a suppressed part really was (1 to 4), the published figures are the same:
        /// nothing published tells the values apart. Small LAs are the point, so the parts are
        /// drawn mostly small.
        #[test]
        fn no_suppressed_part_can_be_told_from_what_is_published(
            parts in proptest::collection::vec(prop_oneof![0u64..8, 0u64..200], 1..6)
        ) {
            let published = breakdown(&parts);
            prop_assert_eq!(published.parts.len(), parts.len());
            for (i, &n) in parts.iter().enumerate() {
                // Nothing from 1 to 4 is ever shown as itself.
                if let Some(v) = published.parts[i].value() {
                    prop_assert!(v == 0 || v >= THRESHOLD);
                    prop_assert_eq!(v, n);
                }
                if published.parts[i] == Shown::FewerThan5 {
                    for x in 1..THRESHOLD {
                        let mut other = parts.clone();
                        other[i] = x;
                        prop_assert_eq!(&breakdown(&other), &published, "part {} as {}", i, x);
                    }
                }
            }
            if let Some(t) = published.total.value() {
                prop_assert_eq!(t, parts.iter().sum::<u64>());
            }
        }
    }
}
