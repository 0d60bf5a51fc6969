//! Workshop reports: sales by channel and category, broadcasts and viewers,
//! households supplying and their income, the premium flow; as JSON, CSV,
//! server-drawn SVG charts and an HTML page (`/reports/workshops/{id}`).

pub mod charts;
pub mod export;
pub mod model;
pub mod page;
pub mod routes;
pub mod service;
