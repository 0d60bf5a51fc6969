//! Orders: addresses, cart, checkout with atomic stock reservation,
//! idempotency, payments through a provider, expiry, cancellation and refunds.

pub mod addresses;
pub mod allotments;
pub mod cart;
pub mod cart_routes;
pub mod expiry;
pub mod idempotency;
pub mod model;
pub mod payments;
pub mod payments_pg;
pub mod pipeline;
pub mod queries;
pub mod refunds;
pub mod routes;
pub mod service;
pub mod status;
pub mod stock;
pub mod throttle;
