//! Batch uploads: every record gets its own outcome, in the order received; a bad record never
//! blocks good ones and writes nothing.

use std::collections::HashMap;

use adapters::store::extracts::{ExtractEntry, ExtractPart, NotLoaded};
use adapters::store::plans::{Known, WriteOutcome};
use chrono::{DateTime, Utc};
use cpindex::indicators::{Counter, IsoWeek};
use cpindex::json_object::ObjectReader;
use cpindex::problem::{ErrorCode, FieldError};
use cpindex::{OrgCode, Plan, PlanRef};
use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::view::{BatchAck, RecordAck, RecordOutcome};
use crate::App;
use cpindex::{ActiveKeys, ChildKey};

pub use cpindex::batch::{Mode, MAX_RECORDS};
/// Plans written at once within a batch (different plan references only).
pub const WRITE_CONCURRENCY: usize = 16;

/// A batch request, read and checked record by record.
pub struct Batch {
    pub mode: Mode,
    pub extract_id: Option<String>,
    /// Each record's line in the file it came from (a CSV extract's upload), when given: an LA
    /// is then told the line, not a position in a batch.
    pub lines: Option<Vec<u64>>,
    /// Each record parsed, or the field error that rejects it.
    pub records: Vec<(Option<String>, Result<Plan, FieldError>)>,
}

impl Batch {
    /// Reads the envelope; a bad envelope refuses the whole request, a bad record only itself.
    pub fn parse(body: &Value, today: chrono::NaiveDate) -> Result<Self, FieldError> {
        let mut r = ObjectReader::new(body, "")?;
        let raw_mode = r.str("mode", ErrorCode::MissingField, ErrorCode::InvalidMode)?;
        let mode = Mode::parse(raw_mode).ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidMode,
                "/mode",
                "`mode` is `delta` or `full`",
            )
        })?;
        let extract_id = r
            .opt_str("extractId", ErrorCode::InvalidText)?
            .map(|id| cpindex::PlanRef::parse(id, "/extractId").map(|p| p.as_str().to_owned()))
            .transpose()
            .map_err(|e| {
                FieldError::new(
                    ErrorCode::InvalidText,
                    e.field,
                    "an extract id is 1 to 64 letters, digits, '.', '_' or '-'",
                )
            })?;
        let records = match body.get("records") {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => {
                return Err(FieldError::new(
                    ErrorCode::MissingField,
                    "/records",
                    "`records` is required",
                ))
            }
            Some(_) => {
                return Err(FieldError::new(
                    ErrorCode::MalformedJson,
                    "/records",
                    "expected an array",
                ))
            }
        };
        r.handled("records");
        let lines = match body.get("lines") {
            None | Some(Value::Null) => None,
            Some(Value::Array(ls)) => Some(
                ls.iter()
                    .map(|l| l.as_u64().filter(|l| *l >= 1))
                    .collect::<Option<Vec<u64>>>()
                    .filter(|ls| ls.len() == records.len())
                    .ok_or_else(|| {
                        FieldError::new(
                            ErrorCode::BadRequest,
                            "/lines",
                            "`lines` gives each record's line in its file: one whole number \
                             from 1 per record",
                        )
                    })?,
            ),
            Some(_) => {
                return Err(FieldError::new(
                    ErrorCode::BadRequest,
                    "/lines",
                    "`lines` is an array of line numbers, one per record",
                ))
            }
        };
        r.handled("lines");
        r.finish()?;
        if records.len() > MAX_RECORDS {
            return Err(FieldError::new(
                ErrorCode::TooManyRecords,
                "/records",
                format!("{} records; at most {MAX_RECORDS} per batch", records.len()),
            ));
        }
        let records = records
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let plan_ref = v.get("planRef").and_then(Value::as_str).map(str::to_owned);
                (
                    plan_ref,
                    Plan::from_json(v, &format!("/records/{i}"), None, today),
                )
            })
            .collect();
        Ok(Self {
            mode,
            extract_id,
            lines,
            records,
        })
    }
}

fn ack_of(
    index: usize,
    plan_ref: Option<String>,
    result: Result<WriteOutcome, adapters::store::StoreError>,
) -> RecordAck {
    let mut ack = RecordAck {
        index,
        plan_ref,
        outcome: RecordOutcome::Failed,
        code: "ok".into(),
        field: None,
        reason: None,
        current_version: None,
        other_las: Vec::new(),
    };
    match result {
        Ok(WriteOutcome::Created(_)) => ack.outcome = RecordOutcome::Created,
        Ok(WriteOutcome::Updated(_)) => ack.outcome = RecordOutcome::Updated,
        Ok(WriteOutcome::Unchanged(_)) => ack.outcome = RecordOutcome::Unchanged,
        Ok(WriteOutcome::Moved { .. }) => ack.outcome = RecordOutcome::Moved,
        Ok(WriteOutcome::Stale { current_version }) => {
            ack.outcome = RecordOutcome::Stale;
            ack.code = ErrorCode::StaleVersion.as_str().into();
            ack.reason = Some(
                "a newer version of this plan is already held: send changes with a higher sourceVersion"
                    .into(),
            );
            ack.current_version = Some(current_version);
        }
        Ok(WriteOutcome::Conflict { current_version }) => {
            ack.outcome = RecordOutcome::Rejected;
            ack.code = ErrorCode::VersionConflict.as_str().into();
            ack.reason = Some("this version is already held with different content".into());
            ack.current_version = Some(current_version);
        }
        Ok(WriteOutcome::Withdrawn(_) | WriteOutcome::NotFound) => {
            ack.code = ErrorCode::Internal.as_str().into();
        }
        Err(e) => {
            tracing::warn!(error = %cpindex::log::chain(&e), "a batch record could not be written");
            ack.code = ErrorCode::StoreUnavailable.as_str().into();
            ack.reason =
                Some("not written: the index was unavailable; send this record again".into());
        }
    }
    ack
}

/// Applies a parsed batch for `org`. Records of one plan reference are applied in the order
/// received; different plans are written concurrently.
pub async fn apply(
    app: &App,
    active: &ActiveKeys,
    org: &OrgCode,
    actor: &str,
    now: DateTime<Utc>,
    batch_id: String,
    batch: Batch,
) -> Result<BatchAck, adapters::store::StoreError> {
    let store = &app.plans;
    let keys = active.write();
    // Without a profile, every record is refused with the reason (nothing is written).
    let batch = match crate::missing_profile(app, org).await? {
        None => batch,
        Some(missing) => {
            let why = missing.detail.unwrap_or_default();
            Batch {
                records: batch
                    .records
                    .into_iter()
                    .map(|(raw, parsed)| {
                        let refused = parsed.and_then(|_| {
                            Err(FieldError::new(
                                ErrorCode::LaProfileMissing,
                                "",
                                why.clone(),
                            ))
                        });
                        (raw, refused)
                    })
                    .collect(),
                ..batch
            }
        }
    };
    let mut acks: Vec<Option<RecordAck>> = vec![None; batch.records.len()];
    // Group valid records by plan reference, keeping the order received within a group.
    let mut groups: Vec<Vec<(usize, Plan)>> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut entries = Vec::new();
    for (i, (raw_ref, parsed)) in batch.records.into_iter().enumerate() {
        match parsed {
            Err(e) => {
                acks[i] = Some(RecordAck {
                    index: i,
                    plan_ref: raw_ref,
                    outcome: RecordOutcome::Rejected,
                    code: e.code.as_str().into(),
                    field: Some(e.field),
                    reason: Some(e.detail),
                    current_version: None,
                    other_las: Vec::new(),
                })
            }
            Ok(mut plan) => {
                plan.seal(keys);
                entries.push(ExtractEntry {
                    plan_ref: plan.plan_ref.clone(),
                    source_version: plan.source_version,
                });
                let g = *group_of
                    .entry(plan.plan_ref.as_str().to_owned())
                    .or_insert_with(|| {
                        groups.push(Vec::new());
                        groups.len() - 1
                    });
                groups[g].push((i, plan));
            }
        }
    }
    // One batched read tells which writes are needed at all (unchanged records cost no write).
    let children: Vec<ChildKey> = groups.iter().map(|g| keys.of(&g[0].1.nhs_number)).collect();
    let firsts: Vec<(&Plan, &ChildKey)> = groups.iter().map(|g| &g[0].1).zip(&children).collect();
    let known = store.read_known(org, &firsts).await?;

    let results = stream::iter(groups.into_iter().zip(known))
        .map(|(group, known)| async move {
            let mut out = Vec::with_capacity(group.len());
            let mut known = Some(known);
            for (i, plan) in group {
                let plan_ref = plan.plan_ref.as_str().to_owned();
                // Only the first record of a plan can use the batched read; later ones learn
                // from the conditional write itself.
                let k = known.take().unwrap_or(Known::Unread);
                let child = keys.of(&plan.nhs_number);
                // The demographic entries before the plan (as for one plan), unless the read
                // shows this very version already held (a nightly full extract repeats most).
                let unchanged = matches!(&k, Known::Present { record, .. }
                    if record.source_version == plan.source_version && record.plan == plan);
                let indexed = if unchanged {
                    Ok(())
                } else {
                    let delete_on = plan.delete_on(app.retention);
                    crate::index_demographics(
                        app,
                        org,
                        &plan.plan_ref,
                        plan.demographics.as_ref(),
                        plan.source_version,
                        delete_on,
                    )
                    .await
                };
                let result = match indexed {
                    Ok(()) => store.upsert(org, plan, child, actor, now, k).await,
                    Err(e) => Err(e),
                };
                let mut others = Vec::new();
                let mut recheck = None;
                if let Ok(outcome) = &result {
                    crate::strike_notifications(app, org, outcome).await;
                    crate::matched(app, org, actor, outcome, now).await;
                    others = crate::other_las::tell(app, active, org, outcome, now).await;
                    recheck = crate::recheck::of(active, outcome);
                }
                let mut ack = ack_of(i, Some(plan_ref), result);
                ack.other_las = others;
                out.push((ack, recheck));
            }
            out
        })
        .buffer_unordered(WRITE_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut rechecks = Vec::new();
    for (ack, recheck) in results.into_iter().flatten() {
        let i = ack.index;
        acks[i] = Some(ack);
        rechecks.extend(recheck);
    }
    // Ten to a call, delayed: every child this batch put a plan on is looked at again.
    crate::recheck::send(app, rechecks).await;
    let records: Vec<RecordAck> = acks
        .into_iter()
        .map(|a| a.expect("every record has an outcome"))
        .collect();
    // The LA's upload outcomes, one write for the whole batch.
    let outcomes: Vec<(Counter, u64)> = records
        .iter()
        .map(|r| (Counter::Record(r.outcome), 1))
        .collect();
    app.indicators
        .add_or_log(org, IsoWeek::of(now), &outcomes)
        .await;
    if batch.mode == Mode::Full {
        // Every record the index did not take is kept with its reason, so reconciliation can
        // remind the LA that this child looks up as "no plan" until the record is fixed. A stale
        // record is not among them: a newer version of the plan is held.
        let not_loaded = records
            .iter()
            .filter(|r| !r.loaded() && r.outcome != RecordOutcome::Stale)
            .map(|r| NotLoaded {
                index: r.index,
                line: batch.lines.as_ref().and_then(|ls| ls.get(r.index).copied()),
                // Only a reference that is one (a rejected record's could be anything).
                plan_ref: r
                    .plan_ref
                    .as_deref()
                    .and_then(|p| PlanRef::parse(p, "").ok())
                    .map(|p| p.as_str().to_owned()),
                code: r.code.clone(),
                field: r.field.clone(),
            })
            .collect();
        let part = ExtractPart {
            org: org.clone(),
            extract_id: batch.extract_id.clone().unwrap_or_else(|| batch_id.clone()),
            batch_id: batch_id.clone(),
            received_at: now,
            entries,
            not_loaded,
        };
        app.extracts.record(&part).await?;
    }
    Ok(BatchAck::new(
        batch_id,
        batch.mode,
        batch.extract_id,
        records,
    ))
}
