//! The boundaries through which higher domains take part in writing orders
//! without orders importing them: live prices and caps, a channel's own rule
//! inside the order's transaction, and what happened after commit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::intent::CapTake;
use crate::error::AppResult;
use crate::orders::model::OrderView;

/// Terms a live session entitles its buyers to: unit prices by SKU, the
/// streamer the order is attributed to, and the live caps it counts against.
#[derive(Debug, Clone, Default)]
pub struct SessionTerms {
    pub prices: BTreeMap<i64, i64>,
    pub streamer_id: Option<i64>,
    pub caps: Vec<CapTake>,
}

/// Live-session prices and caps, implemented by the live domain.
#[async_trait::async_trait]
pub trait SessionPricing: Send + Sync {
    /// Prices and caps for `lines` (SKU → quantity) bought in `session_id`.
    async fn entitle(
        &self,
        db: &DatabaseConnection,
        session_id: i64,
        lines: &BTreeMap<i64, i64>,
    ) -> AppResult<SessionTerms>;

    /// Locks the pinned items and answers what each may still sell (None: no
    /// cap). An item missing from the answer sells no more (unpinned, or its
    /// session is no longer live).
    async fn lock_caps(
        &self,
        txn: &DatabaseTransaction,
        item_ids: &[i64],
    ) -> AppResult<HashMap<i64, Option<i64>>>;

    /// Counts the units sold against the items' caps.
    async fn take_caps(&self, txn: &DatabaseTransaction, takes: &[CapTake]) -> AppResult<()>;

    /// Gives capped live units back when an unpaid order is cancelled.
    async fn release(
        &self,
        txn: &DatabaseTransaction,
        session_id: i64,
        sku_id: i64,
        quantity: i64,
    ) -> AppResult<()>;
}

/// A channel's own rule, checked inside the order's transaction before its
/// stock is taken (a campaign's cut-off and pickup capacity), and its own
/// rows written once the order exists. A refusal refuses this order only;
/// a guarded order is written in a transaction of its own.
#[async_trait::async_trait]
pub trait IntentGuard: Send + Sync {
    async fn check(&self, txn: &DatabaseTransaction) -> AppResult<()>;
    async fn placed(&self, txn: &DatabaseTransaction, order: &OrderView) -> AppResult<()>;
}

/// An order written by the pipeline, with what its channel said about the buyer.
#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub view: OrderView,
    pub buyer_name: String,
}

/// What a committed batch did: its orders, and what each allotment it drew
/// from has left (a deal's sold-out gate and stock feed follow it).
#[derive(Debug, Default)]
pub struct PlacedBatch {
    pub orders: Vec<PlacedOrder>,
    pub allotments: Vec<AllotmentLeft>,
    /// Capped live items sold from, and the units their caps have left.
    pub caps: Vec<CapLeft>,
}

#[derive(Debug, Clone, Copy)]
pub struct CapLeft {
    pub session_id: i64,
    pub item_id: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct AllotmentLeft {
    pub allotment_id: i64,
    pub remaining: i64,
}

/// Told of every committed batch, after commit (live sales feed, deal gates).
/// Must return at once: long work belongs in a task of its own.
pub trait PlacedObserver: Send + Sync {
    fn placed(&self, batch: Arc<PlacedBatch>);
}

/// Used until a higher domain installs its own.
pub struct NoSessions;

#[async_trait::async_trait]
impl SessionPricing for NoSessions {
    async fn entitle(
        &self,
        _: &DatabaseConnection,
        _: i64,
        _: &BTreeMap<i64, i64>,
    ) -> AppResult<SessionTerms> {
        Ok(SessionTerms::default())
    }

    async fn lock_caps(
        &self,
        _: &DatabaseTransaction,
        _: &[i64],
    ) -> AppResult<HashMap<i64, Option<i64>>> {
        Ok(HashMap::new())
    }

    async fn take_caps(&self, _: &DatabaseTransaction, _: &[CapTake]) -> AppResult<()> {
        Ok(())
    }

    async fn release(&self, _: &DatabaseTransaction, _: i64, _: i64, _: i64) -> AppResult<()> {
        Ok(())
    }
}

impl PlacedObserver for NoSessions {
    fn placed(&self, _: Arc<PlacedBatch>) {}
}
