//! The live domain's side of the orders boundary (`SessionPricing`): an order
//! placed in a live session pays the pinned items' live prices, counts against
//! their live caps, and is attributed to the session's streamer.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::model::SessionStatus;
use super::pricing::{effective_price, return_live_units, take_live_units};
use super::service::status_of;
use crate::entity::{live_pinned_item, live_session, sku};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::pipeline::{CapTake, SessionPricing, SessionTerms};

use live_pinned_item::Column as I;

/// Installed as the order pipeline's session pricing at start-up.
pub struct LivePricing;

#[async_trait::async_trait]
impl SessionPricing for LivePricing {
    /// 422 for an unknown session or one of another workshop, 409
    /// `session_not_live` unless it is live; the pinned SKUs' live prices and
    /// the caps the order counts against (checked when the order is written).
    async fn entitle(
        &self,
        db: &DatabaseConnection,
        session_id: i64,
        lines: &BTreeMap<i64, i64>,
    ) -> AppResult<SessionTerms> {
        let session = live_session::Entity::find_by_id(session_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::invalid("live_session_id", "no such live session"))?;
        if status_of(&session) != SessionStatus::Live {
            return Err(AppError::conflict(
                ErrorCode::SessionNotLive,
                format!(
                    "live session {session_id} is {}; order without it",
                    session.status
                ),
            ));
        }
        let sku_ids: Vec<i64> = lines.keys().copied().collect();
        let skus = sku::Entity::find()
            .filter(sku::Column::Id.is_in(sku_ids.clone()))
            .all(db)
            .await?;
        if skus.iter().any(|s| s.workshop_id != session.workshop_id) {
            return Err(AppError::invalid(
                "live_session_id",
                "the live session belongs to another workshop",
            ));
        }
        let normal: HashMap<i64, i64> = skus.iter().map(|s| (s.id, s.price_fen)).collect();
        let pinned = live_pinned_item::Entity::find()
            .filter(I::SessionId.eq(session_id))
            .filter(I::SkuId.is_in(sku_ids))
            .filter(I::UnpinnedAt.is_null())
            .all(db)
            .await?;
        let mut terms = SessionTerms {
            streamer_id: Some(session.streamer_account_id),
            ..Default::default()
        };
        for item in pinned {
            if let Some(&price) = normal.get(&item.sku_id) {
                terms
                    .prices
                    .insert(item.sku_id, effective_price(item.live_price_fen, price));
            }
            terms.caps.push(CapTake {
                item_id: item.id,
                quantity: lines.get(&item.sku_id).copied().unwrap_or(0),
            });
        }
        Ok(terms)
    }

    /// Locks the items; those still pinned in a live session answer their
    /// units left under the cap (None: no cap).
    async fn lock_caps(
        &self,
        txn: &DatabaseTransaction,
        item_ids: &[i64],
    ) -> AppResult<HashMap<i64, Option<i64>>> {
        let items = live_pinned_item::Entity::find()
            .filter(I::Id.is_in(item_ids.to_vec()))
            .filter(I::UnpinnedAt.is_null())
            .order_by_asc(I::Id)
            .lock_exclusive()
            .all(txn)
            .await?;
        let session_ids: Vec<i64> = items.iter().map(|i| i.session_id).collect();
        let live: HashSet<i64> = live_session::Entity::find()
            .filter(live_session::Column::Id.is_in(session_ids))
            .filter(live_session::Column::Status.eq(SessionStatus::Live.as_str()))
            .all(txn)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        Ok(items
            .into_iter()
            .filter(|i| live.contains(&i.session_id))
            .map(|i| (i.id, i.live_stock_cap.map(|cap| cap - i.sold_units)))
            .collect())
    }

    async fn take_caps(&self, txn: &DatabaseTransaction, takes: &[CapTake]) -> AppResult<()> {
        for take in takes {
            if !take_live_units(txn, take.item_id, take.quantity).await? {
                return Err(AppError::internal(anyhow::anyhow!(
                    "live cap of item {} changed under its lock",
                    take.item_id
                )));
            }
        }
        Ok(())
    }

    async fn release(
        &self,
        db: &DatabaseTransaction,
        session_id: i64,
        sku_id: i64,
        quantity: i64,
    ) -> AppResult<()> {
        let item = live_pinned_item::Entity::find()
            .filter(I::SessionId.eq(session_id))
            .filter(I::SkuId.eq(sku_id))
            .one(db)
            .await?;
        match item {
            Some(item) => return_live_units(db, item.id, quantity).await,
            None => Ok(()),
        }
    }
}
