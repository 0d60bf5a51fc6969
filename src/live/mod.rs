//! Live sessions: scheduling and going live, the pinned showcase (小黄车) with
//! live prices, and the real-time room: events over SSE and viewer figures.

pub mod analytics;
pub mod analytics_routes;
pub mod deal_model;
pub mod deal_routes;
pub mod deals;
pub mod events;
pub mod flash;
pub mod gate;
pub mod hub;
pub mod item_routes;
pub mod items;
pub mod log;
pub mod model;
pub mod pricing;
pub mod routes;
pub mod sales;
pub mod service;
pub mod stream;
pub mod tally;
pub mod terms;
pub mod viewers;
pub mod views;

pub use events::{EventKind, publish};
pub use hub::LiveHub;
pub use model::LivePrice;
pub use pricing::{live_price_for, return_live_units, take_live_units};
pub use terms::LivePricing;
