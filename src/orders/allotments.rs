//! Allotments: stock set aside from a SKU for a deal or a campaign. Units are
//! taken from it in batches, given back to it while it is open, and what is
//! left returns to the SKU exactly once when it closes.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::stock;
use crate::entity::allotment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::sql::changed;

/// Sets `quantity` units of a SKU aside (they count as reserved on the SKU).
pub async fn allot(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    kind: &str,
    quantity: i64,
) -> AppResult<allotment::Model> {
    if !stock::reserve(db, sku_id, quantity).await? {
        return Err(AppError::new(
            ErrorCode::OutOfStock,
            format!("fewer than {quantity} units are available"),
        ));
    }
    Ok(allotment::ActiveModel {
        workshop_id: Set(workshop_id),
        sku_id: Set(sku_id),
        kind: Set(kind.to_owned()),
        quantity: Set(quantity),
        remaining: Set(quantity),
        open: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Takes up to `wanted` units; returns how many were granted (0 when closed or empty).
pub async fn take(db: &impl ConnectionTrait, allotment_id: i64, wanted: i64) -> AppResult<i64> {
    for _ in 0..8 {
        let all = changed(
            db,
            "UPDATE allotments SET remaining = remaining - $1 WHERE id = $2 AND open AND remaining >= $1",
            vec![wanted.into(), allotment_id.into()],
        )
        .await?;
        if all {
            return Ok(wanted);
        }
        let left = find(db, allotment_id).await?;
        if !left.open || left.remaining <= 0 {
            return Ok(0);
        }
        let rest = changed(
            db,
            "UPDATE allotments SET remaining = 0 WHERE id = $1 AND open AND remaining = $2",
            vec![allotment_id.into(), left.remaining.into()],
        )
        .await?;
        if rest {
            return Ok(left.remaining);
        }
    }
    Err(AppError::unavailable("the deal is too busy; retry"))
}

/// Returns units of an unpaid order: to the allotment while it is open,
/// else straight to the SKU.
pub async fn give_back(
    db: &impl ConnectionTrait,
    allotment_id: i64,
    sku_id: i64,
    quantity: i64,
) -> AppResult<bool> {
    let kept = changed(
        db,
        "UPDATE allotments SET remaining = remaining + $1 WHERE id = $2 AND open",
        vec![quantity.into(), allotment_id.into()],
    )
    .await?;
    if !kept {
        stock::release(db, sku_id, quantity).await?;
    }
    Ok(kept)
}

/// Closes the allotment and gives its remaining units back to the SKU; a
/// second call does nothing. Returns the units given back.
pub async fn close(db: &impl ConnectionTrait, allotment_id: i64) -> AppResult<i64> {
    let current = find(db, allotment_id).await?;
    if !current.open {
        return Ok(0);
    }
    let closed = changed(
        db,
        "UPDATE allotments SET open = false, remaining = 0 WHERE id = $1 AND open AND remaining = $2",
        vec![allotment_id.into(), current.remaining.into()],
    )
    .await?;
    if !closed {
        return Err(AppError::unavailable(
            "the allotment changed meanwhile; retry",
        ));
    }
    stock::release(db, current.sku_id, current.remaining).await?;
    Ok(current.remaining)
}

pub async fn find(db: &impl ConnectionTrait, allotment_id: i64) -> AppResult<allotment::Model> {
    allotment::Entity::find_by_id(allotment_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("allotment"))
}
