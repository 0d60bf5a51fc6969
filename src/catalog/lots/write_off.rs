//! Writing off expired lots in one call: each lot's remaining units become a
//! spoilage movement, all in one transaction, refused whole (409) if any SKU
//! would fall below its reserved units.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::model::{WriteOffRequest, WriteOffView, WrittenOffLot};
use crate::catalog::stock::ledger::{self, NewMovement};
use crate::catalog::types::MovementKind;
use crate::catalog::{invalidation, lookup, rules};
use crate::entity::{lot, sku};
use crate::error::AppResult;
use crate::platform::validate::Check;
use crate::state::AppState;

const MAX_SKU_IDS: usize = 100;

pub async fn write_off_expired(
    state: &AppState,
    workshop_id: i64,
    by: i64,
    req: WriteOffRequest,
) -> AppResult<WriteOffView> {
    let today = rules::today();
    let as_of = req.as_of.unwrap_or(today);
    let mut check = Check::new();
    if as_of > today {
        check.fail("as_of", "must not be after today");
    }
    if req
        .sku_ids
        .as_ref()
        .is_some_and(|ids| ids.len() > MAX_SKU_IDS)
    {
        check.fail("sku_ids", format!("at most {MAX_SKU_IDS} SKUs"));
    }
    check.finish()?;
    lookup::workshop(&state.db, workshop_id).await?;
    let txn = state.db.begin().await?;
    let mut select = lot::Entity::find()
        .filter(lot::Column::WorkshopId.eq(workshop_id))
        .filter(lot::Column::ExpiryDate.lt(as_of))
        .filter(lot::Column::Remaining.gt(0))
        .filter(lot::Column::WrittenOff.eq(false))
        .order_by_asc(lot::Column::Id)
        .lock_exclusive();
    if let Some(ids) = &req.sku_ids {
        select = select.filter(lot::Column::SkuId.is_in(ids.iter().copied()));
    }
    let mut written = Vec::new();
    for expired in select.all(&txn).await? {
        if !close_lot(&txn, &expired).await? {
            continue;
        }
        let reason = format!(
            "expired lot {} (expiry {})",
            expired.code, expired.expiry_date
        );
        let spoilage = NewMovement {
            workshop_id,
            sku_id: expired.sku_id,
            lot_id: Some(expired.id),
            kind: MovementKind::Spoilage,
            quantity: -expired.remaining,
            reason: &reason,
            created_by: Some(by),
        };
        ledger::apply_movement(&txn, spoilage).await?;
        written.push(WrittenOffLot {
            lot_id: expired.id,
            code: expired.code,
            sku_id: expired.sku_id,
            units: expired.remaining,
        });
    }
    let product_ids = products_of(&txn, &written).await?;
    txn.commit().await?;
    if !product_ids.is_empty() {
        invalidation::invalidate_products(state, &product_ids).await;
    }
    Ok(WriteOffView {
        as_of,
        units: written.iter().map(|l| l.units).sum(),
        lots: written,
    })
}

/// Empties the lot and marks it written off, unless it changed meanwhile.
async fn close_lot(txn: &impl ConnectionTrait, row: &lot::Model) -> AppResult<bool> {
    let closed = lot::Entity::update_many()
        .col_expr(lot::Column::Remaining, Expr::value(0i64))
        .col_expr(lot::Column::WrittenOff, Expr::value(true))
        .filter(lot::Column::Id.eq(row.id))
        .filter(lot::Column::WrittenOff.eq(false))
        .filter(Expr::col(lot::Column::Remaining).eq(row.remaining))
        .exec(txn)
        .await?;
    Ok(closed.rows_affected == 1)
}

async fn products_of(txn: &impl ConnectionTrait, written: &[WrittenOffLot]) -> AppResult<Vec<i64>> {
    let sku_ids: Vec<i64> = written.iter().map(|l| l.sku_id).collect();
    if sku_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut product_ids: Vec<i64> = sku::Entity::find()
        .select_only()
        .column(sku::Column::ProductId)
        .filter(sku::Column::Id.is_in(sku_ids))
        .into_tuple::<i64>()
        .all(txn)
        .await?;
    product_ids.sort_unstable();
    product_ids.dedup();
    Ok(product_ids)
}
