//! Farmer statements: per farmer per month, lots delivered, purchase value,
//! premium credited, reversals, payouts and the balance, all summed from the
//! append-only ledger (and the lots' spoilage movements for write-offs).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entries::{FARMER, PAYOUT, PREMIUM, PURCHASE, REVERSAL};
use super::model::{DeliveredLot, PayoutLine, StatementFarmer, StatementView};
use super::period::{Period, china_date};
use crate::catalog::lookup;
use crate::entity::{farmer, ledger_entry, lot, stock_movement};
use crate::error::AppResult;

/// One farmer's statement for `period`; `private` adds phone and settlement reference.
pub async fn farmer_statement(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    farmer_id: i64,
    period: Period,
    private: bool,
) -> AppResult<StatementView> {
    let farmer = lookup::farmer(db, workshop_id, farmer_id).await?;
    statement_of(db, &farmer, period, private).await
}

/// Every farmer's statement for `period`, in farmer id order.
pub async fn workshop_statements(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
    private: bool,
) -> AppResult<Vec<StatementView>> {
    let farmers = farmers_of(db, workshop_id).await?;
    let mut statements = Vec::with_capacity(farmers.len());
    for farmer in &farmers {
        statements.push(statement_of(db, farmer, period, private).await?);
    }
    Ok(statements)
}

pub async fn farmers_of(
    db: &impl ConnectionTrait,
    workshop_id: i64,
) -> AppResult<Vec<farmer::Model>> {
    lookup::workshop(db, workshop_id).await?;
    Ok(farmer::Entity::find()
        .filter(farmer::Column::WorkshopId.eq(workshop_id))
        .order_by_asc(farmer::Column::Id)
        .all(db)
        .await?)
}

pub async fn statement_of(
    db: &impl ConnectionTrait,
    farmer: &farmer::Model,
    period: Period,
    private: bool,
) -> AppResult<StatementView> {
    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::WorkshopId.eq(farmer.workshop_id))
        .filter(ledger_entry::Column::Account.eq(FARMER))
        .filter(ledger_entry::Column::FarmerId.eq(farmer.id))
        .filter(ledger_entry::Column::CreatedAt.lt(period.end()))
        .order_by_asc(ledger_entry::Column::Id)
        .all(db)
        .await?;
    let (before, within): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| e.created_at < period.start());
    let sum = |kind: &str| -> i64 {
        within
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.amount_fen)
            .sum()
    };
    let opening: i64 = before.iter().map(|e| e.amount_fen).sum();
    let (purchase, premium) = (sum(PURCHASE), sum(PREMIUM));
    let (reversals, paid) = (-sum(REVERSAL), -sum(PAYOUT));
    let owed = purchase + premium - reversals;
    let lots = delivered_lots(db, &within).await?;
    let (written_off_units, written_off_fen) = written_off(db, farmer, period).await?;
    Ok(StatementView {
        workshop_id: farmer.workshop_id,
        month: period.label(),
        farmer: StatementFarmer::new(farmer, private),
        units_delivered: lots.iter().map(|l| l.units).sum(),
        lots,
        opening_balance_fen: opening,
        purchase_fen: purchase,
        premium_fen: premium,
        reversals_fen: reversals,
        owed_fen: owed,
        paid_fen: paid,
        balance_fen: opening + owed - paid,
        written_off_units,
        written_off_fen,
        payouts: within
            .iter()
            .filter(|e| e.kind == PAYOUT)
            .map(|e| PayoutLine {
                entry_id: e.id,
                amount_fen: -e.amount_fen,
                reference: e.reference.clone(),
                created_at: e.created_at,
            })
            .collect(),
    })
}

/// Lots whose purchase was credited in the period, with their unit price.
async fn delivered_lots(
    db: &impl ConnectionTrait,
    within: &[ledger_entry::Model],
) -> AppResult<Vec<DeliveredLot>> {
    let purchases: HashMap<i64, &ledger_entry::Model> = within
        .iter()
        .filter(|e| e.kind == PURCHASE)
        .filter_map(|e| Some((e.lot_id?, e)))
        .collect();
    let lots = lot::Entity::find()
        .filter(lot::Column::Id.is_in(purchases.keys().copied()))
        .order_by_asc(lot::Column::Id)
        .all(db)
        .await?;
    Ok(lots
        .into_iter()
        .filter_map(|l| {
            let entry = purchases.get(&l.id)?;
            Some(DeliveredLot {
                lot_id: l.id,
                code: l.code,
                sku_id: l.sku_id,
                grade: l.grade,
                units: entry.units,
                unit_price_fen: entry.amount_fen.checked_div(entry.units).unwrap_or(0),
                purchase_fen: entry.amount_fen,
                contract_id: entry.contract_id,
                received_on: china_date(l.received_at),
            })
        })
        .collect())
}

/// Units of the farmer's lots written off in the period and their purchase value.
async fn written_off(
    db: &impl ConnectionTrait,
    farmer: &farmer::Model,
    period: Period,
) -> AppResult<(i64, i64)> {
    let lots: HashMap<i64, lot::Model> = lot::Entity::find()
        .filter(lot::Column::WorkshopId.eq(farmer.workshop_id))
        .filter(lot::Column::FarmerId.eq(farmer.id))
        .filter(lot::Column::WrittenOff.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    if lots.is_empty() {
        return Ok((0, 0));
    }
    let movements = stock_movement::Entity::find()
        .filter(stock_movement::Column::LotId.is_in(lots.keys().copied()))
        .filter(stock_movement::Column::Kind.eq("spoilage"))
        .filter(stock_movement::Column::CreatedAt.gte(period.start()))
        .filter(stock_movement::Column::CreatedAt.lt(period.end()))
        .all(db)
        .await?;
    let mut units = 0;
    let mut value = 0;
    for m in movements {
        let Some(lot) = m.lot_id.and_then(|id| lots.get(&id)) else {
            continue;
        };
        let cost = super::purchases::unit_cost(db, lot).await?;
        units += -m.quantity;
        value += -m.quantity * cost;
    }
    Ok((units, value))
}
