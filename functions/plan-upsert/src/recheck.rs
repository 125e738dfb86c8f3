//! A write that puts a plan on a child (a creation, or a move onto it) asks fan-out to look at
//! the child's visits again once every lookup that could have missed the write has finished
//! (`cpindex::recheck`): the lookup of a child with no plan hands nothing to fan-out, so this
//! is what closes the race between a lookup and a plan's first write.

use adapters::store::plans::WriteOutcome;
use cpindex::recheck::Recheck;
use cpindex::ActiveKeys;

use crate::App;

/// The recheck a write calls for, if it put a plan on a child.
pub(crate) fn of(keys: &ActiveKeys, outcome: &WriteOutcome) -> Option<Recheck> {
    let record = match outcome {
        WriteOutcome::Created(r) | WriteOutcome::Moved { record: r, .. } => r,
        _ => return None,
    };
    let mut children = keys.all().iter().map(|k| k.of(&record.nhs_number));
    Some(Recheck {
        child: children.next()?,
        aliases: children.collect(),
        since: record.held_since(),
    })
}

/// Queues the rechecks, delayed. The writes stand whatever happens here: a queue that refuses
/// them is logged for an operator (`cpindex::log::FOLLOW_UP_FAILED`, which alarms), and only a
/// lookup that raced one of these writes to the millisecond could then go unalerted.
pub(crate) async fn send(app: &App, rechecks: Vec<Recheck>) {
    let Some(queue) = &app.fanout else {
        return;
    };
    if rechecks.is_empty() {
        return;
    }
    if let Err(e) = queue.enqueue_rechecks(&rechecks, app.recheck_after).await {
        tracing::error!(event = cpindex::log::FOLLOW_UP_FAILED, what = "recheck_not_queued", count = rechecks.len(), error = %cpindex::log::chain(&e), "a lookup that raced a plan's first write may not be alerted");
    }
}
