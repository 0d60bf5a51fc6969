//! Abuse: the authorisation matrix and the hostile input corpus, both
//! generated from the served OpenAPI document so new endpoints are covered.

mod hostile;
mod matrix;
mod methods;
mod openapi;
mod queries;
mod snapshot;
mod world;
