//! The common-prosperity ledger (共富账本): farmer contracts and guaranteed
//! purchase, the premium split on every sale, statements and payouts.
//!
//! Lots received are credited to their farmer (`purchases`, via the catalog's
//! `LotReceipts` hook); each lot allocation of an order line is split
//! (`sales::record_allocation`); refunds reverse splits (`RefundObserver`).
//! `sale_splits` and `ledger_entries` are append-only (database triggers).

pub mod contracts;
pub mod entries;
pub mod export;
pub mod hooks;
pub mod model;
pub mod payouts;
pub mod period;
pub mod purchases;
pub mod routes;
pub mod rules;
pub mod sales;
pub mod split;
pub mod statements;

pub use hooks::LedgerHooks;
