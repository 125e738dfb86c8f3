//! Benchmarks (run by `make bench`); each returns `(metric, value)` pairs.

pub mod alerts;
pub mod cost;
pub mod ingest;
pub mod lookup;
pub mod reconcile;
pub mod world;
