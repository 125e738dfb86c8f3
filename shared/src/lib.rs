//! The child protection index's domain: NHS numbers, plans, claims, accesses, notifications and
//! errors, and the one definition of keys, queues, functions and routes. It compiles without any
//! AWS or HTTP crate; the adapters live in `cpindex-adapters` (`adapters/`).

pub mod access;
pub mod alert_state;
pub mod answers;
pub mod attendances;
pub mod batch;
pub mod child_key;
pub mod child_search;
pub mod cis2;
pub mod claims;
pub mod clock;
pub mod config;
pub mod contact;
pub mod csv_extract;
pub mod demographics;
pub mod disclosure;
pub mod fhir;
pub mod indicators;
pub mod json_object;
pub mod key_state;
pub mod keys;
pub mod log;
pub mod logging;
pub mod missed;
pub mod nhs_number;
pub mod notification;
pub mod org;
pub mod overdue;
pub mod plan;
pub mod plan_record;
pub mod problem;
pub mod profile;
pub mod profile_change;
pub mod recheck;
pub mod routes;
pub mod signing;
pub mod text;
pub mod transfer;
pub mod unmatched;
pub mod usage;

pub use child_key::{ChildKey, ChildKeys, KeyFingerprint, Keyring};
pub use claims::{Claims, Role};
pub use clock::{Clock, FixedClock, SystemClock};
pub use key_state::{ActiveKeys, KeyState};
pub use nhs_number::NhsNumber;
pub use org::OrgCode;
pub use plan::{Plan, PlanRef, PlanStatus, PlanType, Retention};
pub use plan_record::{PlanProjection, PlanRecord, PlanState};
pub use problem::{ErrorCode, FieldError, Problem};
