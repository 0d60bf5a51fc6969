//! Fulfilment of perishables: pick waves with FEFO lot allocation, pick lists,
//! packing, shipping and pickup-point dispatch, traceability and after-sales.

pub mod cancel;
pub mod claim_model;
pub mod claim_routes;
pub mod claims;
pub mod console;
pub mod fefo;
pub mod model;
pub mod picklist;
pub mod quality;
pub mod refund_returns;
pub mod reship;
pub mod routes;
pub mod shipping;
pub mod signature;
pub mod trace;
pub mod waves;
