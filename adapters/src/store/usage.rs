//! Usage counts: per organisation and ISO week one partition, per user and hour one item of
//! counters (each request one `ADD`, so concurrent lookups never lose a count). A lookup's
//! count is one write issued beside its reads, so it adds no round trip.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

use super::error::StoreError;
use super::table::{Condition, Index, QueryOptions, Table};
use cpindex::claims::{Claims, Role, UserId};
use cpindex::indicators::IsoWeek;
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::org::OrgCode;
use cpindex::usage::{counter, hour_of, HourUsage, Use};

const USER: &str = "user";
const ROLE: &str = "role";
const HOUR: &str = "hour";

/// The usage counts.
#[derive(Debug, Clone)]
pub struct UsageStore {
    table: Table,
}

impl UsageStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Counts one `what` by `caller` at `at`, and answers the user's count of that kind in
    /// the hour, this one included.
    pub async fn count(
        &self,
        caller: &Claims,
        at: DateTime<Utc>,
        what: Use,
    ) -> Result<u64, StoreError> {
        let hour = hour_of(at);
        let expires = hour + Duration::days(keep::USAGE_DAYS);
        let mut update = Condition::new("")
            .name("#entity", attr::ENTITY)
            .name("#expires", attr::EXPIRES_AT)
            .name("#user", USER)
            .name("#role", ROLE)
            .name("#hour", HOUR)
            .value(":entity", AttributeValue::S(Entity::Usage.as_str().into()))
            .value(
                ":expires",
                AttributeValue::N(expires.timestamp().to_string()),
            )
            .value(":user", AttributeValue::S(caller.user.as_str().into()))
            .value(":role", AttributeValue::S(caller.role.as_str().into()))
            .value(":hour", AttributeValue::S(hour.to_rfc3339()))
            .value(":one", AttributeValue::N("1".into()));
        let counters = what.counters();
        let mut adds = Vec::with_capacity(counters.len());
        for (i, name) in counters.iter().enumerate() {
            adds.push(format!("#c{i} :one"));
            update = update.name(&format!("#c{i}"), name);
        }
        update.expression = format!(
            "SET #entity = :entity, #expires = :expires, #user = :user, #role = :role, #hour = :hour ADD {}",
            adds.join(", ")
        );
        let item = self
            .table
            .update(
                &key::usage_pk(&caller.org, &IsoWeek::of(at)),
                &key::usage_sk(hour, &caller.user),
                update,
                None,
            )
            .await?;
        Ok(number(&item, counters[0]))
    }

    /// Every user's hourly counts in `org` for `week` (one partition, every page).
    pub async fn week(&self, org: &OrgCode, week: IsoWeek) -> Result<Vec<HourUsage>, StoreError> {
        let opts = QueryOptions {
            consistent: false,
            ..QueryOptions::default()
        };
        let items = self
            .table
            .query(Index::Table, &key::usage_pk(org, &week), None, opts)
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
                Some(HourUsage {
                    user: UserId::parse(s(USER)?)?,
                    role: Role::parse(s(ROLE)?)?,
                    hour: DateTime::parse_from_rfc3339(s(HOUR)?).ok()?.to_utc(),
                    lookups: number(item, counter::LOOKUPS),
                    silent: number(item, counter::SILENT),
                    refused: number(item, counter::REFUSED),
                    audit_reads: number(item, counter::AUDIT_READS),
                })
            })
            .collect())
    }

    /// The weeks `weeks`, read at once, their rows together.
    pub async fn weeks(
        &self,
        org: &OrgCode,
        weeks: &[IsoWeek],
    ) -> Result<Vec<HourUsage>, StoreError> {
        let reads = futures::future::try_join_all(weeks.iter().map(|w| self.week(org, *w))).await?;
        Ok(reads.into_iter().flatten().collect())
    }
}

fn number(item: &super::Item, name: &str) -> u64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
