//! The common-prosperity ledger: guaranteed purchase, the premium split to the
//! fen, reversals, append-only rows, payouts, statements, reports and exports.

mod cancelled_waves;
mod conservation;
mod export;
mod fixtures;
mod page;
mod payouts;
mod purchases;
mod reports;
mod splits;
