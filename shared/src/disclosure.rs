//! Disclosure control for published counts (indicators, charts, exports): no child may be
//! identifiable from a number the service shows.
//!
//! - A count from 1 to 4 is shown as "fewer than 5". Zero is shown: it identifies no one.
//! - A total whose parts include a suppressed count is withheld: with the other parts shown it
//!   would give the suppressed one away. (Rounding it instead still narrows the small count:
//!   with one part of 5-7 shown as about 5, a rounded total of 5 leaves only 1 or 2.)
//! - A time statistic (a median, a 90th percentile) over fewer than 5 events is withheld: it
//!   would be one event's own time.
//!
//! The test of the rule is the attacker's: for every suppressed count, each value it could
//! have had (1 to 4) publishes exactly the same figures.

use serde::Serialize;

/// The smallest count shown as itself (other than zero).
pub const THRESHOLD: u64 = 5;

/// A figure as it may be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "shown", rename_all = "snake_case")]
pub enum Shown {
    Exact {
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
            Shown::Exact { value } => value.to_string(),
            Shown::FewerThan5 => "fewer than 5".into(),
            Shown::Withheld => "not shown".into(),
        }
    }

    /// The value, where it is shown exactly.
    pub fn value(self) -> Option<u64> {
        match self {
            Shown::Exact { value } => Some(value),
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

/// A breakdown and its total, published together (they are one set of equations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub parts: Vec<Shown>,
    pub total: Shown,
}

/// Publishes `parts` and their sum.
pub fn breakdown(parts: &[u64]) -> Breakdown {
    let shown: Vec<Shown> = parts.iter().map(|&n| count(n)).collect();
    let total = if shown.contains(&Shown::FewerThan5) {
        Shown::Withheld
    } else {
        count(parts.iter().sum())
    };
    Breakdown {
        parts: shown,
        total,
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
    fn a_statistic_over_fewer_than_5_events_is_withheld() {
        assert_eq!(statistic(40, 4), Shown::Withheld);
        assert_eq!(statistic(40, 5), Shown::Exact { value: 40 });
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
