//! The order pipeline: every order (buy now, cart checkout, live room, flash
//! deal, group-buy join, reship) is an intent its channel builds and this
//! module alone writes, in batches by single-writer tasks, acknowledged only
//! after COMMIT.

mod batch;
mod hooks;
mod intent;
mod limits;
mod metrics;
mod owners;
mod pg;
mod pools;
mod reads;
mod rows;
mod writer;

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, DatabaseConnection, DatabaseTransaction};

pub use hooks::{
    AllotmentLeft, CapLeft, IntentGuard, NoSessions, PlacedBatch, PlacedObserver, PlacedOrder,
    SessionPricing, SessionTerms,
};
pub use intent::{CapTake, Channel, Destination, IntentLine, Job, OrderIntent, lines_of};
pub use writer::WriterConfig;

use crate::entity::payment;
use crate::error::{AppError, AppResult};
use crate::orders::idempotency::Claim;
use crate::orders::model::OrderView;
use crate::orders::payments_pg::{NewPayment, PaymentWriter};

#[derive(Clone)]
pub struct Pipeline {
    writers: Arc<writer::Writers>,
    owners: owners::SkuOwners,
    claim_lease: chrono::Duration,
    /// PostgreSQL only: payments started and confirmed in batches.
    payments: Option<PaymentWriter>,
}

impl Pipeline {
    pub fn new(config: WriterConfig) -> anyhow::Result<Self> {
        let claim_lease = config.claim_lease;
        let payments = crate::platform::db::is_postgres(&config.db)
            .then(|| PaymentWriter::start(config.db.clone()));
        Ok(Self {
            writers: Arc::new(writer::Writers::new(config)?),
            owners: owners::SkuOwners::new(),
            claim_lease,
            payments,
        })
    }

    /// Confirms a payment notice in the common case (first notice, right
    /// amount, order waiting) in a batch with others; false when nothing
    /// changed and the general path must decide.
    pub async fn confirm_payment(&self, provider_ref: &str, amount_fen: i64) -> AppResult<bool> {
        match &self.payments {
            Some(payments) => payments.confirm(provider_ref, amount_fen).await,
            None => Ok(false),
        }
    }

    /// Writes a started payment, batched with others where the database
    /// allows it (PostgreSQL), else on its own.
    pub async fn record_payment(
        &self,
        db: &DatabaseConnection,
        new: NewPayment,
    ) -> AppResult<payment::Model> {
        if let Some(payments) = &self.payments {
            return payments.insert(new).await;
        }
        Ok(new.row().insert(db).await?)
    }

    /// Writes `job` through its shard's writer; the committed orders.
    pub async fn submit(&self, job: Job) -> AppResult<Vec<OrderView>> {
        self.writers.submit(job).await
    }

    /// Writes one order.
    pub async fn place(&self, intent: OrderIntent, claim: Option<Claim>) -> AppResult<OrderView> {
        let mut orders = self.submit(Job::single(intent, claim)).await?;
        orders.pop().ok_or_else(lost)
    }

    /// Writes `job` in the caller's transaction (a reship inside a claim's
    /// approval); no writer, no observers, the caller commits.
    pub async fn write_in(&self, txn: &DatabaseTransaction, job: Job) -> AppResult<Vec<OrderView>> {
        let jobs = [job];
        let result = batch::write(txn, &jobs, self.writers.pricing(), self.claim_lease).await?;
        result.answers.into_iter().next().ok_or_else(lost)?
    }

    /// The workshop of each SKU (a SKU never changes workshop); a SKU that
    /// does not exist is 409 `unavailable`.
    pub async fn owners(
        &self,
        db: &DatabaseConnection,
        sku_ids: &[i64],
    ) -> AppResult<std::collections::HashMap<i64, i64>> {
        self.owners.of(db, sku_ids).await
    }

    pub fn pricing(&self) -> &dyn SessionPricing {
        self.writers.pricing()
    }
}

fn lost() -> AppError {
    AppError::internal(anyhow::anyhow!("the pipeline answered no order"))
}
