//! Black-box API tests: each test starts the real app on a random port with
//! its own fresh database and talks HTTP. One binary, one module per domain.

mod abuse;
mod architecture;
mod auth;
mod browser;
mod catalog;
mod cli;
mod deals;
mod demo;
mod errors;
mod fixtures;
mod fulfilment;
mod groupbuys;
mod helpers;
mod ledger;
mod limits;
mod live_caps;
mod live_events;
mod live_items;
mod live_load;
mod live_orders;
mod live_sessions;
mod live_support;
mod orders;
mod payments;
mod providers;
mod redis_outage;
mod system;
mod webhooks;
mod workshops;
