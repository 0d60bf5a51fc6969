//! Community group-buys (社区团购): leaders and their pickup points, campaigns
//! with tier prices and a cut-off, settlement exactly once, pickup codes and commission.

pub mod campaigns;
pub mod commission;
pub mod join;
mod lease;
pub mod model;
mod order_step;
pub mod pickup;
pub mod pickup_routes;
pub mod points;
pub mod progress;
pub mod routes;
pub mod settlement;
pub mod tiers;
