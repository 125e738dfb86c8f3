//! Indicator counts: per LA and ISO week, one item of event counters (each event one `ADD`,
//! so concurrent writers never lose a count) and one of what the nightly pass measured.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::indicators::{Counter, Counts, IsoWeek, LaWeek, StateValue};
use cpindex::keys::{attr, key, Entity};
use cpindex::org::OrgCode;

/// The indicator counts, per LA and ISO week.
#[derive(Debug, Clone)]
pub struct IndicatorStore {
    table: Table,
}

impl IndicatorStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Adds `counters` to `org`'s counts for `week` in one write (zeros are left out).
    pub async fn add(
        &self,
        org: &OrgCode,
        week: IsoWeek,
        counters: &[(Counter, u64)],
    ) -> Result<(), StoreError> {
        let mut sums: BTreeMap<String, u64> = BTreeMap::new();
        for (c, n) in counters.iter().filter(|(_, n)| *n > 0) {
            *sums.entry(c.attribute()).or_default() += n;
        }
        if sums.is_empty() {
            return Ok(());
        }
        let mut update = Condition::new("")
            .name("#entity", attr::ENTITY)
            .name("#expires", attr::EXPIRES_AT)
            .value(
                ":entity",
                AttributeValue::S(Entity::Indicators.as_str().into()),
            )
            .value(
                ":expires",
                AttributeValue::N(week.kept_until().timestamp().to_string()),
            );
        let mut adds = Vec::with_capacity(sums.len());
        for (i, (name, n)) in sums.into_iter().enumerate() {
            adds.push(format!("#c{i} :c{i}"));
            update = update
                .name(&format!("#c{i}"), &name)
                .value(&format!(":c{i}"), AttributeValue::N(n.to_string()));
        }
        update.expression = format!(
            "SET #entity = :entity, #expires = if_not_exists(#expires, :expires) ADD {}",
            adds.join(", ")
        );
        self.table
            .update(
                &key::indicators_pk(&week),
                &key::indicator_events_sk(org),
                update,
                None,
            )
            .await
            .map(|_| ())
    }

    /// Adds `counters` as [`add`] does, but a failure only logs: a count is never worth failing
    /// (and so retrying) the clinical work it counts. A lost count undercounts by that event.
    pub async fn add_or_log(&self, org: &OrgCode, week: IsoWeek, counters: &[(Counter, u64)]) {
        if let Err(e) = self.add(org, week, counters).await {
            tracing::warn!(event = "indicator_not_counted", org = %org, week = %week, error = %cpindex::log::chain(&e), "an indicator count was lost");
        }
    }

    /// Replaces what the nightly pass measured for `org` in `week`.
    pub async fn put_state(
        &self,
        org: &OrgCode,
        week: IsoWeek,
        values: &[(StateValue, u64)],
        measured_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut item = HashMap::from([
            (
                attr::PK.to_owned(),
                AttributeValue::S(key::indicators_pk(&week)),
            ),
            (
                attr::SK.to_owned(),
                AttributeValue::S(key::indicator_state_sk(org)),
            ),
            (
                attr::ENTITY.to_owned(),
                AttributeValue::S(Entity::Indicators.as_str().into()),
            ),
            (
                attr::EXPIRES_AT.to_owned(),
                AttributeValue::N(week.kept_until().timestamp().to_string()),
            ),
            (
                "measuredAt".to_owned(),
                AttributeValue::S(measured_at.to_rfc3339()),
            ),
        ]);
        for (s, n) in values {
            item.insert(s.attribute(), AttributeValue::N(n.to_string()));
        }
        self.table.put(item, None).await.map(|_| ())
    }

    /// Every LA's counts for `week` (one query of one partition: about two small items per LA).
    pub async fn week(&self, week: IsoWeek) -> Result<Vec<LaWeek>, StoreError> {
        let opts = QueryOptions {
            consistent: false,
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(Index::Table, &key::indicators_pk(&week), Some("ORG#"), opts)
            .await?;
        let mut by_org: BTreeMap<String, Counts> = BTreeMap::new();
        for item in items {
            let Some(org) = item
                .get(attr::SK)
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| sk.strip_prefix("ORG#"))
                .and_then(|rest| rest.split_once('#'))
                .map(|(org, _)| org.to_owned())
            else {
                continue;
            };
            let counts = by_org.entry(org).or_default();
            for (name, value) in &item {
                if name == attr::EXPIRES_AT {
                    continue;
                }
                if let Some(n) = value.as_n().ok().and_then(|n| n.parse::<u64>().ok()) {
                    counts.0.insert(name.clone(), n);
                }
            }
        }
        Ok(by_org
            .into_iter()
            .filter_map(|(org, counts)| {
                Some(LaWeek {
                    org: OrgCode::parse(&org).ok()?,
                    week,
                    counts,
                })
            })
            .collect())
    }
}
