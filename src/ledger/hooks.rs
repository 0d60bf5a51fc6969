//! The ledger's side of the catalog and orders boundaries: a received lot
//! records its guaranteed purchase, refunded units reverse their splits, each
//! inside the caller's transaction.

use sea_orm::DatabaseTransaction;

use super::{purchases, sales};
use crate::catalog::lots::receipts::LotReceipts;
use crate::entity::lot;
use crate::error::AppResult;
use crate::orders::refunds::{RefundObserver, latest_refund};

/// Installed as `AppState::lot_receipts` and `AppState::refund_observer`.
pub struct LedgerHooks;

#[async_trait::async_trait]
impl LotReceipts for LedgerHooks {
    async fn received(
        &self,
        txn: &DatabaseTransaction,
        lot: &lot::Model,
        by: i64,
    ) -> AppResult<()> {
        purchases::record_receipt(txn, lot, Some(by)).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl RefundObserver for LedgerHooks {
    /// Called right after the refund row is written: the order's newest
    /// refund is this one. Money-only refunds (no lines) reverse nothing.
    async fn refunded(&self, txn: &DatabaseTransaction, order_id: i64) -> AppResult<()> {
        let Some((latest, lines)) = latest_refund(txn, order_id).await? else {
            return Ok(());
        };
        for line in lines {
            sales::reverse_refund(txn, latest.id, line.line_id, line.quantity).await?;
        }
        Ok(())
    }
}
