//! Live prices: which SKUs may be pinned, the rules a live price obeys (below
//! the normal price; a common-prosperity SKU inside its workshop's band), and
//! the price and cap the orders code applies to an order placed in a session.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::model::{LivePrice, SessionStatus};
use crate::entity::{live_pinned_item, live_session, product, sku, workshop};
use crate::error::{AppError, AppResult};

use live_pinned_item::Column as I;

const ACTIVE: &str = "active";

/// The price an order for `sku_id` placed in `live_session_id` pays, and the
/// streamer it is attributed to: Some only while the session is live and the
/// SKU is pinned. A live price above a since-lowered normal price never applies.
pub async fn live_price_for(
    db: &impl ConnectionTrait,
    live_session_id: i64,
    sku_id: i64,
) -> AppResult<Option<LivePrice>> {
    let item = live_pinned_item::Entity::find()
        .filter(I::SessionId.eq(live_session_id))
        .filter(I::SkuId.eq(sku_id))
        .filter(I::UnpinnedAt.is_null())
        .one(db)
        .await?;
    let Some(item) = item else {
        return Ok(None);
    };
    let session = live_session::Entity::find_by_id(live_session_id)
        .filter(live_session::Column::Status.eq(SessionStatus::Live.as_str()))
        .one(db)
        .await?;
    let Some(session) = session else {
        return Ok(None);
    };
    let Some(sku) = sku::Entity::find_by_id(sku_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(LivePrice {
        session_id: session.id,
        workshop_id: session.workshop_id,
        streamer_account_id: session.streamer_account_id,
        item_id: item.id,
        sku_id,
        price_fen: effective_price(item.live_price_fen, sku.price_fen),
        live_price_fen: item.live_price_fen,
        normal_price_fen: sku.price_fen,
        live_stock_cap: item.live_stock_cap,
        sold_units: item.sold_units,
    }))
}

/// Counts `quantity` units sold in the session against the item's cap, in the
/// caller's transaction. False (nothing changed) when the cap would be exceeded.
pub async fn take_live_units(
    db: &impl ConnectionTrait,
    item_id: i64,
    quantity: i64,
) -> AppResult<bool> {
    let within_cap = Condition::any().add(I::LiveStockCap.is_null()).add(
        Expr::col(I::SoldUnits)
            .add(quantity)
            .lte(Expr::col(I::LiveStockCap)),
    );
    let changed = live_pinned_item::Entity::update_many()
        .col_expr(I::SoldUnits, Expr::col(I::SoldUnits).add(quantity))
        .filter(I::Id.eq(item_id))
        .filter(within_cap)
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

/// Gives back units counted by [`take_live_units`] (a cancelled or expired order).
pub async fn return_live_units(
    db: &impl ConnectionTrait,
    item_id: i64,
    quantity: i64,
) -> AppResult<()> {
    live_pinned_item::Entity::update_many()
        .col_expr(I::SoldUnits, Expr::col(I::SoldUnits).sub(quantity))
        .filter(I::Id.eq(item_id))
        .filter(I::SoldUnits.gte(quantity))
        .exec(db)
        .await?;
    Ok(())
}

pub fn effective_price(live_price_fen: Option<i64>, normal_price_fen: i64) -> i64 {
    live_price_fen.map_or(normal_price_fen, |p| Ord::min(p, normal_price_fen))
}

/// An active SKU of an active product of this workshop.
pub async fn pinnable_sku(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
) -> AppResult<sku::Model> {
    let missing = || AppError::invalid("sku_id", "no active SKU with this id in this workshop");
    let sku = sku::Entity::find_by_id(sku_id)
        .filter(sku::Column::WorkshopId.eq(workshop_id))
        .filter(sku::Column::Status.eq(ACTIVE))
        .one(db)
        .await?
        .ok_or_else(missing)?;
    product::Entity::find_by_id(sku.product_id)
        .filter(product::Column::Status.eq(ACTIVE))
        .one(db)
        .await?
        .ok_or_else(missing)?;
    Ok(sku)
}

/// A live price is below the normal price and, for a common-prosperity SKU,
/// between market × band minimum and market × band maximum (exact integer math).
pub async fn check_live_price(
    db: &impl ConnectionTrait,
    sku: &sku::Model,
    price: i64,
) -> AppResult<()> {
    let field = "live_price_fen";
    if price < 1 {
        return Err(AppError::invalid(field, "must be at least 1 fen"));
    }
    if price >= sku.price_fen {
        return Err(AppError::invalid(
            field,
            format!("must be below the normal price of {} fen", sku.price_fen),
        ));
    }
    if !sku.is_common_prosperity {
        return Ok(());
    }
    let shop = workshop::Entity::find_by_id(sku.workshop_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("workshop"))?;
    let market = sku.market_price_fen;
    let scaled = price.checked_mul(10_000).ok_or_else(AppError::overflow)?;
    let low = market
        .checked_mul(i64::from(shop.cp_band_min_bp))
        .ok_or_else(AppError::overflow)?;
    let high = market
        .checked_mul(i64::from(shop.cp_band_max_bp))
        .ok_or_else(AppError::overflow)?;
    if scaled < low || scaled > high {
        let min_fen = low / 10_000 + i64::from(low % 10_000 != 0);
        let max_fen = high / 10_000;
        return Err(AppError::invalid(
            field,
            format!(
                "a common-prosperity SKU keeps its price band: {min_fen} to {max_fen} fen \
                 (market price {market} fen)"
            ),
        ));
    }
    Ok(())
}
