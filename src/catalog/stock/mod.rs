//! Stock: the append-only movement ledger every on-hand change goes through,
//! managers' adjustments (count corrections, spoilage) and the movement list.

pub mod ledger;
pub mod model;
pub mod routes;
pub mod service;
