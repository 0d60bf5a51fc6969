//! Black-box API tests: each test starts the real app on a random port with
//! its own fresh database and talks HTTP. One binary, one module per domain.

mod auth;
mod catalog;
mod cli;
mod errors;
mod helpers;
mod redis_outage;
mod system;
mod workshops;
