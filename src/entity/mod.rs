//! sea-orm entities, one per table, in the 2.0 dense format. Request and
//! response types live in each domain's `model.rs`, never here.

pub mod account;
pub mod address;
pub mod allotment;
pub mod auth_token;
pub mod cart_line;
pub mod deal;
pub mod farmer;
pub mod farmer_contract;
pub mod idempotency_key;
pub mod ledger_entry;
pub mod ledger_split_rule;
pub mod live_pinned_item;
pub mod live_session;
pub mod lot;
pub mod membership;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod outbox;
pub mod payment;
pub mod product;
pub mod purchase_count;
pub mod refund;
pub mod sale_split;
pub mod sku;
pub mod stock_movement;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod workshop;
