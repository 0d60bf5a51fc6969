//! Farmer households supplying a workshop. Phone and settlement reference are
//! shown to managers only; other staff see name, village and low-income flag.

pub mod model;
pub mod routes;
pub mod service;
