//! Settling one joined order, in one transaction: tier difference refunded
//! (recorded pending) and a pickup code given, or a full refund, or nothing
//! for an order that was never paid.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::lease::Lease;
use super::pickup;
use super::settlement::{CANCELLED, READY, SUCCEEDED};
use crate::entity::{groupbuy_item, groupbuy_order, order, order_line};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::refunds::{self, Take};
use crate::orders::status::OrderStatus;
use crate::platform::sql::{changed, execute};
use crate::state::AppState;

/// One order's settlement in one transaction; a clash of random pickup codes
/// (another campaign at the same point and day) is retried with a new code.
pub async fn settle_order(
    state: &AppState,
    lease: &Lease,
    outcome: &str,
    items: &HashMap<i64, groupbuy_item::Model>,
    joined: &groupbuy_order::Model,
) -> AppResult<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_settle_order(state, lease, outcome, items, joined).await {
            Err(err) if err.code == ErrorCode::AlreadyExists && attempt < 5 => continue,
            other => return other,
        }
    }
}

async fn try_settle_order(
    state: &AppState,
    lease: &Lease,
    outcome: &str,
    items: &HashMap<i64, groupbuy_item::Model>,
    joined: &groupbuy_order::Model,
) -> AppResult<()> {
    let txn = lease.begin(state).await?;
    let current = order::Entity::find_by_id(joined.order_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    let paid = OrderStatus::parse(&current.status).is_some_and(|s| s.is_paid_state());
    let (settlement, code) = match (paid, outcome) {
        (false, _) => ("cancelled", None),
        (true, SUCCEEDED) => {
            let final_price = items
                .get(&joined.item_id)
                .and_then(|i| i.final_price_fen)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("item without final price")))?;
            refund_difference(state, &txn, &current, final_price).await?;
            let code = pickup::free_code(&txn, joined.pickup_point_id, joined.pickup_date).await?;
            (READY, Some(code))
        }
        (true, _) => {
            let reason = if outcome == CANCELLED {
                "the group-buy was cancelled"
            } else {
                "the group-buy did not reach its minimum"
            };
            refunds::record_pending_in(state, &txn, &current, Take::Lines(None), reason, None)
                .await?;
            ("refunded", None)
        }
    };
    let marked = changed(
        &txn,
        "UPDATE groupbuy_orders SET settlement = $1, pickup_code = $2, settled_at = $3 \
         WHERE id = $4 AND settled_at IS NULL",
        vec![
            settlement.into(),
            code.clone().into(),
            Utc::now().into(),
            joined.id.into(),
        ],
    )
    .await?;
    if !marked {
        return Ok(()); // settled already; the transaction rolls back
    }
    txn.commit().await?;
    Ok(())
}

/// The order's lines take the final tier price; what was paid above it is
/// refunded (recorded now, sent to the provider after commit).
async fn refund_difference(
    state: &AppState,
    txn: &DatabaseTransaction,
    current: &order::Model,
    final_price: i64,
) -> AppResult<()> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(current.id))
        .all(txn)
        .await?;
    let mut difference: i64 = 0;
    for line in &lines {
        let units = i64::from(line.quantity - line.refunded_quantity);
        let per_unit = (line.unit_price_fen - final_price).max(0);
        let part = per_unit.checked_mul(units).ok_or_else(AppError::overflow)?;
        difference = difference
            .checked_add(part)
            .ok_or_else(AppError::overflow)?;
        execute(
            txn,
            "UPDATE order_lines SET unit_price_fen = $1, line_total_fen = $1 * quantity WHERE id = $2",
            vec![final_price.min(line.unit_price_fen).into(), line.id.into()],
        )
        .await?;
    }
    if difference > 0 {
        let reason = "group-buy tier price: the difference is refunded";
        refunds::record_pending_in(state, txn, current, Take::Amount(difference), reason, None)
            .await?;
    }
    Ok(())
}
