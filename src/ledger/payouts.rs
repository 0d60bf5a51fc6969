//! Payouts to farmers. The balance is read and the payout written in one
//! write transaction holding the farmer's row, so concurrent payouts queue
//! and none can overdraw.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::entries::{self, FARMER, NewEntry, PAYOUT};
use super::model::{EntryView, PayoutRequest, PayoutView};
use crate::catalog::rules::MAX_PRICE_FEN;
use crate::entity::farmer;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::db;
use crate::platform::validate::Check;

pub async fn record_payout(
    conn: &DatabaseConnection,
    workshop_id: i64,
    farmer_id: i64,
    by: i64,
    req: PayoutRequest,
) -> AppResult<PayoutView> {
    Check::new()
        .range("amount_fen", req.amount_fen, 1, MAX_PRICE_FEN * 1000)
        .text("reference", &req.reference, 1, 128)
        .finish()?;
    let txn = db::begin_write(conn).await?;
    // The row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises)
    // makes every payout of this farmer wait for the one before it.
    farmer::Entity::find_by_id(farmer_id)
        .filter(farmer::Column::WorkshopId.eq(workshop_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("farmer"))?;
    let balance = entries::farmer_balance(&txn, workshop_id, farmer_id).await?;
    if req.amount_fen > balance {
        return Err(AppError::new(
            ErrorCode::PayoutExceedsBalance,
            format!(
                "the payout of {} fen exceeds the farmer's balance of {balance} fen",
                req.amount_fen
            ),
        ));
    }
    let entry = entries::append(
        &txn,
        NewEntry {
            workshop_id,
            account: FARMER,
            farmer_id: Some(farmer_id),
            kind: PAYOUT,
            amount_fen: -req.amount_fen,
            reference: req.reference.trim().to_owned(),
            source_key: format!("payout:{}", uuid::Uuid::new_v4().simple()),
            created_by: Some(by),
            ..Default::default()
        },
    )
    .await?;
    txn.commit().await?;
    Ok(PayoutView {
        entry: EntryView::from(entry),
        balance_fen: balance - req.amount_fen,
    })
}
