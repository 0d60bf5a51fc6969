//! Group-buys: pickup points, campaigns and their rules, joins racing the
//! cut-off, settlement exactly once across instances, pickup codes, commission.

mod campaigns;
mod demo;
mod pickup;
mod settlement;
pub mod support;
