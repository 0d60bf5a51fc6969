//! Infrastructure shared by every domain: database, cache and bus, JSON
//! extraction, pagination, telemetry, metrics and outbound HTTP. Imports no domain.

pub mod batcher;
pub mod bus;
pub mod cache;
pub mod crypto;
pub mod csv;
pub mod db;
pub mod holds;
pub mod json;
pub mod metrics;
pub mod outbound;
pub mod outbox;
pub mod pagination;
pub mod problems;
pub mod query;
pub mod rate_limit;
pub mod redis_backend;
pub mod response_cache;
pub mod sql;
pub mod telemetry;
pub mod validate;
pub mod warmup;
