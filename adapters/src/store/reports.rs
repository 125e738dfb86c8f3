//! Reconciliation reports: the latest per LA (readable by that LA only) and the operator's.
//! Stored as JSON documents; the reconciliation function owns their shape.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

use super::error::StoreError;
use super::table::Table;
use cpindex::keys::{attr, keep, key, Entity};
use cpindex::org::OrgCode;

async fn put(
    table: &Table,
    pk: &str,
    at: DateTime<Utc>,
    report: &serde_json::Value,
) -> Result<(), StoreError> {
    let body = AttributeValue::S(report.to_string());
    for sk in [key::LATEST.to_owned(), key::report_run_sk(at)] {
        let mut item = HashMap::from([
            (attr::PK.to_owned(), AttributeValue::S(pk.to_owned())),
            (attr::SK.to_owned(), AttributeValue::S(sk.clone())),
            (
                attr::ENTITY.to_owned(),
                AttributeValue::S(Entity::ReconciliationReport.as_str().into()),
            ),
            ("report".to_owned(), body.clone()),
        ]);
        if sk != key::LATEST {
            item.insert(
                attr::EXPIRES_AT.to_owned(),
                AttributeValue::N(
                    (at + Duration::days(keep::REPORT_COPY_DAYS))
                        .timestamp()
                        .to_string(),
                ),
            );
        }
        table.put(item, None).await?;
    }
    Ok(())
}

async fn get(table: &Table, pk: &str) -> Result<Option<serde_json::Value>, StoreError> {
    let Some(item) = table.get(pk, key::LATEST, true).await? else {
        return Ok(None);
    };
    let raw = item
        .get("report")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    serde_json::from_str(&raw)
        .map(Some)
        .map_err(|e| StoreError::Mapping(Box::new(e)))
}

/// The reconciliation reports: each LA's latest (read by that LA only) and the operators'.
#[derive(Debug, Clone)]
pub struct ReportStore {
    table: Table,
}

impl ReportStore {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Stores an LA's report as its latest (and keeps a dated copy).
    pub async fn put_la(
        &self,
        org: &OrgCode,
        at: DateTime<Utc>,
        report: &serde_json::Value,
    ) -> Result<(), StoreError> {
        put(&self.table, &key::la_report_pk(org), at, report).await
    }

    /// The LA's latest report.
    pub async fn latest_la(&self, org: &OrgCode) -> Result<Option<serde_json::Value>, StoreError> {
        get(&self.table, &key::la_report_pk(org)).await
    }

    /// Stores the operator's report.
    pub async fn put_operator(
        &self,
        at: DateTime<Utc>,
        report: &serde_json::Value,
    ) -> Result<(), StoreError> {
        put(&self.table, key::OPERATOR_REPORT_PK, at, report).await
    }

    /// The operator's latest report.
    pub async fn latest_operator(&self) -> Result<Option<serde_json::Value>, StoreError> {
        get(&self.table, key::OPERATOR_REPORT_PK).await
    }
}
