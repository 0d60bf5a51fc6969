//! The storefront's catalog (no auth): active products across workshops and
//! their detail, served as cached bytes with an ETag.

pub mod model;
pub mod query;
pub mod routes;
pub mod service;
