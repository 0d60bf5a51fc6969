//! Partner webhooks: endpoints per workshop, fan-out of outbox events into signed
//! deliveries, a delivery worker with retries and leases, and the delivery log.

pub mod events;
pub mod fanout;
pub mod log;
pub mod log_routes;
pub mod metrics;
pub mod model;
pub mod record;
pub mod routes;
pub mod send;
pub mod service;
pub mod signing;
pub mod store;
pub mod worker;
