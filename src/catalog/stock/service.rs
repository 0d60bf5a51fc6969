//! Stock rules for managers: adjust a SKU by hand (count correction or
//! spoilage, optionally out of one lot) and list the movements it sums from.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::ledger::{self, NewMovement};
use super::model::{AdjustStockRequest, AdjustmentView, MovementView, StockView};
use crate::catalog::checks::MAX_UNITS;
use crate::catalog::types::{AdjustmentKind, MovementKind};
use crate::catalog::{invalidation, lookup};
use crate::entity::stock_movement;
use crate::error::AppResult;
use crate::platform::pagination::{Page, PageRequest};
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn adjust_stock(
    state: &AppState,
    workshop_id: i64,
    sku_id: i64,
    by: i64,
    req: AdjustStockRequest,
) -> AppResult<AdjustmentView> {
    check_adjustment(&req)?;
    let sku = lookup::sku(&state.db, workshop_id, sku_id).await?;
    let kind = match req.kind {
        AdjustmentKind::CountCorrection => MovementKind::Adjustment,
        AdjustmentKind::Spoilage => MovementKind::Spoilage,
    };
    let txn = state.db.begin().await?;
    if let Some(lot_id) = req.lot_id {
        ledger::take_from_lot(&txn, workshop_id, sku_id, lot_id, -req.quantity).await?;
    }
    let movement = NewMovement {
        workshop_id,
        sku_id,
        lot_id: req.lot_id,
        kind,
        quantity: req.quantity,
        reason: req.reason.trim(),
        created_by: Some(by),
    };
    let movement = ledger::apply_movement(&txn, movement).await?;
    txn.commit().await?;
    invalidation::invalidate_products(state, &[sku.product_id]).await;
    let sku = lookup::sku(&state.db, workshop_id, sku_id).await?;
    Ok(AdjustmentView {
        movement: movement.into(),
        stock: StockView::from(&sku),
    })
}

pub async fn list_movements(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    page: PageRequest,
) -> AppResult<Page<MovementView>> {
    lookup::sku(db, workshop_id, sku_id).await?;
    let select = stock_movement::Entity::find().filter(stock_movement::Column::SkuId.eq(sku_id));
    let select = page.keyset(select, stock_movement::Column::Id);
    let rows = select.all(db).await?;
    Ok(Page::from_rows(rows, page, |m| m.id).map(MovementView::from))
}

fn check_adjustment(req: &AdjustStockRequest) -> AppResult<()> {
    let mut check = Check::new();
    check
        .range("quantity", req.quantity, -MAX_UNITS, MAX_UNITS)
        .text("reason", &req.reason, 1, 200);
    if req.quantity == 0 {
        check.fail("quantity", "must not be zero");
    }
    if req.kind == AdjustmentKind::Spoilage && req.quantity > 0 {
        check.fail("quantity", "spoilage removes stock: must be negative");
    }
    if req.lot_id.is_some() && req.quantity > 0 {
        check.fail("lot_id", "only a decrease can name the lot it came out of");
    }
    check.finish()
}
