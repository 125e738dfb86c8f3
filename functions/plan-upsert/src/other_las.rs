//! LAs that share a child know of each other: when a plan is recorded on (or moved onto) an NHS
//! number on which another LA holds a plan, active or ended in the last 90 days, that LA is told
//! at once (inbox, and webhook through the delivery queue) and the recording LA's
//! acknowledgement names it. Nothing about visits is told either way.

use adapters::store::notifications::Created;
use adapters::store::plans::WriteOutcome;
use adapters::store::StoreError;
use chrono::{DateTime, Utc};
use cpindex::answers::ResponsibleLa;
use cpindex::notification::{held_by_another, DeliveryMessage, Notification, OtherLaPlan};
use cpindex::plan_record::{PlanProjection, PlanRecord};
use cpindex::{ActiveKeys, OrgCode};

use crate::App;

/// The other LAs' plans on the child a write recorded a plan on, for its acknowledgement, each
/// LA told. Only a write that put the plan on this child tells anyone (a creation or a move; an
/// update of a plan already there told them when it came). The write stands whatever happens
/// here: a failure is logged (`cpindex::log::FOLLOW_UP_FAILED`) for an operator, and the
/// acknowledgement then names nobody.
pub(crate) async fn tell(
    app: &App,
    keys: &ActiveKeys,
    org: &OrgCode,
    outcome: &WriteOutcome,
    now: DateTime<Utc>,
) -> Vec<OtherLaPlan> {
    let record = match outcome {
        WriteOutcome::Created(r) | WriteOutcome::Moved { record: r, .. } => r,
        _ => return Vec::new(),
    };
    match tell_for(app, keys, org, record, now).await {
        Ok(others) => others,
        Err(e) => {
            tracing::error!(event = cpindex::log::FOLLOW_UP_FAILED, what = "other_la_not_told", org = %org, error = %cpindex::log::chain(&e), "an LA that holds a plan on the same child may not have been told");
            Vec::new()
        }
    }
}

async fn tell_for(
    app: &App,
    keys: &ActiveKeys,
    org: &OrgCode,
    record: &PlanRecord,
    now: DateTime<Utc>,
) -> Result<Vec<OtherLaPlan>, StoreError> {
    let children: Vec<_> = keys
        .all()
        .iter()
        .map(|k| k.of(&record.nhs_number))
        .collect();
    let today = now.date_naive();
    let others: Vec<PlanProjection> = app
        .plans
        .projections_under(&children)
        .await?
        .into_iter()
        .filter(|p| held_by_another(p, org, today))
        .collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let mut las: Vec<&OrgCode> = others.iter().map(|p| &p.org).collect();
    las.sort();
    las.dedup();
    // Independent: the mark the nightly pass counts shared children from, and every profile.
    let (marked, recorder_profile, profiles) = tokio::join!(
        app.plans.mark_shared(record, now),
        app.notifications.profile(org),
        futures::future::try_join_all(las.iter().map(|la| app.notifications.profile(la))),
    );
    marked?;
    let recorder = OtherLaPlan {
        la: ResponsibleLa::of(org, recorder_profile?.as_ref(), None),
        plan_type: record.plan.plan_type,
        start_date: record.plan.start_date,
    };
    // Names the recording: a replay of the same write can only name the same notifications.
    let event = format!(
        "other-la|{org}|{}|{}|{}",
        record.plan_ref,
        record.child,
        record.held_since().timestamp_millis()
    );
    let mut acknowledged = Vec::new();
    let mut deliveries = Vec::new();
    for (la, profile) in las.into_iter().zip(profiles?) {
        let theirs: Vec<&PlanProjection> = others.iter().filter(|p| &p.org == la).collect();
        let n = Notification::other_la_plan(
            &event,
            la.clone(),
            record.nhs_number,
            theirs
                .iter()
                .filter_map(|p| p.live_plan().map(|plan| plan.plan_type))
                .collect(),
            recorder.clone(),
            now,
        );
        if app.notifications.create(&n).await? == Created::New {
            deliveries.push(n.notification_id.clone());
        }
        tracing::info!(org = %org, told = %la, notification_id = %n.notification_id, "another LA told of a plan on its child");
        for p in theirs {
            if let Some(plan) = p.live_plan() {
                acknowledged.push(OtherLaPlan {
                    la: ResponsibleLa::of(la, profile.as_ref(), None),
                    plan_type: plan.plan_type,
                    start_date: plan.start_date,
                });
            }
        }
    }
    send(app, deliveries).await;
    Ok(acknowledged)
}

/// Hands each new notification to delivery (the webhook). Without a queue (a test that does not
/// deliver) or when the queue fails, the notification waits in the LA's inbox, pending.
async fn send(app: &App, ids: Vec<String>) {
    let Some(queue) = &app.delivery else {
        return;
    };
    for notification_id in ids {
        let body = serde_json::to_string(&DeliveryMessage { notification_id })
            .expect("a delivery message serialises");
        if let Err(e) = queue.send(body).await {
            tracing::error!(event = cpindex::log::FOLLOW_UP_FAILED, what = "other_la_not_sent", error = %cpindex::log::chain(&e), "the notification waits in the LA's inbox; its webhook was not called");
        }
    }
}
