//! Benchmarks (run by `make bench`); each returns `(metric, value)` pairs.

pub mod ingest;
pub mod lookup;
