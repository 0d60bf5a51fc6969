//! Stock effects of orders. Every change is one conditional UPDATE, so stock
//! never goes below zero and a unit is never sold twice; movements are appended
//! wherever on_hand changes, keeping on_hand equal to their sum.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::entity::stock_movement;
use crate::error::AppResult;
use crate::platform::sql::{changed, execute};

/// Holds `quantity` units for an unpaid order; false when not enough are available.
pub async fn reserve(db: &impl ConnectionTrait, sku_id: i64, quantity: i64) -> AppResult<bool> {
    changed(
        db,
        "UPDATE skus SET reserved = reserved + $1, updated_at = $3 \
         WHERE id = $2 AND status = 'active' AND on_hand - reserved >= $1",
        vec![quantity.into(), sku_id.into(), Utc::now().into()],
    )
    .await
}

/// Gives back units held by an order that will not be paid.
pub async fn release(db: &impl ConnectionTrait, sku_id: i64, quantity: i64) -> AppResult<()> {
    execute(
        db,
        "UPDATE skus SET reserved = reserved - $1, updated_at = $3 WHERE id = $2",
        vec![quantity.into(), sku_id.into(), Utc::now().into()],
    )
    .await?;
    Ok(())
}

/// Turns held units into sold ones when their order is paid.
pub async fn sell(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    quantity: i64,
    order_id: i64,
) -> AppResult<()> {
    let reason = format!("order {order_id} paid");
    move_on_hand(
        db,
        workshop_id,
        sku_id,
        -quantity,
        -quantity,
        "sale",
        &reason,
    )
    .await
}

/// Puts refunded, unshipped units back on hand.
pub async fn restock(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    quantity: i64,
    order_id: i64,
) -> AppResult<()> {
    let reason = format!("order {order_id} refunded before shipping");
    move_on_hand(db, workshop_id, sku_id, quantity, 0, "return", &reason).await
}

/// Changes on_hand (and reserved) and appends the matching movement.
async fn move_on_hand(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    on_hand_delta: i64,
    reserved_delta: i64,
    kind: &str,
    reason: &str,
) -> AppResult<()> {
    execute(
        db,
        "UPDATE skus SET on_hand = on_hand + $1, reserved = reserved + $2, updated_at = $4 WHERE id = $3",
        vec![on_hand_delta.into(), reserved_delta.into(), sku_id.into(), Utc::now().into()],
    )
    .await?;
    record(db, workshop_id, sku_id, kind, on_hand_delta, reason).await
}

async fn record(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    kind: &str,
    quantity: i64,
    reason: &str,
) -> AppResult<()> {
    stock_movement::ActiveModel {
        workshop_id: Set(workshop_id),
        sku_id: Set(sku_id),
        lot_id: Set(None),
        kind: Set(kind.to_owned()),
        quantity: Set(quantity),
        reason: Set(reason.to_owned()),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Counts units towards a per-buyer limit; false when the limit would be passed.
pub async fn count_purchase(
    db: &impl ConnectionTrait,
    customer_id: i64,
    scope: &str,
    quantity: i64,
    limit: i64,
) -> AppResult<bool> {
    if quantity > limit {
        return Ok(false);
    }
    changed(
        db,
        "INSERT INTO purchase_counts (customer_id, scope, quantity) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id, scope) DO UPDATE SET quantity = purchase_counts.quantity + excluded.quantity \
         WHERE purchase_counts.quantity + excluded.quantity <= $4",
        vec![customer_id.into(), scope.into(), quantity.into(), limit.into()],
    )
    .await
}

/// Gives units back to a per-buyer limit (cancelled, expired or refunded).
pub async fn uncount_purchase(
    db: &impl ConnectionTrait,
    customer_id: i64,
    scope: &str,
    quantity: i64,
) -> AppResult<()> {
    execute(
        db,
        "UPDATE purchase_counts SET quantity = CASE WHEN quantity > $3 THEN quantity - $3 ELSE 0 END \
         WHERE customer_id = $1 AND scope = $2",
        vec![customer_id.into(), scope.into(), quantity.into()],
    )
    .await?;
    Ok(())
}
