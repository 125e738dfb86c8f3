//! The child protection index's domain: NHS numbers, plans, claims and errors, with the ports
//! and AWS adapters the functions are built from. The domain modules know nothing of AWS.

pub mod access;
pub mod aws;
pub mod bootstrap;
pub mod claims;
pub mod clock;
pub mod config;
pub mod contact;
pub mod edge;
pub mod json_object;
pub mod keys;
pub mod nhs_number;
pub mod notification;
pub mod org;
pub mod plan;
pub mod problem;
pub mod profile;
pub mod queue;
pub mod routes;
pub mod secrets;
pub mod signing;
pub mod sqs_batch;
pub mod store;

pub use claims::{Claims, Role};
pub use clock::{Clock, FixedClock, SystemClock};
pub use nhs_number::NhsNumber;
pub use org::OrgCode;
pub use plan::{Plan, PlanRef, PlanStatus, PlanType, Retention};
pub use problem::{ErrorCode, FieldError, Problem};
