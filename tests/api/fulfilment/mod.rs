//! Fulfilment: pick waves with FEFO lots, pick lists, packing, shipping,
//! pickup-point dispatch, carrier updates, traceability.

mod cancel;
mod claims;
mod console;
mod docs;
mod fefo_property;
mod groupbuy;
mod refunds;
pub mod shipping;
pub mod support;
mod trace;
mod waves;
