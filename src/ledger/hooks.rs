//! The ledger's side of the catalog and orders boundaries: a received lot
//! records its guaranteed purchase, refunded units reverse their splits, each
//! inside the caller's transaction.

use sea_orm::DatabaseTransaction;

use super::{purchases, sales};
use crate::catalog::lots::receipts::LotReceipts;
use crate::entity::{lot, order};
use crate::error::AppResult;
use crate::orders::refunds::RefundObserver;

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
    async fn refunded(
        &self,
        txn: &DatabaseTransaction,
        _order: &order::Model,
        refund_id: i64,
        lines: &[(i64, i64)],
    ) -> AppResult<()> {
        for (line_id, quantity) in lines {
            sales::reverse_refund(txn, refund_id, *line_id, *quantity).await?;
        }
        Ok(())
    }
}
