//! Storage: typed errors, DynamoDB primitives, and the item mapping of each entity.

pub mod access;
pub mod alert_state;
pub mod demographics;
pub mod error;
pub mod extracts;
pub mod indicators;
pub mod key_state;
pub mod notifications;
pub mod overdue;
pub mod plans;
pub mod profile_history;
pub mod reports;
pub mod runs;
pub mod scan;
pub mod size;
pub mod table;
pub mod unmatched;
pub mod usage;

pub use error::{BoxError, CancelReason, Item, StoreError};
pub use table::{Condition, Index, QueryOptions, Table, MAX_BATCH_WRITE};
