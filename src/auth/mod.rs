//! Accounts, bearer tokens, roles and the request extractor that yields the
//! caller. Authorisation decisions live on `Caller`, in one place.

pub mod caller;
pub mod callers;
pub mod model;
pub mod password;
pub mod routes;
pub mod service;

pub use caller::Caller;
pub use model::Role;
