//! Produce lots (批次): receiving a farmer's intake adds its units to the SKU's
//! stock; lots are listed soonest expiry first; expired lots are written off.

pub mod model;
pub mod receipts;
pub mod routes;
pub mod service;
pub mod write_off;
