//! What logs may say about an error: its message and every source's, never its Debug form
//! (which could print a stored item, and so an NHS number).

use std::fmt;

/// The `event` field of the error line an adapter logs when a resource is missing or denied.
/// The template's metric filters match it (`{ $.fields.event = "misconfigured" }`), so one
/// definition serves the code, the filters and the check that they agree.
pub const MISCONFIGURED: &str = "misconfigured";

/// The CloudWatch metric those filters count, and the alarm watches.
pub const MISCONFIGURED_METRIC: &str = "ConfigurationFaults";

/// The `event` field of the error line plan-upsert logs when a plan was written but what must
/// follow it did not happen (another LA told of a plan on its child, or notifications cleared of
/// the number a plan left): the write stands and its replay would not come back, so an
/// operator must act. The template counts these lines into [`FOLLOW_UP_METRIC`], alarmed.
pub const FOLLOW_UP_FAILED: &str = "follow_up_failed";

/// The CloudWatch metric of [`FOLLOW_UP_FAILED`] lines.
pub const FOLLOW_UP_METRIC: &str = "PlanFollowUpFailures";

/// The `event` field of the warning lookup logs when a user's lookups in one hour reach
/// `cpindex::usage::ATTENTION_PER_HOUR` (once per user and hour); counted into
/// [`USAGE_METRIC`], alarmed. The line names the organisation and role, not the user: the
/// privacy officer's view names the user.
pub const LOOKUP_VOLUME_HIGH: &str = "lookup_volume_high";
/// The `event` field of the warning lookup logs when a user passes the hourly cap (once per
/// user and hour); counted into [`USAGE_METRIC`].
pub const LOOKUP_CAP_PASSED: &str = "lookup_cap_passed";
/// The `event` field of the warning logged when an operator's audit reads in one hour reach
/// `cpindex::usage::AUDIT_READS_ATTENTION_PER_HOUR`; counted into [`USAGE_METRIC`].
pub const AUDIT_READS_HIGH: &str = "audit_reads_high";
/// The events that say a user's volume needs a look: one metric filter each, one metric, one
/// alarm.
pub const USAGE_EVENTS: [&str; 3] = [LOOKUP_VOLUME_HIGH, LOOKUP_CAP_PASSED, AUDIT_READS_HIGH];
/// The CloudWatch metric of [`USAGE_EVENTS`] lines.
pub const USAGE_METRIC: &str = "UnusualAccessVolumes";

/// The `event` field of the warning reconciliation logs at each step for every LA with open
/// overdue alerts (`cpindex::overdue`), its `overdue` field the count: the template turns the
/// count into [`OVERDUE_METRIC`] (its maximum alarmed past a threshold the stack sets).
pub const LA_ALERTS_OVERDUE: &str = "la_alerts_overdue";
/// The CloudWatch metric of [`LA_ALERTS_OVERDUE`] lines: one LA's open overdue alerts.
pub const OVERDUE_METRIC: &str = "OverdueAlertsPerLa";
/// An error with its sources, `outer: cause: root cause`, for a log field (`error = %chain(&e)`).
pub fn chain<E: std::error::Error + ?Sized>(e: &E) -> Chain<'_, E> {
    Chain(e)
}

/// See [`chain`].
pub struct Chain<'a, E: ?Sized>(&'a E);

impl<E: std::error::Error + ?Sized> fmt::Display for Chain<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner {
        #[allow(dead_code)]
        secret_item: String,
    }

    #[test]
    fn the_chain_has_every_message_and_no_debug_fields() {
        let e = Outer(Inner {
            secret_item: "9434765919".into(),
        });
        let text = super::chain(&e).to_string();
        assert_eq!(text, "outer: inner");
        assert!(!text.contains("9434765919"));
    }
}
