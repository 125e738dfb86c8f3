//! The child protection index's adapters: DynamoDB and SQS (the store and queue ports' AWS
//! implementations), Secrets Manager, SDK configuration, the emulator bootstrap, and the HTTP
//! edge (claims from the API Gateway request context, problem responses). The domain crate
//! `cpindex` knows nothing of any of them.

pub mod aws;
pub mod bootstrap;
pub mod edge;
pub mod fault;
pub mod key_guard;
pub mod key_rotation;
pub mod profile_cache;
pub mod queue;
pub mod secrets;
pub mod sqs_batch;
pub mod store;
