//! sea-orm entities, one per table, in the 2.0 dense format. Request and
//! response types live in each domain's `model.rs`, never here.

pub mod account;
pub mod auth_token;
pub mod farmer;
pub mod live_pinned_item;
pub mod live_session;
pub mod lot;
pub mod membership;
pub mod outbox;
pub mod product;
pub mod sku;
pub mod stock_movement;
pub mod workshop;
