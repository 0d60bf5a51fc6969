//! A reship resolves a claim with a zero-price replacement order: placed
//! through the order service (stock held, then sold) and paid at once.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use super::shipping::order_lines;
use crate::entity::{order, workshop};
use crate::error::{AppError, AppResult};
use crate::orders::model::{AddressView, LineRequest, RefundLineRequest};
use crate::orders::service::{
    PlaceOrder, load_priced, merge_lines, place_in, record_event, resource_key,
};
use crate::orders::sql::changed;
use crate::orders::status::OrderStatus;
use crate::orders::stock;
use crate::platform::outbox;

/// Places and pays the replacement of `lines` of `original`; returns its id.
pub async fn place(
    db: &impl ConnectionTrait,
    original: &order::Model,
    lines: &[RefundLineRequest],
    reason: &str,
    actor_id: i64,
) -> AppResult<i64> {
    let wanted = replacement_lines(db, original.id, lines).await?;
    let merged = merge_lines(&wanted, wanted.len().max(1))?;
    let priced = load_priced(db, merged.keys().copied().collect()).await?;
    let shop = workshop::Entity::find_by_id(original.workshop_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("workshop"))?;
    let address: Option<AddressView> = original
        .address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    let request = PlaceOrder {
        customer_id: original.customer_id,
        lines: wanted,
        address,
        channel: "reship",
        pickup_point_id: original.pickup_point_id,
        entitled_prices: merged
            .keys()
            .map(|&sku| (sku, 0))
            .collect::<HashMap<_, _>>(),
        ..Default::default()
    };
    let view = place_in(db, &request, &merged, &priced, &shop, Duration::hours(1)).await?;
    pay_nothing(db, original.workshop_id, view.id, &merged, reason, actor_id).await?;
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
