//! Gongfang: the sales and order backend for village common-prosperity
//! workshops. The binary (`main.rs`) is a thin CLI over this library.

pub mod auth;
pub mod benchprep;
pub mod catalog;
pub mod config;
pub mod demo;
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
pub mod startup;
pub mod state;
pub mod system;
pub mod webhooks;
pub mod workshops;
