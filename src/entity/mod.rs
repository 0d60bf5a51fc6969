//! sea-orm entities, one per table, in the 2.0 dense format. Request and
//! response types live in each domain's `model.rs`, never here.

pub mod account;
pub mod address;
pub mod allotment;
pub mod auth_token;
pub mod cart_line;
pub mod claim;
pub mod claim_line;
pub mod deal;
pub mod farmer;
pub mod idempotency_key;
pub mod live_pinned_item;
pub mod live_session;
pub mod lot;
pub mod membership;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod outbox;
pub mod packing;
pub mod payment;
pub mod pick_allocation;
pub mod pick_wave;
pub mod pick_wave_order;
pub mod product;
pub mod purchase_count;
pub mod refund;
pub mod shipment;
pub mod shipment_event;
pub mod sku;
pub mod stock_movement;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod workshop;
