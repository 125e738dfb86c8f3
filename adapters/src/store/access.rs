//! Access records in the child's partition: the audit trail, the visit list, and the pending
//! marker reconciliation uses to re-drive alerts whose fan-out never confirmed.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::access::{Access, AccessCursor, AccessOutcome};
use cpindex::child_key::ChildKey;
use cpindex::keys::{attr, keep, key, Entity};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    access: Access,
    /// Set by fan-out: whether the child had an active plan when the alert was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan_found: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    expires_at: i64,
}

/// Attributes an access item does not store: the child (its partition key), the time and the
/// id (its sort key). Two years of the audit trail are nine tenths of the table, and these three
/// were a quarter of each item; [`restore`] puts them back from the keys on every read.
const KEPT_IN_KEYS: [&str; 3] = ["child", "at", "accessId"];

/// Attributes a visit does not store either: a visit is by definition an unscheduled-care read
/// that was allowed (`Access::alerts`, the only accesses [`access_sort_key`] files as visits).
const IMPLIED_BY_A_VISIT: [(&str, &str); 2] =
    [("role", "unscheduled_care"), ("outcome", "allowed")];

/// The item as stored: an [`AccessItem`] less what its keys already say.
fn compact(item: AccessItem) -> Result<super::error::Item, StoreError> {
    let visit = item.sk.starts_with(key::VISIT_PREFIX);
    let mut stored: super::error::Item = serde_dynamo::to_item(item)?;
    for name in KEPT_IN_KEYS {
        stored.remove(name);
    }
    if visit {
        for (name, _) in IMPLIED_BY_A_VISIT {
            stored.remove(name);
        }
    }
    Ok(stored)
}

/// An access item as read, with the attributes [`compact`] left to the keys put back (an item
/// written before holds them already).
fn restore(mut item: super::error::Item) -> Result<AccessItem, StoreError> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let (pk, sk) = (text(attr::PK), text(attr::SK));
    if let (Some(pk), Some(sk)) = (pk, sk) {
        let child = pk.strip_prefix(key::CHILD_PREFIX);
        let rest = [
            key::ATTENDANCE_PREFIX,
            key::VISIT_PREFIX,
            key::ACCESS_PREFIX,
            key::AUDIT_PREFIX,
        ]
        .iter()
        .find_map(|p| sk.strip_prefix(p));
        let time_and_id = rest.and_then(|r| r.split_once('#'));
        let visit = sk.starts_with(key::VISIT_PREFIX);
        let implied = IMPLIED_BY_A_VISIT.map(|(name, value)| (name, visit.then_some(value)));
        for (name, value) in [
            ("child", child),
            ("at", time_and_id.map(|t| t.0)),
            ("accessId", time_and_id.map(|t| t.1)),
        ]
        .into_iter()
        .chain(implied)
        {
            if let Some(v) = value {
                item.entry(name.to_owned())
                    .or_insert_with(|| AttributeValue::S(v.to_owned()));
            }
        }
    }
    Ok(serde_dynamo::from_item(item)?)
}

/// The sort key of an access: visits (alerting accesses), other reads (silent), and refused
/// attempts and history reads each sort apart, so every list is a bounded query of its own kind
/// and no flood of one kind can push another out of its window.
pub fn access_sort_key(access: &Access) -> String {
    match access.outcome {
        _ if access.alerts() => key::visit_sk(access.at, &access.access_id),
        AccessOutcome::DeniedRole | AccessOutcome::HistoryRead => {
            key::audit_sk(access.at, &access.access_id)
        }
        _ => key::access_sk(access.at, &access.access_id),
    }
}

/// The kinds of access a history lists, each under its own sort-key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trail {
    /// Unscheduled-care reads (visits; not the attendance copies).
    Visits,
    /// Other clinical reads (silent).
    SilentReads,
    /// Refused attempts and reads of the trail itself (new ones; older ones sit with the reads).
    Audit,
}

impl Trail {
    fn prefix(self) -> &'static str {
        match self {
            Trail::Visits => key::VISIT_PREFIX,
            Trail::SilentReads => key::ACCESS_PREFIX,
            Trail::Audit => key::AUDIT_PREFIX,
        }
    }
}

/// One page of a history: accesses newest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    pub accesses: Vec<Listed>,
    pub next: Option<AccessCursor>,
}

/// An access on a history page.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub access: Access,
    /// Whether the child had a plan: stamped by fan-out, or `false` for a visit whose lookup
    /// found no plan and so handed nothing to fan-out (visits only).
    pub plan_found: Option<bool>,
    /// Which of the windows asked for it lies in.
    pub window: usize,
}

/// A child's partition over a time range, as a history reads it.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub child: &'a ChildKey,
    /// From this time (inclusive), or from the partition's oldest access.
    pub from: Option<DateTime<Utc>>,
    /// To this time (inclusive).
    pub to: DateTime<Utc>,
}

/// The access-record port over DynamoDB.
#[derive(Debug, Clone)]
pub struct AccessStore {
    table: Table,
}

impl AccessStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Writes an access item unless one is there (the same access again is one record).
    async fn put_once(&self, item: AccessItem) -> Result<(), StoreError> {
        match self
            .table
            .put(compact(item)?, Some(Condition::not_exists()))
            .await
        {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn item(access: &Access, pending: bool) -> AccessItem {
        AccessItem {
            pk: key::child_pk(&access.child),
            sk: access_sort_key(access),
            entity: Entity::Access.as_str().into(),
            access: access.clone(),
            plan_found: None,
            gsi1pk: pending.then(|| key::PENDING_ACCESSES_GSI.to_owned()),
            gsi1sk: pending
                .then(|| format!("{}#{}", key::sortable_time(access.at), access.access_id)),
            expires_at: (access.at + Duration::days(keep::ACCESS_DAYS)).timestamp(),
        }
    }

    /// Records an access (idempotent: the same access id twice is one record). An access
    /// handed to fan-out is written pending, listed in GSI1 until fan-out confirms it.
    pub async fn record(&self, access: &Access) -> Result<(), StoreError> {
        self.put_once(Self::item(access, access.fans_out())).await
    }

    /// Records a lookup's access as the lookup writes it, before it knows whether the child
    /// has a plan: never pending. A child with no plan costs this write and nothing more; for
    /// a child with one, [`Self::record_pending`] follows beside the queue hand-off.
    pub async fn record_unqueued(&self, access: &Access) -> Result<(), StoreError> {
        self.put_once(Self::item(access, false)).await
    }

    /// Makes a lookup's access pending (written whole, so it holds even where the lookup's
    /// first write was lost), unless fan-out has already confirmed it.
    pub async fn record_pending(&self, access: &Access) -> Result<(), StoreError> {
        let unconfirmed = Condition::new("attribute_not_exists(#pf)").name("#pf", "planFound");
        match self
            .table
            .put(compact(Self::item(access, true))?, Some(unconfirmed))
            .await
        {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The most recent visits to a child (newest first), excluding those fan-out found had no
    /// plan at the time.
    /// [`Self::recent_visits`] under every key a child's partition may be under (during a key
    /// rotation, more than one), read at once; each key's attendances lead its own read.
    pub async fn recent_visits_under(
        &self,
        children: &[ChildKey],
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        let reads = children.iter().map(|c| self.recent_visits(c, limit));
        let mut seen = std::collections::HashSet::new();
        Ok(futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .filter(|a| seen.insert(a.access_id.clone()))
            .collect())
    }

    pub async fn recent_visits(
        &self,
        child: &ChildKey,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        let opts = QueryOptions {
            ascending: false,
            limit: Some(limit),
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(
                Index::Table,
                &key::child_pk(child),
                Some(key::VISIT_PREFIX),
                opts,
            )
            .await?;
        // The attendances' first views come first (their keys sort above every raw visit), then
        // the newest raw visits; an access read both ways is listed once.
        let mut seen = std::collections::HashSet::new();
        let mut visits = Vec::with_capacity(items.len());
        for item in items {
            let a = restore(item)?;
            if a.plan_found != Some(false) && seen.insert(a.access.access_id.clone()) {
                visits.push(a.access);
            }
        }
        Ok(visits)
    }

    /// The child's visits made at or after `since` that fan-out has not confirmed with a plan
    /// (newest first, at most `limit` per key, strongly consistent): what a recheck after a
    /// plan's first write looks at again (`cpindex::recheck`).
    pub async fn unconfirmed_visits_since(
        &self,
        children: &[ChildKey],
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        let opts = QueryOptions {
            consistent: true,
            ascending: false,
            limit: Some(limit),
            ..QueryOptions::default()
        };
        let lo = key::visit_sk(since, "");
        let pks: Vec<String> = children.iter().map(key::child_pk).collect();
        let reads = pks.iter().map(|pk| {
            self.table
                .query_between(pk, &lo, key::ATTENDANCE_PREFIX, opts)
        });
        let mut seen = std::collections::HashSet::new();
        let mut visits = Vec::new();
        for item in futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
        {
            let a = restore(item)?;
            if a.plan_found != Some(true) && seen.insert(a.access.access_id.clone()) {
                visits.push(a.access);
            }
        }
        visits.sort_by_key(|a| std::cmp::Reverse(a.at));
        Ok(visits)
    }

    /// Records `access` as the first view of an attendance of a child on a plan (fan-out, once
    /// per attendance; idempotent). The visit list reads these before any repeat view.
    pub async fn record_attendance(&self, access: &Access) -> Result<(), StoreError> {
        let item = AccessItem {
            pk: key::child_pk(&access.child),
            sk: key::attendance_sk(access.at, &access.access_id),
            entity: Entity::Access.as_str().into(),
            access: access.clone(),
            plan_found: Some(true),
            gsi1pk: None,
            gsi1sk: None,
            expires_at: (access.at + Duration::days(keep::ACCESS_DAYS)).timestamp(),
        };
        self.put_once(item).await
    }

    /// One page of the accesses of `kinds` in the `windows` (each a child key and a time range;
    /// one child's partition may be read over several windows, newest first across all of
    /// them), after `cursor` when given. Each kind and window is a read by key, so no kind or
    /// window can push another's accesses off a page.
    pub async fn history_page(
        &self,
        windows: &[Window<'_>],
        kinds: &[Trail],
        cursor: Option<&AccessCursor>,
        limit: usize,
    ) -> Result<HistoryPage, StoreError> {
        let opts = QueryOptions {
            ascending: false,
            limit: Some(limit + 1),
            ..QueryOptions::default()
        };
        let mut reads = Vec::with_capacity(windows.len() * kinds.len());
        for (w, window) in windows.iter().enumerate() {
            let pk = key::child_pk(window.child);
            let lo = window.from.map(key::sortable_time).unwrap_or_default();
            let end = format!("{}#~", key::sortable_time(window.to));
            let hi = match cursor.map(AccessCursor::key_part) {
                Some(c) if c < end => c,
                _ => end,
            };
            if hi < lo {
                continue;
            }
            for k in kinds {
                let (lo, hi) = (format!("{}{lo}", k.prefix()), format!("{}{hi}", k.prefix()));
                let pk = pk.clone();
                reads.push(async move {
                    let items = self.table.query_between(&pk, &lo, &hi, opts).await?;
                    Ok::<_, StoreError>((w, items))
                });
            }
        }
        let mut more = false;
        let mut all = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (window, items) in futures::future::try_join_all(reads).await? {
            more |= items.len() > limit;
            for item in items {
                let a = restore(item)?;
                if cursor.is_some_and(|c| c.names(&a.access))
                    || !seen.insert(a.access.access_id.clone())
                {
                    continue;
                }
                // A visit the lookup never handed to fan-out (neither confirmed nor pending)
                // was one whose lookup found no plan: the lean path stamps nothing.
                let plan_found = match a.plan_found {
                    None if a.access.alerts() && a.gsi1pk.is_none() => Some(false),
                    stamped => stamped,
                };
                all.push(Listed {
                    access: a.access,
                    plan_found,
                    window,
                });
            }
        }
        // In key order (time to the millisecond, then id), which the cursor follows.
        all.sort_by_cached_key(|l| {
            std::cmp::Reverse((key::sortable_time(l.access.at), l.access.access_id.clone()))
        });
        more |= all.len() > limit;
        all.truncate(limit);
        let next = more
            .then(|| all.last().map(|l| AccessCursor::after(&l.access)))
            .flatten();
        Ok(HistoryPage {
            accesses: all,
            next,
        })
    }

    /// Marks an access as fanned out: no longer pending; records whether a plan was found.
    pub async fn confirm(&self, access: &Access, plan_found: bool) -> Result<(), StoreError> {
        let update = Condition::new("SET #pf = :pf REMOVE #g1pk, #g1sk")
            .name("#pf", "planFound")
            .name("#g1pk", attr::GSI1_PK)
            .name("#g1sk", attr::GSI1_SK)
            .value(":pf", AttributeValue::Bool(plan_found));
        self.table
            .update(
                &key::child_pk(&access.child),
                &access_sort_key(access),
                update,
                None,
            )
            .await
            .map(|_| ())
    }

    /// Accesses still pending fan-out that were made before `before` (oldest first).
    pub async fn pending_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Access>, StoreError> {
        let opts = QueryOptions {
            limit: Some(limit),
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(Index::Gsi1, key::PENDING_ACCESSES_GSI, None, opts)
            .await?;
        let mut out = Vec::new();
        for item in items {
            let a = restore(item)?;
            if a.access.at < before {
                out.push(a.access);
            }
        }
        Ok(out)
    }
}
