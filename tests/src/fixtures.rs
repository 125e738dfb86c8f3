//! The values the tests share: organisations and NHS numbers from the published examples (test
//! data only), and the callers most tests act as.

use crate::http::As;

/// Leeds City Council.
pub const LEEDS: &str = "E08000035";
/// Camden.
pub const CAMDEN: &str = "E09000007";
/// A child (a valid NHS number).
pub const CHILD: &str = "9434765919";
/// A pregnant woman, for an unborn child's plan (a valid NHS number).
pub const MOTHER: &str = "9000000009";
/// Another valid NHS number, for corrections.
pub const OTHER_CHILD: &str = MOTHER;
/// A valid NHS number no test records a plan for.
pub const NOBODY: &str = "9876543210";
/// An emergency department clinician.
pub const ED: As<'static> = Some(("unscheduled_care", "RR801", "dr-1"));
/// An operator.
pub const OPERATOR: As<'static> = Some(("operator", "X26", "op-1"));
