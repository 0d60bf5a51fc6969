//! Refunded units of an order still in the workshop go back to the lots its
//! pick wave took them from. The orders domain puts them back on the SKU;
//! this observer, told inside the refund's transaction, lowers the order's
//! allocations by the refunded units (latest expiry first, so what stays
//! allocated is still first-expiry-first-out) and returns the units to their
//! lots, never above what a lot received. Shipped units left the building:
//! their lots are not touched.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::trace::allocations_where;
use crate::entity::{lot, order, pick_allocation};
use crate::error::AppResult;
use crate::orders::refunds::{RefundObserver, RefundedLine, latest_refund};
use crate::orders::status::OrderStatus;
use crate::platform::sql::changed;

/// Installed among `AppState::refund_observer`'s observers.
pub struct LotReturns;

#[async_trait::async_trait]
impl RefundObserver for LotReturns {
    /// Called right after the refund row is written: the order's newest
    /// refund is this one.
    async fn refunded(&self, txn: &DatabaseTransaction, order_id: i64) -> AppResult<()> {
        let Some(order) = order::Entity::find_by_id(order_id).one(txn).await? else {
            return Ok(());
        };
        if !still_in_workshop(&order.status) {
            return Ok(());
        }
        let Some((_, lines)) = latest_refund(txn, order_id).await? else {
            return Ok(());
        };
        if lines.is_empty() {
            return Ok(()); // money only: the goods stay with the buyer
        }
        give_back(txn, order_id, &lines).await
    }
}

/// The order's goods have not left: it is paid, picking or packed, or a full
/// refund just moved it to refunded (reachable only from paid or picking).
fn still_in_workshop(status: &str) -> bool {
    matches!(
        OrderStatus::parse(status),
        Some(
            OrderStatus::Paid | OrderStatus::Picking | OrderStatus::Packed | OrderStatus::Refunded
        )
    )
}

async fn give_back(
    txn: &DatabaseTransaction,
    order_id: i64,
    refunded: &[RefundedLine],
) -> AppResult<()> {
    let allocations = allocations_where(txn, pick_allocation::Column::OrderId, order_id).await?;
    if allocations.is_empty() {
        return Ok(()); // refunded before picking, or its wave was cancelled
    }
    let lots: HashMap<i64, lot::Model> = lot::Entity::find()
        .filter(lot::Column::Id.is_in(allocations.iter().map(|a| a.lot_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    // Per lot, keyed like a wave's claims (SKU, expiry, id) so lot rows are
    // taken in the same order as every other writer of lots.
    let mut returned: BTreeMap<(i64, chrono::NaiveDate, i64), i64> = BTreeMap::new();
    for line in refunded {
        let mut of_line: Vec<&pick_allocation::Model> = allocations
            .iter()
            .filter(|a| a.order_line_id == line.line_id && lots.contains_key(&a.lot_id))
            .collect();
        // Latest expiry first: what stays allocated is the soonest to expire.
        of_line.sort_by_key(|a| std::cmp::Reverse((lots[&a.lot_id].expiry_date, a.lot_id, a.id)));
        let mut left = line.quantity;
        for a in of_line {
            if left <= 0 {
                break;
            }
            let units = left.min(a.units);
            if !lower_allocation(txn, a, units).await? {
                continue; // released meanwhile (its wave cancelled): units already back
            }
            let l = &lots[&a.lot_id];
            *returned.entry((l.sku_id, l.expiry_date, l.id)).or_default() += units;
            left -= units;
        }
    }
    for ((_, _, lot_id), units) in returned {
        return_to_lot(txn, lot_id, units).await?;
    }
    Ok(())
}

/// Takes `units` off an allocation still standing: the row shrinks, or is
/// released when all its units go. False when it was released meanwhile.
async fn lower_allocation(
    db: &impl ConnectionTrait,
    a: &pick_allocation::Model,
    units: i64,
) -> AppResult<bool> {
    if units >= a.units {
        changed(
            db,
            "UPDATE pick_allocations SET released_at = $1 WHERE id = $2 AND released_at IS NULL",
            vec![Utc::now().into(), a.id.into()],
        )
        .await
    } else {
        changed(
            db,
            "UPDATE pick_allocations SET units = units - $1 \
             WHERE id = $2 AND released_at IS NULL AND units > $1",
            vec![units.into(), a.id.into()],
        )
        .await
    }
}

/// Puts units back on a lot, never above what it received (a lot counted
/// down meanwhile is filled only to its received quantity).
async fn return_to_lot(db: &impl ConnectionTrait, lot_id: i64, units: i64) -> AppResult<()> {
    if !add_back_to_lot(db, lot_id, units).await? {
        tracing::warn!(
            lot_id,
            units,
            "refunded units capped at the lot's received quantity"
        );
        changed(
            db,
            "UPDATE lots SET remaining = quantity WHERE id = $1 AND remaining < quantity",
            vec![lot_id.into()],
        )
        .await?;
    }
    Ok(())
}

/// Adds `units` back to a lot if that keeps it within what it received;
/// false (and nothing changed) otherwise. Shared with wave cancellation.
pub(super) async fn add_back_to_lot(
    db: &impl ConnectionTrait,
    lot_id: i64,
    units: i64,
) -> AppResult<bool> {
    changed(
        db,
        "UPDATE lots SET remaining = remaining + $1 WHERE id = $2 AND remaining + $1 <= quantity",
        vec![units.into(), lot_id.into()],
    )
    .await
}
