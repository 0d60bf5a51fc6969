//! A reship resolves a claim with a zero-price replacement order: placed
//! through the order service (stock held, then sold) and paid at once.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::json;

use super::shipping::order_lines;
use crate::entity::order;
use crate::error::{AppError, AppResult};
use crate::orders::model::{AddressView, LineRequest, RefundLineRequest};
use crate::orders::pipeline::{Channel, Destination, Job, OrderIntent, lines_of};
use crate::orders::service::{merge_lines, record_event, resource_key};
use crate::orders::status::OrderStatus;
use crate::orders::stock;
use crate::platform::outbox;
use crate::platform::sql::changed;
use crate::state::AppState;

/// Places and pays the replacement of `lines` of `original` in the claim's
/// transaction; returns its id.
pub async fn place(
    state: &AppState,
    txn: &DatabaseTransaction,
    original: &order::Model,
    lines: &[RefundLineRequest],
    reason: &str,
    actor_id: i64,
) -> AppResult<i64> {
    let wanted = replacement_lines(txn, original.id, lines).await?;
    let merged = merge_lines(&wanted, wanted.len().max(1))?;
    let address: Option<AddressView> = original
        .address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    let destination = match original.pickup_point_id {
        Some(point) => Destination::Pickup(point),
        None => Destination::Snapshot(address),
    };
    let free = merged.keys().map(|&sku| (sku, 0)).collect();
    let mut intent = OrderIntent::new(
        original.customer_id,
        original.workshop_id,
        lines_of(&merged, &free),
        destination,
        Channel::Reship,
        Duration::hours(1),
    );
    // A reship replaces units the buyer already counted against the limit.
    intent.sku_limits = false;
    let placed = state
        .orders
        .write_in(txn, Job::single(intent, None))
        .await?;
    let view = placed
        .first()
        .ok_or_else(|| AppError::not_found("replacement order"))?;
    pay_nothing(
        txn,
        original.workshop_id,
        view.id,
        &merged,
        reason,
        actor_id,
    )
    .await?;
    Ok(view.id)
}

async fn replacement_lines(
    db: &impl ConnectionTrait,
    order_id: i64,
    lines: &[RefundLineRequest],
) -> AppResult<Vec<LineRequest>> {
    let originals = order_lines(db, order_id).await?;
    lines
        .iter()
        .map(|l| {
            let line = originals
                .iter()
                .find(|o| o.id == l.line_id)
                .ok_or_else(|| AppError::invalid("lines", "not a line of this order"))?;
            Ok(LineRequest {
                sku_id: line.sku_id,
                quantity: l.quantity,
            })
        })
        .collect()
}

/// The replacement costs nothing (no shipping either) and is paid at once;
/// its held units become sold ones, as a payment would make them.
async fn pay_nothing(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    order_id: i64,
    lines: &std::collections::BTreeMap<i64, i64>,
    reason: &str,
    actor_id: i64,
) -> AppResult<()> {
    let now = Utc::now();
    changed(
        db,
        "UPDATE orders SET status = 'paid', shipping_fen = 0, total_fen = 0, paid_at = $1, updated_at = $1 \
         WHERE id = $2 AND status = 'pending_payment'",
        vec![now.into(), order_id.into()],
    )
    .await?;
    for (&sku_id, &quantity) in lines {
        stock::sell(db, workshop_id, sku_id, quantity, order_id).await?;
    }
    let from = Some(OrderStatus::PendingPayment);
    record_event(
        db,
        order_id,
        from,
        OrderStatus::Paid,
        Some(actor_id),
        reason,
    )
    .await?;
    let data = json!({"order_id": order_id, "paid_fen": 0, "total_fen": 0, "reship": true});
    outbox::enqueue(
        db,
        workshop_id,
        "order.paid",
        &resource_key(order_id),
        &data,
    )
    .await?;
    Ok(())
}
