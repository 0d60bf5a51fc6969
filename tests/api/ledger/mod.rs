//! The common-prosperity ledger: guaranteed purchase, the premium split to the
//! fen, reversals, append-only rows, payouts, statements, reports and exports.

mod conservation;
mod export;
mod fixtures;
mod payouts;
mod purchases;
mod reports;
mod splits;
// `page.rs` (the report page in headless Chromium) uses fulfilment's
// `tests/api/browser.rs`; declare `mod page;` here once that helper is on main.
