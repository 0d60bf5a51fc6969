//! The live domain's side of the orders boundary (`SessionPricing`): an order
//! placed in a live session pays the pinned items' live prices, counts against
//! their live caps, and is attributed to the session's streamer.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter};

use super::model::SessionStatus;
use super::pricing::{effective_price, return_live_units, take_live_units};
use super::service::status_of;
use crate::entity::{live_pinned_item, live_session, sku};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::service::{SessionPricing, SessionTerms};

use live_pinned_item::Column as I;

/// Installed as `AppState::session_pricing` at start-up.
pub struct LivePricing;

#[async_trait::async_trait]
impl SessionPricing for LivePricing {
    /// 422 for an unknown session or one of another workshop, 409
    /// `session_not_live` unless it is live, 409 `out_of_stock` past a live cap.
    async fn entitle(
        &self,
        db: &DatabaseTransaction,
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
        let foreign = sku::Entity::find()
            .filter(sku::Column::Id.is_in(sku_ids.clone()))
            .filter(sku::Column::WorkshopId.ne(session.workshop_id))
            .count(db)
            .await?;
        if foreign > 0 {
            return Err(AppError::invalid(
                "live_session_id",
                "the live session belongs to another workshop",
            ));
        }
        let prices = take_pinned_units(db, session_id, &sku_ids, lines).await?;
        Ok(SessionTerms {
            prices,
            streamer_id: Some(session.streamer_account_id),
        })
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

/// Live prices of the pinned SKUs among `sku_ids`, their units counted
/// against the caps; SKUs not pinned keep their catalog price.
async fn take_pinned_units(
    db: &DatabaseTransaction,
    session_id: i64,
    sku_ids: &[i64],
    lines: &BTreeMap<i64, i64>,
) -> AppResult<HashMap<i64, i64>> {
    let pinned = live_pinned_item::Entity::find()
        .filter(I::SessionId.eq(session_id))
        .filter(I::SkuId.is_in(sku_ids.to_vec()))
        .filter(I::UnpinnedAt.is_null())
        .all(db)
        .await?;
    let normal: HashMap<i64, i64> = sku::Entity::find()
        .filter(sku::Column::Id.is_in(sku_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.price_fen))
        .collect();
    let mut prices = HashMap::new();
    for item in pinned {
        let quantity = lines.get(&item.sku_id).copied().unwrap_or(0);
        if !take_live_units(db, item.id, quantity).await? {
            return Err(AppError::conflict(
                ErrorCode::OutOfStock,
                format!("SKU {} has no live units left in this session", item.sku_id),
            ));
        }
        if let Some(&price) = normal.get(&item.sku_id) {
            prices.insert(item.sku_id, effective_price(item.live_price_fen, price));
        }
    }
    Ok(prices)
}
