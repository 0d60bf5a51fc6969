//! Demo order history: every named demo customer has orders in every state,
//! made through the same services (sandbox payments, pick waves that take
//! lots FEFO, packing, shipping, delivery) as the API.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::fulfil;
use super::month::pay;
use crate::entity::{account, address, membership, order, sku};
use crate::error::{AppError, AppResult};
use crate::orders::model::{CreateOrderRequest, LineRequest, RefundRequest};
use crate::orders::refunds::{cancel_order, refund_order};
use crate::orders::service::{Buyer, buy_now, transition};
use crate::orders::status::OrderStatus::{self, *};
use crate::state::AppState;

/// The states each customer's history walks through, one order per entry.
const HISTORY: [OrderStatus; 9] = [
    PendingPayment,
    Paid,
    Picking,
    Packed,
    Shipped,
    Delivered,
    Completed,
    Cancelled,
    Refunded,
];

/// (order, customer, workshop, target)
type Placed = (i64, i64, i64, OrderStatus);

pub async fn load(state: &AppState, customer_phones: &[&str]) -> AppResult<()> {
    let skus = sku::Entity::find()
        .filter(sku::Column::Status.eq("active"))
        .filter(sku::Column::OnHand.gt(20))
        .order_by_asc(sku::Column::Id)
        .all(&state.db)
        .await?;
    let mut placed: Vec<Placed> = Vec::new();
    for (n, phone) in customer_phones.iter().enumerate() {
        let customer = account::Entity::find()
            .filter(account::Column::Phone.eq(*phone))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("demo customer"))?;
        let address = address::Entity::find()
            .filter(address::Column::CustomerId.eq(customer.id))
            .order_by_asc(address::Column::Id)
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("demo address"))?;
        for (i, target) in HISTORY.iter().enumerate() {
            let Some(sku) = skus.get((n * HISTORY.len() + i) % skus.len().max(1)) else {
                return Ok(());
            };
            let id = order_in_state(state, customer.id, address.id, sku, *target).await?;
            placed.push((id, customer.id, sku.workshop_id, *target));
        }
    }
    // Everything paid so far heads past `paid`: wave it (lots FEFO, ledger splits).
    let shops: BTreeSet<i64> = placed.iter().filter(|p| p.3 != Paid).map(|p| p.2).collect();
    for shop in shops {
        let actor = manager_of(state, shop).await?;
        fulfil::wave_all(state, shop, actor).await?;
    }
    for (id, _, shop, target) in &placed {
        advance(state, *shop, *id, *target).await?;
    }
    // Paid after the waves, so these wait for the next one.
    for (id, customer, _, target) in &placed {
        if *target == Paid {
            pay(state, *customer, *id).await?;
        }
    }
    Ok(())
}

/// Places the order; pays it unless it is to stay unpaid (or be paid later),
/// cancels or refunds it when that is its state.
async fn order_in_state(
    state: &AppState,
    customer_id: i64,
    address_id: i64,
    sku: &sku::Model,
    target: OrderStatus,
) -> AppResult<i64> {
    let request = CreateOrderRequest {
        lines: vec![LineRequest {
            sku_id: sku.id,
            quantity: 2,
        }],
        address_id,
        live_session_id: None,
    };
    let buyer = Buyer {
        customer_id,
        name: "",
    };
    let order = buy_now(state, buyer, &request, None).await?;
    match target {
        PendingPayment | Paid => return Ok(order.id),
        Cancelled => {
            cancel_order(state, customer_id, order.id).await?;
            return Ok(order.id);
        }
        _ => {}
    }
    pay(state, customer_id, order.id).await?;
    if target == Refunded {
        let request = RefundRequest {
            lines: None,
            reason: "发货前买家申请退款，全额退款".into(),
        };
        let manager = manager_of(state, sku.workshop_id).await?;
        refund_order(state, sku.workshop_id, order.id, request, manager, None).await?;
    }
    Ok(order.id)
}

/// Moves a picked order on to its target through fulfilment's services.
async fn advance(state: &AppState, shop: i64, id: i64, target: OrderStatus) -> AppResult<()> {
    if !matches!(target, Packed | Shipped | Delivered | Completed) {
        return Ok(());
    }
    let actor = manager_of(state, shop).await?;
    let Some(row) = order::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(());
    };
    if row.status != Picking.as_str() {
        // The lots could not cover it; it stays paid for the next wave.
        tracing::info!(order = id, status = %row.status, "demo order not picked");
        return Ok(());
    }
    fulfil::pack(state, shop, actor, id).await?;
    if target == Packed {
        return Ok(());
    }
    fulfil::ship(state, shop, actor, &row).await?;
    if target == Shipped {
        return Ok(());
    }
    fulfil::deliver(state, shop, &row).await?;
    if target == Completed {
        // Nothing completes an order but time; the demo moves it on (no money moves).
        let txn = crate::platform::db::begin_write(&state.db).await?;
        transition(
            &txn,
            id,
            Delivered,
            Completed,
            None,
            "demo: claim window over",
        )
        .await?;
        txn.commit().await?;
    }
    Ok(())
}

async fn manager_of(state: &AppState, workshop_id: i64) -> AppResult<i64> {
    membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .filter(membership::Column::Role.eq("manager"))
        .one(&state.db)
        .await?
        .map(|m| m.account_id)
        .ok_or_else(|| AppError::not_found("demo manager"))
}
