//! Fulfilment: pick waves with FEFO lots, pick lists, packing, shipping,
//! pickup-point dispatch, carrier updates, traceability.

mod claims;
mod fefo_property;
mod shipping;
mod support;
mod trace;
mod waves;
