//! What can go wrong talking to the store, as types the domain can act on.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Boxed source error (SDK errors are large and generic; callers never see their debug output).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why one item of a cancelled transaction failed.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelReason {
    /// Position of the item in the request.
    pub index: usize,
    /// DynamoDB's reason code, e.g. `ConditionalCheckFailed`.
    pub code: String,
    /// The item as it stood, when the store returned it.
    pub current: Option<Item>,
}

/// A failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write found the item in another state (a domain outcome, not a fault).
    #[error("the condition on the write was not met")]
    ConditionFailed { current: Option<Item> },
    /// A transaction was refused; `reasons` names each failing item by position.
    #[error("the transaction was cancelled ({} item(s) failed)", reasons.len())]
    TransactionCancelled { reasons: Vec<CancelReason> },
    /// The store could not be reached, throttled after retries, or timed out.
    #[error("the store is unavailable")]
    Unavailable(#[source] BoxError),
    /// The table (or an index) is missing, or this function may not use it: an operator must act
    /// (logged as a configuration fault when classified).
    #[error("the store is misconfigured ({code} on {resource})")]
    Misconfigured {
        resource: String,
        code: String,
        #[source]
        source: BoxError,
    },
    /// The store refused the request as malformed (a bug on our side).
    #[error("the store rejected the request")]
    Rejected(#[source] BoxError),
    /// An item did not map to or from its domain type.
    #[error("an item could not be mapped")]
    Mapping(#[source] BoxError),
    /// A call broke a limit that our own code promises to respect (e.g. 25 writes per batch).
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
    /// An item would pass DynamoDB's 400 KB item limit (refused before it is sent).
    #[error("an item of {size} bytes is over the store's item size limit")]
    TooLarge { size: usize },
}

impl StoreError {
    /// True when the caller answers 503 with Retry-After: the store is unavailable, or
    /// misconfigured (retrying succeeds once an operator fixes it; never a 500 or an empty answer).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Misconfigured { .. }
        )
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(e: serde_dynamo::Error) -> Self {
        StoreError::Mapping(Box::new(e))
    }
}
