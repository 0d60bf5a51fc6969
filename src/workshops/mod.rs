//! Workshops (the tenants) and their staff: managers, streamers, fulfilment
//! staff and group-buy leaders.

pub mod model;
pub mod routes;
pub mod service;
