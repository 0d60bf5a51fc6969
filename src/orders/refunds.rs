//! Refunds and cancellation. The sum refunded never exceeds what was paid (a
//! conditional UPDATE guards it); unshipped refunded units go back on hand.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::idempotency::Claim;
use super::model::{OrderView, RefundLineRequest, RefundRequest, RefundView};
use super::queries::{Viewer, find_order, get_order};
use super::service::{record_event, resource_key, transition};
use super::status::OrderStatus;
use super::{expiry, stock};
use crate::entity::{order, order_line, payment, refund};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

/// A manager refunds some lines (or everything left) of a paid order.
pub async fn refund_order(
    state: &AppState,
    workshop_id: i64,
    order_id: i64,
    request: RefundRequest,
    actor_id: i64,
    claim: Option<&Claim>,
) -> AppResult<RefundView> {
    Check::new()
        .text("reason", &request.reason, 0, 200)
        .finish()?;
    let order = find_order(&state.db, Viewer::Workshop(workshop_id), order_id).await?;
    let txn = db::begin_write(&state.db).await?;
    let view = refund_in(
        state,
        &txn,
        &order,
        request.lines.as_deref(),
        &request.reason,
        Some(actor_id),
    )
    .await?;
    if let Some(claim) = claim {
        claim
            .complete(&txn, actix_web::http::StatusCode::CREATED, &view)
            .await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// A customer cancels: an unpaid order is cancelled, a paid one not yet
/// being picked is refunded in full.
pub async fn cancel_order(
    state: &AppState,
    customer_id: i64,
    order_id: i64,
) -> AppResult<OrderView> {
    let order = find_order(&state.db, Viewer::Customer(customer_id), order_id).await?;
    match OrderStatus::parse(&order.status) {
        Some(OrderStatus::PendingPayment) => {
            let txn = db::begin_write(&state.db).await?;
            if !expiry::cancel_unpaid(
                state,
                &txn,
                &order,
                Some(customer_id),
                "cancelled by the customer",
            )
            .await?
            {
                return Err(AppError::new(
                    ErrorCode::InvalidTransition,
                    "the order changed meanwhile; reload it",
                ));
            }
            txn.commit().await?;
        }
        Some(OrderStatus::Paid) => {
            let txn = db::begin_write(&state.db).await?;
            refund_in(
                state,
                &txn,
                &order,
                None,
                "cancelled by the customer",
                Some(customer_id),
            )
            .await?;
            txn.commit().await?;
        }
        _ => {
            return Err(AppError::new(
                ErrorCode::InvalidTransition,
                "only unpaid orders, or paid ones not yet being picked, can be cancelled",
            ));
        }
    }
    get_order(&state.db, Viewer::Customer(customer_id), order_id).await
}

/// What a refund takes back: units of some lines (`None`: everything left,
/// shipping too), or only money, such as a group-buy tier-price difference
/// that leaves the goods with the buyer.
#[derive(Debug, Clone, Copy)]
pub enum Take<'a> {
    Lines(Option<&'a [RefundLineRequest]>),
    Amount(i64),
}

/// Refunds a paid order inside `db` and asks the provider at once.
pub async fn refund_in(
    state: &AppState,
    db: &DatabaseTransaction,
    order: &order::Model,
    lines: Option<&[RefundLineRequest]>,
    reason: &str,
    actor_id: Option<i64>,
) -> AppResult<RefundView> {
    let applied = apply(db, order, Take::Lines(lines), reason, actor_id).await?;
    let provider = state.payments.get(&applied.payment.provider)?;
    let provider_ref = provider
        .refund(
            &applied.refund_no,
            &applied.payment.provider_ref,
            applied.amount,
        )
        .await?;
    let row = insert_refund(
        db,
        order,
        &applied,
        reason,
        &provider_ref,
        "succeeded",
        actor_id,
    )
    .await?;
    announce(state, db, order, &row).await?;
    Ok(refund_view(row))
}

/// Records a refund as `pending` inside `db` without calling the provider.
/// After commit, `send_pending` asks the provider with the refund's id as its
/// idempotency key, so a caller resumed after a crash never pays out twice.
pub async fn record_pending_in(
    state: &AppState,
    db: &DatabaseTransaction,
    order: &order::Model,
    take: Take<'_>,
    reason: &str,
    actor_id: Option<i64>,
) -> AppResult<refund::Model> {
    let applied = apply(db, order, take, reason, actor_id).await?;
    let row = insert_refund(db, order, &applied, reason, "", "pending", actor_id).await?;
    announce(state, db, order, &row).await?;
    Ok(row)
}

/// Asks the provider for a pending refund and marks it succeeded; false when
/// it was not pending (already sent).
pub async fn send_pending(state: &AppState, refund_id: i64) -> AppResult<bool> {
    let Some(row) = refund::Entity::find_by_id(refund_id).one(&state.db).await? else {
        return Err(AppError::not_found("refund"));
    };
    if row.status != "pending" {
        return Ok(false);
    }
    let payment = payment::Entity::find_by_id(row.payment_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("payment"))?;
    let provider = state.payments.get(&payment.provider)?;
    let key = format!("refund-{}", row.id);
    let provider_ref = provider
        .refund(&key, &payment.provider_ref, row.amount_fen)
        .await?;
    changed(
        &state.db,
        "UPDATE refunds SET status = 'succeeded', provider_ref = $1 WHERE id = $2 AND status = 'pending'",
        vec![provider_ref.into(), row.id.into()],
    )
    .await
}

/// Pending refunds of these orders (to resume sending them).
pub async fn pending_of(
    db: &impl ConnectionTrait,
    order_ids: Vec<i64>,
) -> AppResult<Vec<refund::Model>> {
    Ok(refund::Entity::find()
        .filter(refund::Column::OrderId.is_in(order_ids))
        .filter(refund::Column::Status.eq("pending"))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?)
}

/// Lets a higher domain react inside the refund's transaction (a group-buy
/// leader's commission is reversed when a collected order is refunded).
#[async_trait::async_trait]
pub trait RefundObserver: Send + Sync {
    async fn refunded(&self, db: &DatabaseTransaction, order_id: i64) -> AppResult<()>;
}

/// One element of a refund's `lines`: units of an order line taken back.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct RefundedLine {
    pub line_id: i64,
    pub quantity: i64,
}

/// The order's newest refund with the lines it took back (none for a
/// money-only refund). Inside `RefundObserver::refunded` it is the refund
/// just written.
pub async fn latest_refund(
    db: &impl ConnectionTrait,
    order_id: i64,
) -> AppResult<Option<(refund::Model, Vec<RefundedLine>)>> {
    let Some(latest) = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .order_by_desc(refund::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let lines = serde_json::from_str(&latest.lines).unwrap_or_default();
    Ok(Some((latest, lines)))
}

/// Used until a domain installs its own.
pub struct NoRefundObserver;

#[async_trait::async_trait]
impl RefundObserver for NoRefundObserver {
    async fn refunded(&self, _: &DatabaseTransaction, _: i64) -> AppResult<()> {
        Ok(())
    }
}

/// The database effects shared by every refund.
struct Applied {
    amount: i64,
    lines_json: String,
    payment: payment::Model,
    /// Our refund number for the provider (its idempotency key).
    refund_no: String,
}

async fn apply(
    db: &DatabaseTransaction,
    order: &order::Model,
    take: Take<'_>,
    reason: &str,
    actor_id: Option<i64>,
) -> AppResult<Applied> {
    let status = OrderStatus::parse(&order.status)
        .filter(|s| s.is_paid_state())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidTransition,
                "only a paid order can be refunded",
            )
        })?;
    let (amount, selection) = match take {
        Take::Amount(amount) => (amount, Vec::new()),
        Take::Lines(lines) => take_lines(db, order, lines).await?,
    };
    if amount <= 0 {
        return Err(AppError::new(
            ErrorCode::RefundExceedsPayment,
            "nothing is left to refund",
        ));
    }
    let payment = paid_payment(db, order.id).await?;
    let refunded_after = take_refund_amount(db, order.id, amount).await?;
    for (line, quantity) in &selection {
        if status.is_unshipped() {
            stock::restock(db, order.workshop_id, line.sku_id, *quantity, order.id).await?;
        }
        stock::uncount_purchase(
            db,
            order.customer_id,
            &format!("sku:{}", line.sku_id),
            *quantity,
        )
        .await?;
    }
    let everything = matches!(take, Take::Lines(_))
        && order_line::Entity::find()
            .filter(order_line::Column::OrderId.eq(order.id))
            .all(db)
            .await
            .map(|all| remaining_units(&all) == 0)?;
    if everything && status.can_become(OrderStatus::Refunded) {
        transition(
            db,
            order.id,
            status,
            OrderStatus::Refunded,
            actor_id,
            reason,
        )
        .await?;
    }
    let lines_json: Vec<_> = selection
        .iter()
        .map(|(l, q)| json!({"line_id": l.id, "quantity": q}))
        .collect();
    Ok(Applied {
        amount,
        lines_json: json!(lines_json).to_string(),
        payment,
        // Refunded totals only grow, so this number names this refund and no
        // other: if the transaction is lost after the provider call, a retry reuses it.
        refund_no: format!("gf-rf-{}-{refunded_after}", order.id),
    })
}

/// Takes the selected units off their lines; the amount is their price, or
/// everything still paid (shipping too) when no unit is left.
async fn take_lines(
    db: &impl ConnectionTrait,
    order: &order::Model,
    lines: Option<&[RefundLineRequest]>,
) -> AppResult<(i64, Vec<(order_line::Model, i64)>)> {
    let all_lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(db)
        .await?;
    let selection = select_lines(&all_lines, lines)?;
    let mut amount: i64 = 0;
    for (line, quantity) in &selection {
        take_line_quantity(db, line.id, *quantity).await?;
        let part = line
            .unit_price_fen
            .checked_mul(*quantity)
            .ok_or_else(AppError::overflow)?;
        amount = amount.checked_add(part).ok_or_else(AppError::overflow)?;
    }
    let everything = selection.iter().map(|(_, q)| q).sum::<i64>() == remaining_units(&all_lines);
    if everything {
        amount = order.paid_fen - order.refunded_fen; // shipping too
    }
    Ok((amount, selection))
}

/// The refund's event, and the higher domains' reaction, in the same transaction.
async fn announce(
    state: &AppState,
    db: &DatabaseTransaction,
    order: &order::Model,
    row: &refund::Model,
) -> AppResult<()> {
    let data = json!({"order_id": order.id, "refund_id": row.id, "amount_fen": row.amount_fen, "reason": row.reason});
    outbox::enqueue(
        db,
        order.workshop_id,
        "order.refunded",
        &resource_key(order.id),
        &data,
    )
    .await?;
    state.refund_observer.refunded(db, order.id).await
}

/// A payment confirmed for an order that had expired or been cancelled is
/// returned in full; the order stays as it was.
pub async fn refund_late_payment(
    state: &AppState,
    db: &impl ConnectionTrait,
    order: &order::Model,
    payment: &payment::Model,
) -> AppResult<()> {
    let amount = payment.amount_fen;
    changed(
        db,
        "UPDATE orders SET paid_fen = paid_fen + $1, refunded_fen = refunded_fen + $1, updated_at = $2 WHERE id = $3",
        vec![amount.into(), Utc::now().into(), order.id.into()],
    )
    .await?;
    let provider = state.payments.get(&payment.provider)?;
    let refund_no = format!("gf-rf-late-{}", payment.id);
    let provider_ref = provider
        .refund(&refund_no, &payment.provider_ref, amount)
        .await?;
    let reason = "payment arrived after the order was closed";
    let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled);
    let applied = Applied {
        amount,
        lines_json: "[]".into(),
        payment: payment.clone(),
        refund_no,
    };
    insert_refund(
        db,
        order,
        &applied,
        reason,
        &provider_ref,
        "succeeded",
        None,
    )
    .await?;
    record_event(db, order.id, Some(status), status, None, reason).await?;
    let data = json!({"order_id": order.id, "amount_fen": amount, "reason": reason});
    outbox::enqueue(
        db,
        order.workshop_id,
        "order.refunded",
        &resource_key(order.id),
        &data,
    )
    .await?;
    Ok(())
}

fn select_lines(
    all: &[order_line::Model],
    wanted: Option<&[RefundLineRequest]>,
) -> AppResult<Vec<(order_line::Model, i64)>> {
    let Some(wanted) = wanted else {
        return Ok(all
            .iter()
            .filter(|l| l.quantity > l.refunded_quantity)
            .map(|l| (l.clone(), (l.quantity - l.refunded_quantity) as i64))
            .collect());
    };
    if wanted.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "name at least one line, or omit lines to refund everything",
        ));
    }
    wanted
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let line = all.iter().find(|l| l.id == w.line_id).ok_or_else(|| {
                AppError::invalid(&format!("lines[{i}].line_id"), "not a line of this order")
            })?;
            if !(1..=999).contains(&w.quantity) {
                return Err(AppError::invalid(
                    &format!("lines[{i}].quantity"),
                    "must be between 1 and 999",
                ));
            }
            Ok((line.clone(), w.quantity))
        })
        .collect()
}

fn remaining_units(lines: &[order_line::Model]) -> i64 {
    lines
        .iter()
        .map(|l| (l.quantity - l.refunded_quantity) as i64)
        .sum()
}

async fn take_line_quantity(
    db: &impl ConnectionTrait,
    line_id: i64,
    quantity: i64,
) -> AppResult<()> {
    let ok = changed(
        db,
        "UPDATE order_lines SET refunded_quantity = refunded_quantity + $1 WHERE id = $2 AND refunded_quantity + $1 <= quantity",
        vec![quantity.into(), line_id.into()],
    )
    .await?;
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::RefundExceedsPayment,
            "more units than are left to refund on a line",
        ))
    }
}

async fn take_refund_amount(
    db: &impl ConnectionTrait,
    order_id: i64,
    amount: i64,
) -> AppResult<i64> {
    let ok = changed(
        db,
        "UPDATE orders SET refunded_fen = refunded_fen + $1, updated_at = $2 WHERE id = $3 AND refunded_fen + $1 <= paid_fen",
        vec![amount.into(), Utc::now().into(), order_id.into()],
    )
    .await?;
    if ok {
        // The row is ours until commit, so this is the total our update made.
        let order = order::Entity::find_by_id(order_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("order"))?;
        Ok(order.refunded_fen)
    } else {
        Err(AppError::new(
            ErrorCode::RefundExceedsPayment,
            "refunds would exceed what was paid",
        ))
    }
}

async fn paid_payment(db: &impl ConnectionTrait, order_id: i64) -> AppResult<payment::Model> {
    payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Status.eq("succeeded"))
        .order_by_asc(payment::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidTransition,
                "the order has no confirmed payment",
            )
        })
}

async fn insert_refund(
    db: &impl ConnectionTrait,
    order: &order::Model,
    applied: &Applied,
    reason: &str,
    provider_ref: &str,
    status: &str,
    actor_id: Option<i64>,
) -> AppResult<refund::Model> {
    Ok(refund::ActiveModel {
        order_id: Set(order.id),
        payment_id: Set(applied.payment.id),
        amount_fen: Set(applied.amount),
        lines: Set(applied.lines_json.clone()),
        reason: Set(reason.to_owned()),
        provider_ref: Set(provider_ref.to_owned()),
        status: Set(status.to_owned()),
        created_by: Set(actor_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn list_refunds(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i64,
) -> AppResult<Vec<RefundView>> {
    find_order(db, viewer, order_id).await?;
    let rows = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(refund_view).collect())
}

fn refund_view(r: refund::Model) -> RefundView {
    RefundView {
        id: r.id,
        order_id: r.order_id,
        amount_fen: r.amount_fen,
        reason: r.reason,
        status: r.status,
        created_at: r.created_at,
    }
}

/// Several observers, told in order (group-buy commissions, the ledger).
pub struct RefundObservers(pub Vec<std::sync::Arc<dyn RefundObserver>>);

#[async_trait::async_trait]
impl RefundObserver for RefundObservers {
    async fn refunded(&self, db: &DatabaseTransaction, order_id: i64) -> AppResult<()> {
        for observer in &self.0 {
            observer.refunded(db, order_id).await?;
        }
        Ok(())
    }
}
