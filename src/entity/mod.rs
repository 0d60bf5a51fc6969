//! sea-orm entities, one per table, in the 2.0 dense format. Request and
//! response types live in each domain's `model.rs`, never here.

pub mod account;
pub mod auth_token;
pub mod farmer;
pub mod lot;
pub mod membership;
pub mod outbox;
pub mod product;
pub mod sku;
pub mod stock_movement;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod workshop;
