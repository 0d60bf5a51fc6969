//! Payments: start one for an unpaid order, confirm it from the provider's
//! signed webhook (idempotent, order-independent), and refund a payment that
//! arrives for an order that already expired.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::idempotency::Claim;
use super::model::{PaymentView, ProviderEvent};
use super::payments_pg::NewPayment;
use super::queries::{Viewer, find_order};
use super::service::{record_event, resource_key};
use super::status::OrderStatus;
use super::{refunds, stock};
use crate::entity::{order, order_line, payment};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::sql::changed;
use crate::platform::{db, outbox};
use crate::state::AppState;

pub async fn start_payment(
    state: &AppState,
    customer_id: i64,
    order_id: i64,
    provider_name: &str,
    claim: Option<&Claim>,
) -> AppResult<PaymentView> {
    // Ownership first: someone else's order is 404 whatever the body says.
    let order = find_order(&state.db, Viewer::Customer(customer_id), order_id).await?;
    let provider = state.payments.get(provider_name)?;
    if order.status != OrderStatus::PendingPayment.as_str() || order.expires_at <= Utc::now() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "only an unpaid, unexpired order can be paid",
        ));
    }
    let amount = order.total_fen - order.paid_fen;
    let started = provider.start(order.id, amount).await?;
    let new = NewPayment {
        order_id: order.id,
        provider: provider.name().into(),
        provider_ref: started.provider_ref,
        amount_fen: amount,
    };
    let Some(claim) = claim else {
        let written = state.orders.record_payment(&state.db, new).await?;
        return Ok(payment_view(written, started.client_params));
    };
    let txn = db::begin_write(&state.db).await?;
    let view = payment_view(new.row().insert(&txn).await?, started.client_params);
    claim
        .complete(&txn, actix_web::http::StatusCode::CREATED, &view)
        .await?;
    txn.commit().await?;
    Ok(view)
}

/// The provider's webhook: signature over the raw body first, then the event.
/// A duplicate or stale delivery changes nothing and still answers 200.
pub async fn handle_webhook(
    state: &AppState,
    provider_name: &str,
    signature: Option<&str>,
    body: &[u8],
) -> AppResult<()> {
    let provider = state
        .payments
        .get(provider_name)
        .map_err(|_| AppError::not_found("payment provider"))?;
    let event = provider.parse_webhook(signature, body)?;
    match event.kind.as_str() {
        "payment.succeeded" => confirm(state, &event).await,
        "payment.failed" => fail(state, &event).await,
        _ => Ok(()),
    }
}

async fn confirm(state: &AppState, event: &ProviderEvent) -> AppResult<()> {
    if state
        .orders
        .confirm_payment(&event.provider_ref, event.amount_fen)
        .await?
    {
        return Ok(());
    }
    let txn = db::begin_write(&state.db).await?;
    let payment = find_payment(&txn, &event.provider_ref).await?;
    if payment.amount_fen != event.amount_fen {
        return Err(AppError::new(
            ErrorCode::PaymentMismatch,
            "the amount does not match the payment",
        ));
    }
    let first_confirmation = changed(
        &txn,
        "UPDATE payments SET status = 'succeeded', confirmed_at = $1 WHERE id = $2 AND status <> 'succeeded'",
        vec![Utc::now().into(), payment.id.into()],
    )
    .await?;
    if !first_confirmation {
        return Ok(());
    }
    let paid = changed(
        &txn,
        "UPDATE orders SET status = 'paid', paid_fen = paid_fen + $1, paid_at = $2, updated_at = $2 \
         WHERE id = $3 AND status = 'pending_payment'",
        vec![payment.amount_fen.into(), Utc::now().into(), payment.order_id.into()],
    )
    .await?;
    let order = order::Entity::find_by_id(payment.order_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    if paid {
        mark_paid(&txn, &order).await?;
    } else {
        refunds::refund_late_payment(state, &txn, &order, &payment).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The order's held units become sold ones, its history and outbox record it.
async fn mark_paid(db: &impl ConnectionTrait, order: &order::Model) -> AppResult<()> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(db)
        .await?;
    for line in &lines {
        stock::sell(
            db,
            order.workshop_id,
            line.sku_id,
            line.quantity as i64,
            order.id,
        )
        .await?;
    }
    record_event(
        db,
        order.id,
        Some(OrderStatus::PendingPayment),
        OrderStatus::Paid,
        None,
        "payment confirmed",
    )
    .await?;
    let data = json!({"order_id": order.id, "customer_id": order.customer_id, "paid_fen": order.paid_fen, "total_fen": order.total_fen});
    outbox::enqueue(
        db,
        order.workshop_id,
        "order.paid",
        &resource_key(order.id),
        &data,
    )
    .await?;
    Ok(())
}

async fn fail(state: &AppState, event: &ProviderEvent) -> AppResult<()> {
    let payment = find_payment(&state.db, &event.provider_ref).await?;
    changed(
        &state.db,
        "UPDATE payments SET status = 'failed' WHERE id = $1 AND status = 'pending'",
        vec![payment.id.into()],
    )
    .await?;
    Ok(())
}

/// The sandbox "pays": the sandbox provider signs its webhook and posts it to
/// our webhook endpoint over HTTP, exactly as a real provider would.
pub async fn sandbox_succeed(
    state: &AppState,
    viewer: Viewer,
    provider_ref: &str,
) -> AppResult<PaymentView> {
    let payment = find_payment(&state.db, provider_ref).await?;
    find_order(&state.db, viewer, payment.order_id).await?;
    let provider = state.payments.get(&payment.provider)?;
    let approved = provider
        .approve_in_sandbox(provider_ref, payment.amount_fen)
        .await?;
    if approved.notify_status >= 500 {
        return Err(AppError::unavailable(
            "the payment notification failed; try again",
        ));
    }
    let payment = find_payment(&state.db, provider_ref).await?;
    Ok(payment_view(payment, json!({})))
}

async fn find_payment(db: &impl ConnectionTrait, provider_ref: &str) -> AppResult<payment::Model> {
    payment::Entity::find()
        .filter(payment::Column::ProviderRef.eq(provider_ref))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("payment"))
}

fn payment_view(p: payment::Model, client_params: serde_json::Value) -> PaymentView {
    PaymentView {
        id: p.id,
        order_id: p.order_id,
        provider: p.provider,
        provider_ref: p.provider_ref,
        amount_fen: p.amount_fen,
        status: p.status,
        client_params,
    }
}
