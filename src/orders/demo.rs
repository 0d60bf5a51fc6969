//! Demo order history: every demo customer gets an address and orders in
//! every state, made through the same services (and sandbox payments) as the API.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::addresses::add_address;
use super::model::{AddressRequest, LineRequest, RefundRequest};
use super::payments::{sandbox_succeed, start_payment};
use super::queries::Viewer;
use super::refunds::{cancel_order, refund_order};
use super::service::{PlaceOrder, place_order, transition};
use super::status::OrderStatus::{self, *};
use crate::entity::{account, membership, sku};
use crate::error::{AppError, AppResult};
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

pub async fn load(state: &AppState, customer_phones: &[&str]) -> AppResult<()> {
    let skus = sku::Entity::find()
        .filter(sku::Column::Status.eq("active"))
        .filter(sku::Column::OnHand.gt(20))
        .order_by_asc(sku::Column::Id)
        .all(&state.db)
        .await?;
    for (n, phone) in customer_phones.iter().enumerate() {
        let customer = account::Entity::find()
            .filter(account::Column::Phone.eq(*phone))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("demo customer"))?;
        let address =
            add_address(&state.db, customer.id, address_of(&customer.name, phone)).await?;
        for (i, target) in HISTORY.iter().enumerate() {
            let Some(sku) = skus.get((n * HISTORY.len() + i) % skus.len().max(1)) else {
                return Ok(());
            };
            order_in_state(state, customer.id, address.id, sku, *target).await?;
        }
    }
    Ok(())
}

async fn order_in_state(
    state: &AppState,
    customer_id: i64,
    address_id: i64,
    sku: &sku::Model,
    target: OrderStatus,
) -> AppResult<()> {
    let address = super::addresses::address_for_order(&state.db, customer_id, address_id).await?;
    let request = PlaceOrder {
        customer_id,
        lines: vec![LineRequest {
            sku_id: sku.id,
            quantity: 2,
        }],
        address: Some(address),
        channel: "storefront",
        ..Default::default()
    };
    let order = place_order(state, request, None).await?;
    match target {
        PendingPayment => return Ok(()),
        Cancelled => {
            cancel_order(state, customer_id, order.id).await?;
            return Ok(());
        }
        _ => {}
    }
    let payment = start_payment(state, customer_id, order.id, "sandbox", None).await?;
    sandbox_succeed(state, Viewer::Customer(customer_id), &payment.provider_ref).await?;
    if target == Refunded {
        let request = RefundRequest {
            lines: None,
            reason: "草莓压坏，全额退款".into(),
        };
        let manager = membership::Entity::find()
            .filter(membership::Column::WorkshopId.eq(sku.workshop_id))
            .filter(membership::Column::Role.eq("manager"))
            .one(&state.db)
            .await?
            .map_or(customer_id, |m| m.account_id);
        refund_order(state, sku.workshop_id, order.id, request, manager, None).await?;
        return Ok(());
    }
    let path = [Paid, Picking, Packed, Shipped, Delivered, Completed];
    for pair in path.windows(2).take_while(|w| w[0] != target) {
        let txn = crate::platform::db::begin_write(&state.db).await?;
        transition(&txn, order.id, pair[0], pair[1], None, "demo fulfilment").await?;
        txn.commit().await?;
    }
    Ok(())
}

fn address_of(name: &str, phone: &str) -> AddressRequest {
    AddressRequest {
        name: name.into(),
        phone: phone.into(),
        province: "浙江省".into(),
        city: "杭州市".into(),
        district: "建德市".into(),
        detail: "新安江街道 江滨中路 18 号".into(),
    }
}
