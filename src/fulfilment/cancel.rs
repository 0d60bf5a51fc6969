//! Cancelling an open pick wave before any of its orders is packed: orders go
//! back to paid, lot units back to their lots, the ledger's splits reversed.
//! One transaction; rows are taken orders → wave → lots (lots in (SKU, expiry,
//! id) order like a wave's claims), so a concurrent pack, ship or wave cannot deadlock it.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::model::{CancelWaveRequest, WaveView};
use super::refund_returns::add_back_to_lot;
use super::waves::{allocation_source, find_wave, get_wave, wave_orders};
use crate::entity::{lot, order, pick_allocation, pick_wave};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::sales::{Allocation, reverse_allocation};
use crate::orders::service::transition;
use crate::orders::status::OrderStatus;
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

const MAX_REASON_CHARS: usize = 200;

pub async fn cancel_wave(
    state: &AppState,
    workshop_id: i64,
    wave_id: i64,
    actor_id: i64,
    request: CancelWaveRequest,
) -> AppResult<WaveView> {
    let reason = request.reason.filter(|r| !r.trim().is_empty());
    Check::new()
        .optional_text("reason", reason.as_deref(), MAX_REASON_CHARS)
        .finish()?;
    find_wave(&state.db, workshop_id, wave_id).await?;
    let txn = db::begin_write(&state.db).await?;
    match undo(&txn, workshop_id, wave_id, actor_id, reason.as_deref()).await {
        Ok(()) => txn.commit().await?,
        Err(err) => {
            txn.rollback().await?;
            return Err(err);
        }
    }
    outbox::committed(&state.bus).await;
    get_wave(&state.db, workshop_id, wave_id).await
}

fn not_cancellable(detail: String) -> AppError {
    AppError::conflict(ErrorCode::WaveNotCancellable, detail)
}

async fn undo(
    txn: &DatabaseTransaction,
    workshop_id: i64,
    wave_id: i64,
    actor_id: i64,
    reason: Option<&str>,
) -> AppResult<()> {
    let wave = find_wave(txn, workshop_id, wave_id).await?;
    if wave.status != "open" {
        return Err(not_cancellable(format!(
            "wave {wave_id} is {}; only an open wave can be cancelled",
            wave.status
        )));
    }
    let orders = release_orders(txn, &wave, actor_id).await?;
    if !mark_cancelled(txn, wave_id, actor_id, reason).await? {
        return Err(not_cancellable(format!(
            "wave {wave_id} was closed or cancelled meanwhile"
        )));
    }
    let allocations = release_allocations(txn, wave_id).await?;
    return_units(txn, &allocations).await?;
    reverse_splits(txn, &allocations).await?;
    let data = json!({"wave_id": wave_id, "order_ids": orders, "reason": reason,
        "cancelled_by": actor_id});
    outbox::enqueue(
        txn,
        workshop_id,
        "wave.cancelled",
        &format!("wave:{wave_id}"),
        &data,
    )
    .await?;
    Ok(())
}

/// Moves every order still being picked back to paid (in id order), or
/// refuses the whole cancel if one is packed or further. Refunded orders
/// stay refunded. Returns the ids of the orders moved.
async fn release_orders(
    txn: &DatabaseTransaction,
    wave: &pick_wave::Model,
    actor_id: i64,
) -> AppResult<Vec<i64>> {
    let mut orders = wave_orders(txn, wave.id).await?;
    orders.sort_by_key(|o| o.id);
    if let Some(done) = orders.iter().find(|o| is_past_picking(o)) {
        return Err(not_cancellable(format!(
            "order {} of wave {} is already {}; a wave with packed orders cannot be cancelled",
            done.id, wave.id, done.status
        )));
    }
    let reason = format!("wave {} cancelled", wave.id);
    let mut moved = Vec::new();
    for order in orders.iter().filter(|o| o.status == "picking") {
        let back = transition(
            txn,
            order.id,
            OrderStatus::Picking,
            OrderStatus::Paid,
            Some(actor_id),
            &reason,
        )
        .await?;
        if !back {
            return Err(not_cancellable(format!(
                "order {} of wave {} changed while cancelling (packed or refunded); reload the wave",
                order.id, wave.id
            )));
        }
        moved.push(order.id);
    }
    Ok(moved)
}

fn is_past_picking(order: &order::Model) -> bool {
    OrderStatus::parse(&order.status).is_some_and(|s| {
        !matches!(
            s,
            OrderStatus::Paid | OrderStatus::Picking | OrderStatus::Refunded
        )
    })
}

/// The conditional update that decides which of two concurrent cancels wins.
async fn mark_cancelled(
    txn: &DatabaseTransaction,
    wave_id: i64,
    actor_id: i64,
    reason: Option<&str>,
) -> AppResult<bool> {
    changed(
        txn,
        "UPDATE pick_waves SET status = 'cancelled', cancelled_at = $1, cancelled_by = $2, \
         cancel_reason = $3 WHERE id = $4 AND status = 'open'",
        vec![
            Utc::now().into(),
            actor_id.into(),
            reason.map(str::to_owned).into(),
            wave_id.into(),
        ],
    )
    .await
}

/// Releases the wave's order claims and allocations; returns the allocations.
async fn release_allocations(
    txn: &DatabaseTransaction,
    wave_id: i64,
) -> AppResult<Vec<pick_allocation::Model>> {
    let allocations = pick_allocation::Entity::find()
        .filter(pick_allocation::Column::WaveId.eq(wave_id))
        .filter(pick_allocation::Column::ReleasedAt.is_null())
        .all(txn)
        .await?;
    for table in ["pick_wave_orders", "pick_allocations"] {
        changed(
            txn,
            &format!(
                "UPDATE {table} SET released_at = $1 WHERE wave_id = $2 AND released_at IS NULL"
            ),
            vec![Utc::now().into(), wave_id.into()],
        )
        .await?;
    }
    Ok(allocations)
}

/// Puts each lot's allocated units back, never above what the lot received.
async fn return_units(
    txn: &DatabaseTransaction,
    allocations: &[pick_allocation::Model],
) -> AppResult<()> {
    let mut units: HashMap<i64, i64> = HashMap::new();
    for a in allocations {
        *units.entry(a.lot_id).or_default() += a.units;
    }
    let lots = lot::Entity::find()
        .filter(lot::Column::Id.is_in(units.keys().copied()))
        .all(txn)
        .await?;
    let ordered: BTreeMap<_, _> = lots
        .iter()
        .map(|l| ((l.sku_id, l.expiry_date, l.id), units[&l.id]))
        .collect();
    for ((_, _, lot_id), n) in ordered {
        if !add_back_to_lot(txn, lot_id, n).await? {
            return Err(not_cancellable(format!(
                "lot {lot_id} cannot take back {n} units without exceeding what it received"
            )));
        }
    }
    Ok(())
}

/// Reverses the ledger's split of each allocation.
async fn reverse_splits(
    txn: &DatabaseTransaction,
    allocations: &[pick_allocation::Model],
) -> AppResult<()> {
    for a in allocations {
        let allocation = Allocation {
            workshop_id: a.workshop_id,
            order_id: a.order_id,
            order_line_id: a.order_line_id,
            lot_id: a.lot_id,
            units: a.units,
            source: allocation_source(a.wave_id, a.order_line_id, a.lot_id),
        };
        let reference = format!("wave {} cancelled: order {}", a.wave_id, a.order_id);
        let undo_key = format!("wave:{}", a.wave_id);
        reverse_allocation(txn, &allocation, &undo_key, &reference).await?;
    }
    Ok(())
}
