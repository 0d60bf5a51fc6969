//! A workshop's catalog policy: its common-prosperity price band, whether
//! shoppers see exact stock, and the threshold under which stock shows as low.

pub mod model;
pub mod routes;
pub mod service;
