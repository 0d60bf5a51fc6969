//! Unpaid orders expire: each instance looks for due orders, and a
//! conditional status change decides who releases the stock, so it happens
//! exactly once however many instances (or a racing payment) try.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::idempotency;
use super::service::{resource_key, transition};
use super::status::OrderStatus;
use super::{allotments, stock};
use crate::entity::{order, order_line};
use crate::error::AppResult;
use crate::platform::{db, outbox};
use crate::state::AppState;

const BATCH: u64 = 200;

/// Bus topic: units of an unpaid order went back to an open allotment (a
/// sold-out deal may sell again).
pub const REPLENISHED: &str = "orders.allotment_replenished";

/// Runs until the process stops.
pub async fn run(state: AppState) {
    let interval = Duration::from_millis(state.settings.orders.expiry_interval_ms.max(10));
    let mut ticks: u64 = 0;
    loop {
        tokio::time::sleep(interval).await;
        match expire_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired unpaid orders"),
            Err(err) => tracing::warn!(error = ?err, "order expiry pass failed"),
        }
        ticks += 1;
        if ticks.is_multiple_of(600)
            && let Err(err) = idempotency::purge_expired(&state.db).await
        {
            tracing::warn!(error = ?err, "purging idempotency keys failed");
        }
    }
}

/// Expires every due order; returns how many this call expired.
pub async fn expire_due(state: &AppState) -> AppResult<u64> {
    let conn = &state.db;
    let mut expired = 0;
    loop {
        let due = order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
            .filter(order::Column::ExpiresAt.lte(Utc::now()))
            .order_by_asc(order::Column::ExpiresAt)
            .limit(BATCH)
            .all(conn)
            .await?;
        let found = due.len() as u64;
        for order in &due {
            let txn = db::begin_write(conn).await?;
            if cancel_unpaid(state, &txn, order, None, "payment window expired").await? {
                txn.commit().await?;
                expired += 1;
                if let Some(allotment) = order.allotment_id {
                    state
                        .bus
                        .publish(REPLENISHED, json!({"allotment_id": allotment}))
                        .await;
                }
            }
        }
        if found < BATCH {
            return Ok(expired);
        }
    }
}

/// Cancels an unpaid order and gives its units back, if it is still unpaid.
/// Returns false when someone else (payment, another instance) got there first.
pub async fn cancel_unpaid(
    state: &AppState,
    db: &DatabaseTransaction,
    order: &order::Model,
    actor_id: Option<i64>,
    reason: &str,
) -> AppResult<bool> {
    let cancelled = transition(
        db,
        order.id,
        OrderStatus::PendingPayment,
        OrderStatus::Cancelled,
        actor_id,
        reason,
    )
    .await?;
    if !cancelled {
        return Ok(false);
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(db)
        .await?;
    for line in &lines {
        let quantity = line.quantity as i64;
        match order.allotment_id {
            Some(allotment) => {
                allotments::give_back(db, allotment, line.sku_id, quantity).await?;
            }
            None => stock::release(db, line.sku_id, quantity).await?,
        }
        if let (Some(session), None) = (order.live_session_id, order.allotment_id) {
            state
                .orders
                .pricing()
                .release(db, session, line.sku_id, quantity)
                .await?;
        }
        let sku_scope = format!("sku:{}", line.sku_id);
        stock::uncount_purchase(db, order.customer_id, &sku_scope, quantity).await?;
        if let Some(scope) = &order.limit_scope {
            stock::uncount_purchase(db, order.customer_id, scope, quantity).await?;
        }
    }
    let event = if actor_id.is_some() {
        "order.cancelled"
    } else {
        "order.expired"
    };
    let data = json!({"order_id": order.id, "customer_id": order.customer_id, "reason": reason});
    outbox::enqueue(db, order.workshop_id, event, &resource_key(order.id), &data).await?;
    Ok(true)
}
