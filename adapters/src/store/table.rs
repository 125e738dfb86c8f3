//! The DynamoDB operations every port is built from: conditional put, transactions, batch
//! writes in chunks of 25 with retry of unprocessed items, and fully paginated queries.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use super::error::{CancelReason, Item, StoreError};
use crate::fault::Fault;
use cpindex::keys::attr;

/// DynamoDB's limit on writes in one BatchWriteItem call.
pub const MAX_BATCH_WRITE: usize = 25;
/// DynamoDB's limit on keys in one BatchGetItem call.
pub const MAX_BATCH_GET: usize = 100;
/// DynamoDB's limit on items in one TransactWriteItems call.
pub const MAX_TRANSACTION: usize = 100;
/// Retries of unprocessed batch items before giving up as unavailable.
const UNPROCESSED_RETRIES: u32 = 8;

/// Applies an optional condition to any request builder that takes one (a put, a delete, a
/// transaction's put), asking for the stored item back when it fails. A macro because the SDK's
/// builders share these methods but no trait.
macro_rules! conditioned {
    ($req:expr, $cond:expr) => {
        match $cond {
            Some(c) => $req
                .condition_expression(c.expression)
                .set_expression_attribute_names(Some(c.names))
                .set_expression_attribute_values((!c.values.is_empty()).then_some(c.values))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                ),
            None => $req,
        }
    };
}

/// A failed condition as the domain outcome it is (with the stored item), any other error
/// classified: one mapping for every conditional operation.
macro_rules! condition_or_classify {
    ($table:expr, $err:expr, $failed:path) => {{
        let err = $err;
        match err.as_service_error() {
            Some($failed(e)) => StoreError::ConditionFailed {
                current: e.item().cloned(),
            },
            _ => classify(&$table, err),
        }
    }};
}

/// A condition expression with its placeholders.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub expression: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Condition {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            expression: expression.into(),
            ..Self::default()
        }
    }

    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    /// The item must not exist yet.
    pub fn not_exists() -> Self {
        Self::new("attribute_not_exists(#pk)").name("#pk", attr::PK)
    }

    /// Writes with `version` win only over an absent item or a strictly lower `attribute`.
    pub fn newer_than_stored(attribute: &str, version: u64) -> Self {
        Self::new("attribute_not_exists(#pk) OR #v < :v")
            .name("#pk", attr::PK)
            .name("#v", attribute)
            .value(":v", AttributeValue::N(version.to_string()))
    }
}

/// Options of a query within one partition.
#[derive(Debug, Clone, Copy)]
pub struct QueryOptions {
    /// Strongly consistent read (plans are always read this way).
    pub consistent: bool,
    /// Ascending sort-key order when true.
    pub ascending: bool,
    /// Stop after this many items (all of them when `None`).
    pub limit: Option<usize>,
    /// Items per request (the store's own 1 MB page limit applies regardless).
    pub page_size: Option<usize>,
}

/// Which key schema a query uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The table's own keys.
    Table,
    /// GSI1: per-organisation listings.
    Gsi1,
}

impl Index {
    fn attributes(self) -> (&'static str, &'static str, Option<&'static str>) {
        match self {
            Index::Table => (attr::PK, attr::SK, None),
            Index::Gsi1 => (attr::GSI1_PK, attr::GSI1_SK, Some(cpindex::keys::GSI1.name)),
        }
    }
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            consistent: true,
            ascending: true,
            limit: None,
            page_size: None,
        }
    }
}

/// One table, addressed through a shared client (built once per process).
#[derive(Debug, Clone)]
pub struct Table {
    client: Client,
    name: String,
}

/// Turns a SDK failure on `table` into a store error, keeping the source but never exposing it
/// to callers. A configuration fault is logged here, naming the table.
fn classify<E>(table: &str, err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default().to_owned();
            match crate::fault::of(&code, service.raw().status().is_server_error()) {
                Fault::Configuration => {
                    crate::fault::log_configuration("dynamodb", table, &code);
                    StoreError::Misconfigured {
                        resource: table.to_owned(),
                        code,
                        source: Box::new(err),
                    }
                }
                Fault::Transient => StoreError::Unavailable(Box::new(err)),
                Fault::Rejected => StoreError::Rejected(Box::new(err)),
            }
        }
        // Timeouts, dispatch (connection) failures and unreadable responses.
        _ => StoreError::Unavailable(Box::new(err)),
    }
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes `item` if `condition` holds. On a failed condition the stored item comes back in
    /// [`StoreError::ConditionFailed`] (no second read needed to report the current version).
    /// Returns the item that was replaced, if any.
    pub async fn put(
        &self,
        item: Item,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        super::size::check(&item)?;
        let req = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .return_values(ReturnValue::AllOld);
        conditioned!(req, condition)
            .send()
            .await
            .map(|out| out.attributes)
            .map_err(|err| {
                condition_or_classify!(
                    self.name,
                    err,
                    PutItemError::ConditionalCheckFailedException
                )
            })
    }

    /// Reads one item.
    pub async fn get(
        &self,
        pk: &str,
        sk: &str,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key(attr::PK, AttributeValue::S(pk.into()))
            .key(attr::SK, AttributeValue::S(sk.into()))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| classify(&self.name, e))?;
        Ok(out.item)
    }

    /// Applies an update expression if `condition` holds; returns the item as it now stands.
    pub async fn update(
        &self,
        pk: &str,
        sk: &str,
        update: Condition,
        condition: Option<Condition>,
    ) -> Result<Item, StoreError> {
        let mut names = update.names;
        let mut values = update.values;
        let mut req = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::PK, AttributeValue::S(pk.into()))
            .key(attr::SK, AttributeValue::S(sk.into()))
            .update_expression(update.expression)
            .return_values(ReturnValue::AllNew);
        if let Some(c) = condition {
            names.extend(c.names);
            values.extend(c.values);
            req = req
                .condition_expression(c.expression)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        let req = req
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values));
        req.send()
            .await
            .map(|out| out.attributes.unwrap_or_default())
            .map_err(|err| {
                condition_or_classify!(
                    self.name,
                    err,
                    UpdateItemError::ConditionalCheckFailedException
                )
            })
    }

    /// Reads many items by key, at most [`MAX_BATCH_GET`] per call, retrying unprocessed keys.
    /// Missing items are simply absent from the result. A strongly consistent read costs twice
    /// an eventually consistent one.
    pub async fn batch_get(
        &self,
        keys: Vec<(String, String)>,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending: Vec<Item> = chunk
                .iter()
                .map(|(pk, sk)| {
                    HashMap::from([
                        (attr::PK.to_owned(), AttributeValue::S(pk.clone())),
                        (attr::SK.to_owned(), AttributeValue::S(sk.clone())),
                    ])
                })
                .collect();
            pending.dedup();
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt > UNPROCESSED_RETRIES {
                    return Err(StoreError::Unavailable(
                        "keys still unprocessed after retries".into(),
                    ));
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
                }
                attempt += 1;
                let keys_and_attrs = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(consistent)
                    .build()
                    .map_err(|e| StoreError::Rejected(Box::new(e)))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.name, keys_and_attrs)
                    .send()
                    .await
                    .map_err(|e| classify(&self.name, e))?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(&self.name).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut m| m.remove(&self.name))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    /// Deletes one item if `condition` holds.
    pub async fn delete(
        &self,
        pk: &str,
        sk: &str,
        condition: Option<Condition>,
    ) -> Result<(), StoreError> {
        let req = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key(attr::PK, AttributeValue::S(pk.into()))
            .key(attr::SK, AttributeValue::S(sk.into()));
        conditioned!(req, condition)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                condition_or_classify!(
                    self.name,
                    err,
                    DeleteItemError::ConditionalCheckFailedException
                )
            })
    }

    /// Queries one partition (optionally a sort-key prefix) of the table or GSI1, following
    /// every page until `opts.limit` items or the end. GSI reads are never strongly consistent.
    pub async fn query(
        &self,
        index: Index,
        pk: &str,
        sk_prefix: Option<&str>,
        opts: QueryOptions,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let want = opts
                .limit
                .map(|limit| limit.saturating_sub(items.len()).max(1));
            let page_size = match (want, opts.page_size) {
                (Some(w), Some(p)) => Some(w.min(p)),
                (w, p) => w.or(p),
            };
            let (page, next) = self
                .query_page(index, pk, sk_prefix, opts, page_size, start.take())
                .await?;
            items.extend(page);
            if let Some(limit) = opts.limit {
                if items.len() >= limit {
                    items.truncate(limit);
                    return Ok(items);
                }
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }

    /// Items of one partition of the table whose sort key lies between `lo` and `hi`
    /// (inclusive), up to `opts.limit`: a window read by key, so nothing outside the window
    /// (however much of it there is) takes a place in the result.
    pub async fn query_between(
        &self,
        pk: &str,
        lo: &str,
        hi: &str,
        opts: QueryOptions,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let want = opts.limit.map(|l| l.saturating_sub(items.len()).max(1));
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .consistent_read(opts.consistent)
                .scan_index_forward(opts.ascending)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#sk", attr::SK)
                .expression_attribute_values(":pk", AttributeValue::S(pk.into()))
                .expression_attribute_values(":lo", AttributeValue::S(lo.into()))
                .expression_attribute_values(":hi", AttributeValue::S(hi.into()))
                .set_limit(want.map(|p| i32::try_from(p).unwrap_or(i32::MAX)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(&self.name, e))?;
            items.extend(out.items.unwrap_or_default());
            if let Some(limit) = opts.limit {
                if items.len() >= limit {
                    items.truncate(limit);
                    return Ok(items);
                }
            }
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }

    /// One page of a query, for callers that hand a cursor to their own callers.
    /// Returns the items and the key to continue from, if there is more.
    pub async fn query_page(
        &self,
        index: Index,
        pk: &str,
        sk_prefix: Option<&str>,
        opts: QueryOptions,
        page_size: Option<usize>,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let (pk_attr, sk_attr, index_name) = index.attributes();
        let mut req = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(index_name.map(str::to_owned))
            .consistent_read(opts.consistent && index_name.is_none())
            .scan_index_forward(opts.ascending)
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_values(":pk", AttributeValue::S(pk.into()))
            .set_limit(page_size.map(|p| i32::try_from(p).unwrap_or(i32::MAX)))
            .set_exclusive_start_key(start);
        req = match sk_prefix {
            Some(prefix) => req
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":sk", AttributeValue::S(prefix.into())),
            None => req.key_condition_expression("#pk = :pk"),
        };
        let out = req.send().await.map_err(|e| classify(&self.name, e))?;
        let next = out.last_evaluated_key.filter(|k| !k.is_empty());
        Ok((out.items.unwrap_or_default(), next))
    }

    /// One page of one segment of a parallel scan of `index` (strongly consistent on the table;
    /// an index is read eventually consistent, the only way DynamoDB reads one). Returns the
    /// items and the key to continue from, if there is more in this segment.
    pub async fn scan_page(
        &self,
        index: Index,
        segment: u32,
        total_segments: u32,
        page_size: usize,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let (_, _, index_name) = index.attributes();
        let out = self
            .client
            .scan()
            .table_name(&self.name)
            .set_index_name(index_name.map(str::to_owned))
            .segment(i32::try_from(segment).unwrap_or(0))
            .total_segments(i32::try_from(total_segments).unwrap_or(1))
            .limit(i32::try_from(page_size).unwrap_or(i32::MAX))
            .consistent_read(index_name.is_none())
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify(&self.name, e))?;
        let next = out.last_evaluated_key.filter(|k| !k.is_empty());
        Ok((out.items.unwrap_or_default(), next))
    }

    /// Writes items atomically: all or none. A refusal names each failed item by position.
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        if items.len() > MAX_TRANSACTION {
            return Err(StoreError::Limit("at most 100 items per transaction"));
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                if let Some(
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e),
                ) = err.as_service_error()
                {
                    let reasons = e
                        .cancellation_reasons()
                        .iter()
                        .enumerate()
                        .filter_map(|(index, r)| {
                            let code = r.code().unwrap_or("None");
                            (code != "None").then(|| CancelReason {
                                index,
                                code: code.to_owned(),
                                current: r.item().cloned(),
                            })
                        })
                        .collect::<Vec<_>>();
                    let only_conflicts = !reasons.is_empty()
                        && reasons.iter().all(|r| r.code == "TransactionConflict");
                    if only_conflicts {
                        return Err(StoreError::Unavailable(Box::new(err)));
                    }
                    return Err(StoreError::TransactionCancelled { reasons });
                }
                Err(classify(&self.name, err))
            }
        }
    }

    /// A conditional put as a transaction item of this table.
    pub fn transact_put(
        &self,
        item: Item,
        condition: Option<Condition>,
    ) -> Result<TransactWriteItem, StoreError> {
        super::size::check(&item)?;
        let put = Put::builder().table_name(&self.name).set_item(Some(item));
        let put = conditioned!(put, condition)
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A conditional update as a transaction item of this table.
    pub fn transact_update(
        &self,
        pk: &str,
        sk: &str,
        update: Condition,
        condition: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut names = update.names;
        names.extend(condition.names);
        let mut values = update.values;
        values.extend(condition.values);
        let update = Update::builder()
            .table_name(&self.name)
            .key(attr::PK, AttributeValue::S(pk.into()))
            .key(attr::SK, AttributeValue::S(sk.into()))
            .update_expression(update.expression)
            .condition_expression(condition.expression)
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Puts items unconditionally in chunks of [`MAX_BATCH_WRITE`], retrying unprocessed ones
    /// with back-off. Returns the number of BatchWriteItem calls made.
    pub async fn batch_put(&self, items: Vec<Item>) -> Result<usize, StoreError> {
        for item in &items {
            super::size::check(item)?;
        }
        let mut calls = 0;
        let mut requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        aws_sdk_dynamodb::types::PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("item is set"),
                    )
                    .build()
            })
            .collect();
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(MAX_BATCH_WRITE));
            calls += self
                .batch_write_chunk(std::mem::replace(&mut requests, rest))
                .await?;
        }
        Ok(calls)
    }

    /// One chunk of at most 25 writes; unprocessed items are retried with exponential back-off.
    pub async fn batch_write_chunk(
        &self,
        mut chunk: Vec<WriteRequest>,
    ) -> Result<usize, StoreError> {
        // The emulator does not enforce DynamoDB's limit, so our code does.
        if chunk.len() > MAX_BATCH_WRITE {
            return Err(StoreError::Limit("at most 25 writes per BatchWriteItem"));
        }
        let mut calls = 0;
        for attempt in 0..=UNPROCESSED_RETRIES {
            if chunk.is_empty() {
                return Ok(calls);
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
            }
            calls += 1;
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.name, chunk)
                .send()
                .await
                .map_err(|e| classify(&self.name, e))?;
            chunk = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.name))
                .unwrap_or_default();
        }
        if chunk.is_empty() {
            Ok(calls)
        } else {
            Err(StoreError::Unavailable(
                format!("{} writes still unprocessed after retries", chunk.len()).into(),
            ))
        }
    }
}
