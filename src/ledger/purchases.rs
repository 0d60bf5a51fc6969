//! Guaranteed purchase (兜底收购): every lot received is owed to its farmer at
//! the covering contract's floor price, or the lot's agreed price if higher,
//! recorded in the receipt's own transaction. Unsold or written-off units are
//! still owed; the workshop bears that loss.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::contracts;
use super::entries::{self, FARMER, NewEntry, PURCHASE};
use crate::entity::{ledger_entry, lot, sku};
use crate::error::{AppError, AppResult};

/// Credits the lot's farmer with its purchase value; once per lot.
pub async fn record_receipt(
    db: &impl ConnectionTrait,
    lot: &lot::Model,
    by: Option<i64>,
) -> AppResult<ledger_entry::Model> {
    let sku = sku::Entity::find_by_id(lot.sku_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("SKU"))?;
    let contract = contracts::covering(db, lot, sku.product_id).await?;
    let unit_price = contract.as_ref().map_or(lot.floor_price_fen, |c| {
        c.floor_price_fen.max(lot.floor_price_fen)
    });
    let amount = unit_price
        .checked_mul(lot.quantity)
        .ok_or_else(AppError::overflow)?;
    let reference = match &contract {
        Some(c) => format!("lot {} under contract {} ({})", lot.code, c.id, c.season),
        None => format!("lot {} at the agreed price", lot.code),
    };
    entries::append(
        db,
        NewEntry {
            workshop_id: lot.workshop_id,
            account: FARMER,
            farmer_id: Some(lot.farmer_id),
            kind: PURCHASE,
            amount_fen: amount,
            units: lot.quantity,
            lot_id: Some(lot.id),
            contract_id: contract.map(|c| c.id),
            reference,
            source_key: format!("purchase:lot:{}", lot.id),
            created_by: by,
            ..Default::default()
        },
    )
    .await
}

/// What one unit of the lot cost the workshop (its purchase price per unit).
pub async fn unit_cost(db: &impl ConnectionTrait, lot: &lot::Model) -> AppResult<i64> {
    let purchase = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::SourceKey.eq(format!("purchase:lot:{}", lot.id)))
        .one(db)
        .await?;
    Ok(match purchase {
        Some(p) if p.units > 0 => p.amount_fen / p.units,
        _ => lot.floor_price_fen,
    })
}
