//! Lot rules: receive a farmer's intake (lot, receipt movement and on-hand
//! increase in one transaction) and list a SKU's lots soonest expiry first.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::model::{LotCursor, LotQuery, LotView, ReceiveLotRequest};
use crate::catalog::checks::{self, MAX_UNITS};
use crate::catalog::rules::{self, MAX_PRICE_FEN};
use crate::catalog::stock::ledger::{self, NewMovement};
use crate::catalog::types::MovementKind;
use crate::catalog::{invalidation, lookup};
use crate::entity::{farmer, lot, product};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::pagination::{Page, clamp_limit};
use crate::platform::validate::Check;
use crate::state::AppState;

/// The longest shelf life a lot may declare.
const MAX_SHELF_DAYS: u64 = 3650;

pub async fn receive_lot(
    state: &AppState,
    workshop_id: i64,
    by: i64,
    req: ReceiveLotRequest,
) -> AppResult<LotView> {
    check_receipt(&req)?;
    let sku = referenced(
        lookup::sku(&state.db, workshop_id, req.sku_id).await,
        "sku_id",
    )?;
    let farmer = referenced(
        lookup::farmer(&state.db, workshop_id, req.farmer_id).await,
        "farmer_id",
    )?;
    let product = lookup::product(&state.db, workshop_id, sku.product_id).await?;
    let expiry_date = expiry(&req, &product)?;
    let code = req
        .code
        .clone()
        .unwrap_or_else(|| generated_code(req.harvest_date));
    let txn = state.db.begin().await?;
    let row = lot::ActiveModel {
        workshop_id: Set(workshop_id),
        sku_id: Set(sku.id),
        farmer_id: Set(farmer.id),
        code: Set(code.clone()),
        quantity: Set(req.quantity),
        remaining: Set(req.quantity),
        grade: Set(req.grade.as_deref().unwrap_or(&sku.grade).trim().to_owned()),
        harvest_date: Set(req.harvest_date),
        expiry_date: Set(expiry_date),
        floor_price_fen: Set(req.floor_price_fen),
        received_by: Set(by),
        received_at: Set(Utc::now()),
        written_off: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| checks::taken(e.into(), format!("a lot with code {code} already exists")))?;
    let reason = format!("lot {code} from {}", farmer.name);
    let receipt = NewMovement {
        workshop_id,
        sku_id: sku.id,
        lot_id: Some(row.id),
        kind: MovementKind::Receipt,
        quantity: req.quantity,
        reason: &reason,
        created_by: Some(by),
    };
    ledger::apply_movement(&txn, receipt).await?;
    state.lot_receipts.received(&txn, &row, by).await?;
    txn.commit().await?;
    invalidation::invalidate_products(state, &[sku.product_id]).await;
    Ok(LotView::new(row, &farmer))
}

pub async fn get_lot(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    lot_id: i64,
) -> AppResult<LotView> {
    let row = lookup::lot(db, workshop_id, lot_id).await?;
    let farmer = lookup::farmer(db, workshop_id, row.farmer_id).await?;
    Ok(LotView::new(row, &farmer))
}

/// A SKU's lots, soonest expiry first (keyset on expiry date, then id).
pub async fn list_lots(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
    query: LotQuery,
) -> AppResult<Page<LotView>> {
    lookup::sku(db, workshop_id, sku_id).await?;
    let limit = clamp_limit(query.limit)?;
    let mut select = lot::Entity::find()
        .filter(lot::Column::SkuId.eq(sku_id))
        .order_by_asc(lot::Column::ExpiryDate)
        .order_by_asc(lot::Column::Id)
        .limit(limit + 1);
    if !query.all.unwrap_or(false) {
        select = select
            .filter(lot::Column::Remaining.gt(0))
            .filter(lot::Column::WrittenOff.eq(false));
    }
    if let Some(cursor) = query.cursor.as_deref().map(LotCursor::decode).transpose()? {
        select = select.filter(
            Condition::any()
                .add(lot::Column::ExpiryDate.gt(cursor.expiry_date))
                .add(
                    Condition::all()
                        .add(lot::Column::ExpiryDate.eq(cursor.expiry_date))
                        .add(lot::Column::Id.gt(cursor.id)),
                ),
        );
    }
    let mut rows = select.all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = rows.last().filter(|_| more).map(|l| {
        LotCursor {
            expiry_date: l.expiry_date,
            id: l.id,
        }
        .encode()
    });
    let farmers = farmers_of(db, &rows).await?;
    let items = rows
        .into_iter()
        .filter_map(|l| {
            let farmer = farmers.get(&l.farmer_id)?;
            Some(LotView::new(l, farmer))
        })
        .collect();
    Ok(Page { items, next_cursor })
}

async fn farmers_of(
    db: &impl ConnectionTrait,
    lots: &[lot::Model],
) -> AppResult<HashMap<i64, farmer::Model>> {
    let ids: Vec<i64> = lots.iter().map(|l| l.farmer_id).collect();
    Ok(farmer::Entity::find()
        .filter(farmer::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect())
}

fn check_receipt(req: &ReceiveLotRequest) -> AppResult<()> {
    let mut check = Check::new();
    check
        .range("quantity", req.quantity, 1, MAX_UNITS)
        .range("floor_price_fen", req.floor_price_fen, 0, MAX_PRICE_FEN)
        .optional_text("grade", req.grade.as_deref(), 32);
    if let Some(code) = &req.code {
        checks::code(&mut check, "code", code);
    }
    if req.harvest_date > rules::today() + Days::new(1) {
        check.fail("harvest_date", "must not be in the future");
    }
    if let Some(expiry) = req.expiry_date {
        if expiry < req.harvest_date {
            check.fail("expiry_date", "must not be before the harvest date");
        } else if req.harvest_date + Days::new(MAX_SHELF_DAYS) < expiry {
            check.fail(
                "expiry_date",
                "must be within ten years of the harvest date",
            );
        }
    }
    check.finish()
}

/// The given expiry date, else harvest date + the product's shelf life.
fn expiry(req: &ReceiveLotRequest, product: &product::Model) -> AppResult<NaiveDate> {
    if let Some(date) = req.expiry_date {
        return Ok(date);
    }
    let days = product
        .shelf_life_days
        .and_then(|d| u64::try_from(d).ok())
        .ok_or_else(|| {
            AppError::invalid("expiry_date", "required: the product has no shelf life set")
        })?;
    req.harvest_date
        .checked_add_days(Days::new(days))
        .ok_or_else(|| AppError::invalid("expiry_date", "out of range"))
}

fn generated_code(harvest: NaiveDate) -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "L{}-{}",
        harvest.format("%Y%m%d"),
        &suffix[..8].to_uppercase()
    )
}

/// A missing SKU or farmer named in the body is a bad field, not a missing page.
fn referenced<T>(found: AppResult<T>, field: &str) -> AppResult<T> {
    found.map_err(|err| match err.code {
        ErrorCode::NotFound => AppError::invalid(field, "no such record in this workshop"),
        _ => err,
    })
}
