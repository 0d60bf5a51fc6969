//! Products as managers keep them: create with SKUs, update, archive, list
//! and read every status with stock figures.

pub mod model;
pub mod routes;
pub mod service;
