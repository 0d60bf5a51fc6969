//! SKUs of a product: price, market reference, common-prosperity flag and the
//! stock figures (`on_hand`, `reserved`) managers see.

pub mod model;
pub mod routes;
pub mod service;
