//! The only code that changes `skus.on_hand` or `lots.remaining` for the
//! catalog: conditional, atomic UPDATEs plus one movement row per change, so
//! on_hand always equals the sum of movements and never drops below reserved.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::catalog::lookup;
use crate::catalog::types::MovementKind;
use crate::entity::{lot, sku, stock_movement};
use crate::error::{AppError, AppResult, ErrorCode};

/// One change of a SKU's on-hand figure.
#[derive(Debug, Clone)]
pub struct NewMovement<'a> {
    pub workshop_id: i64,
    pub sku_id: i64,
    pub lot_id: Option<i64>,
    pub kind: MovementKind,
    /// Signed units: positive adds to on_hand.
    pub quantity: i64,
    pub reason: &'a str,
    pub created_by: Option<i64>,
}

/// Moves on_hand by `quantity` (`on_hand = on_hand + n`, never read-modify-write)
/// and records the movement, inside the caller's transaction. A decrease that
/// would leave on_hand below reserved changes nothing and answers 409.
pub async fn apply_movement(
    txn: &impl ConnectionTrait,
    m: NewMovement<'_>,
) -> AppResult<stock_movement::Model> {
    let on_hand = || Expr::col(sku::Column::OnHand);
    let mut update = sku::Entity::update_many()
        .col_expr(sku::Column::OnHand, on_hand().add(m.quantity))
        .col_expr(sku::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(sku::Column::Id.eq(m.sku_id))
        .filter(sku::Column::WorkshopId.eq(m.workshop_id));
    if m.quantity < 0 {
        update = update.filter(
            on_hand()
                .add(m.quantity)
                .gte(Expr::col(sku::Column::Reserved)),
        );
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(refused(txn, m.workshop_id, m.sku_id, m.quantity).await);
    }
    let row = stock_movement::ActiveModel {
        workshop_id: Set(m.workshop_id),
        sku_id: Set(m.sku_id),
        lot_id: Set(m.lot_id),
        kind: Set(m.kind.as_str().to_owned()),
        quantity: Set(m.quantity),
        reason: Set(m.reason.to_owned()),
        created_by: Set(m.created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row)
}

/// Takes `units` out of a lot of this SKU if it still holds them.
pub async fn take_from_lot(
    txn: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    lot_id: i64,
    units: i64,
) -> AppResult<()> {
    let taken = lot::Entity::update_many()
        .col_expr(
            lot::Column::Remaining,
            Expr::col(lot::Column::Remaining).sub(units),
        )
        .filter(lot::Column::Id.eq(lot_id))
        .filter(lot::Column::WorkshopId.eq(workshop_id))
        .filter(lot::Column::SkuId.eq(sku_id))
        .filter(lot::Column::Remaining.gte(units))
        .exec(txn)
        .await?
        .rows_affected;
    if taken == 1 {
        return Ok(());
    }
    let row = lookup::lot(txn, workshop_id, lot_id).await?;
    if row.sku_id != sku_id {
        return Err(AppError::invalid("lot_id", "this lot holds another SKU"));
    }
    Err(AppError::new(
        ErrorCode::Conflict,
        format!("lot {} has only {} units left", row.code, row.remaining),
    ))
}

async fn refused(
    txn: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    quantity: i64,
) -> AppError {
    match lookup::sku(txn, workshop_id, sku_id).await {
        Ok(s) => AppError::new(
            ErrorCode::StockBelowReserved,
            format!(
                "SKU {} has {} on hand and {} reserved by orders: taking {} would leave \
                 on-hand stock below the reserved units",
                s.code,
                s.on_hand,
                s.reserved,
                quantity.saturating_neg()
            ),
        ),
        Err(err) => err,
    }
}
