//! Traceability from the pick allocations: which lots and farmers each order
//! line came from, and which orders received a lot (for a recall).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{LineTrace, LotRecall, LotUnits, RecalledOrder};
use super::shipping::order_lines;
use crate::entity::{farmer, lot, order, pick_allocation};
use crate::error::{AppError, AppResult};
use crate::orders::queries::{Viewer, find_order};
use crate::orders::status::OrderStatus;

/// A lot with its farmer, as allocations refer to it.
pub struct LotOrigin {
    pub lot: lot::Model,
    pub farmer_name: String,
}

impl LotOrigin {
    pub fn units(&self, units: i64) -> LotUnits {
        LotUnits {
            lot_id: self.lot.id,
            code: self.lot.code.clone(),
            farmer_id: self.lot.farmer_id,
            farmer_name: self.farmer_name.clone(),
            harvest_date: self.lot.harvest_date,
            expiry_date: self.lot.expiry_date,
            units,
        }
    }
}

/// The lots (with farmers) named by `allocations`, by lot id.
pub async fn origins(
    db: &impl ConnectionTrait,
    allocations: &[pick_allocation::Model],
) -> AppResult<HashMap<i64, LotOrigin>> {
    let lot_ids: Vec<i64> = allocations.iter().map(|a| a.lot_id).collect();
    let lots = lot::Entity::find()
        .filter(lot::Column::Id.is_in(lot_ids))
        .all(db)
        .await?;
    let farmer_ids: Vec<i64> = lots.iter().map(|l| l.farmer_id).collect();
    let names: HashMap<i64, String> = farmer::Entity::find()
        .filter(farmer::Column::Id.is_in(farmer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name))
        .collect();
    Ok(lots
        .into_iter()
        .map(|lot| {
            let farmer_name = names.get(&lot.farmer_id).cloned().unwrap_or_default();
            (lot.id, LotOrigin { lot, farmer_name })
        })
        .collect())
}

/// Units per lot for one order line, soonest expiry first.
pub fn line_lots(
    line_id: i64,
    allocations: &[pick_allocation::Model],
    origins: &HashMap<i64, LotOrigin>,
) -> Vec<LotUnits> {
    let mut lots: Vec<LotUnits> = allocations
        .iter()
        .filter(|a| a.order_line_id == line_id)
        .filter_map(|a| origins.get(&a.lot_id).map(|o| o.units(a.units)))
        .collect();
    lots.sort_by_key(|l| (l.expiry_date, l.lot_id));
    lots
}

/// Allocations still standing (not released by a cancelled wave) where `column` is `id`.
pub async fn allocations_where(
    db: &impl ConnectionTrait,
    column: pick_allocation::Column,
    id: i64,
) -> AppResult<Vec<pick_allocation::Model>> {
    Ok(pick_allocation::Entity::find()
        .filter(column.eq(id))
        .filter(pick_allocation::Column::ReleasedAt.is_null())
        .order_by_asc(pick_allocation::Column::Id)
        .all(db)
        .await?)
}

/// Every allocation a wave made, released or not (a cancelled wave's pick
/// list still shows what it was).
pub async fn wave_allocations(
    db: &impl ConnectionTrait,
    wave_id: i64,
) -> AppResult<Vec<pick_allocation::Model>> {
    Ok(pick_allocation::Entity::find()
        .filter(pick_allocation::Column::WaveId.eq(wave_id))
        .order_by_asc(pick_allocation::Column::Id)
        .all(db)
        .await?)
}

/// Each line of an order with the lots and farmers it came from.
pub async fn order_trace(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    order_id: i64,
) -> AppResult<Vec<LineTrace>> {
    let order = find_order(db, Viewer::Workshop(workshop_id), order_id).await?;
    let allocations = allocations_where(db, pick_allocation::Column::OrderId, order.id).await?;
    let origins = origins(db, &allocations).await?;
    Ok(order_lines(db, order.id)
        .await?
        .into_iter()
        .map(|line| LineTrace {
            order_id: order.id,
            line_id: line.id,
            sku_id: line.sku_id,
            title: line.title,
            quantity: line.quantity.into(),
            lots: line_lots(line.id, &allocations, &origins),
        })
        .collect())
}

/// Every order that received units of a lot, with the units.
pub async fn lot_recall(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    lot_id: i64,
) -> AppResult<LotRecall> {
    let allocations = allocations_where(db, pick_allocation::Column::LotId, lot_id).await?;
    let origin = lot::Entity::find_by_id(lot_id)
        .filter(lot::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("lot"))?;
    let origins = origins(db, &allocations).await?;
    let orders: HashMap<i64, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(allocations.iter().map(|a| a.order_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let total = allocations.iter().map(|a| a.units).sum();
    let lot = match origins.get(&lot_id) {
        Some(known) => known.units(total),
        None => LotOrigin {
            lot: origin,
            farmer_name: String::new(),
        }
        .units(0),
    };
    let orders = allocations
        .iter()
        .filter_map(|a| {
            let order = orders.get(&a.order_id)?;
            Some(RecalledOrder {
                order_id: order.id,
                customer_id: order.customer_id,
                status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled),
                line_id: a.order_line_id,
                units: a.units,
            })
        })
        .collect();
    Ok(LotRecall { lot, orders })
}
