//! The boundary through which a higher domain (the ledger) learns of every
//! lot received, inside the receipt's transaction, without catalog importing it.

use sea_orm::DatabaseTransaction;

use crate::entity::lot;
use crate::error::AppResult;

#[async_trait::async_trait]
pub trait LotReceipts: Send + Sync {
    /// Called after the lot row is written, before the receipt commits; an
    /// error rolls the whole receipt back.
    async fn received(&self, txn: &DatabaseTransaction, lot: &lot::Model, by: i64)
    -> AppResult<()>;
}

/// Used until the ledger installs its own: nothing else happens on receipt.
pub struct NoLotReceipts;

#[async_trait::async_trait]
impl LotReceipts for NoLotReceipts {
    async fn received(&self, _: &DatabaseTransaction, _: &lot::Model, _: i64) -> AppResult<()> {
        Ok(())
    }
}
