//! Gongfang: the sales and order backend for village common-prosperity
//! workshops. The binary (`main.rs`) only runs [`cli::run`].

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod entity;
pub mod error;
pub mod fulfilment;
pub mod groupbuys;
pub mod integrations;
pub mod ledger;
pub mod live;
pub mod orders;
pub mod platform;
pub mod reports;
pub mod scaffold;
pub mod startup;
pub mod state;
pub mod system;
pub mod webhooks;
pub mod workshops;
