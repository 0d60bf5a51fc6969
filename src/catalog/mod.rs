//! The catalog: products and SKUs with common-prosperity prices, farmer
//! households, produce lots, stock and its movements, and the cached storefront.
//!
//! Other domains use `catalog::service` (sale window, checkout loading, cache
//! invalidation) and `catalog::stock::ledger` (stock movements).

pub mod cache;
pub mod checks;
pub mod farmers;
pub mod invalidation;
pub mod lookup;
pub mod lots;
pub mod policy;
pub mod products;
pub mod public;
pub mod routes;
pub mod rules;
pub mod service;
pub mod skus;
pub mod stock;
pub mod types;
