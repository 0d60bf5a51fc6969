//! Flash deal rules: created on a live session with stock set aside from the
//! SKU, listed publicly, ended on time (or early) with unsold units returned
//! to the SKU exactly once, even with several instances sweeping.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::deal_model::{CreateDealRequest, DealView};
use super::events::{EventKind, publish};
use super::flash::ENDED;
use super::model::SessionStatus;
use super::pricing::{check_live_price, pinnable_sku};
use super::service::{find_in_workshop, status_of};
use crate::entity::{allotment, deal};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::allotments;
use crate::platform::db;
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn create_deal(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    actor_id: i64,
    req: CreateDealRequest,
) -> AppResult<DealView> {
    let limit = req.per_buyer_limit.unwrap_or(1);
    let window = req
        .payment_window_secs
        .unwrap_or(state.settings.live.deal_payment_window_secs);
    let mut check = Check::new();
    check
        .range("quantity", req.quantity, 1, 1_000_000)
        .range("duration_secs", req.duration_secs, 10, 86_400)
        .range("per_buyer_limit", limit as i64, 1, 99)
        .range("payment_window_secs", window as i64, 1, 3_600);
    check.finish()?;
    let session = find_in_workshop(&state.db, workshop_id, session_id).await?;
    if status_of(&session) != SessionStatus::Live {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "deals run only while the session is live",
        ));
    }
    let sku = pinnable_sku(&state.db, workshop_id, req.sku_id).await?;
    check_live_price(&state.db, &sku, req.price_fen)
        .await
        .map_err(|e| AppError {
            fields: vec![],
            ..AppError::invalid("price_fen", e.detail)
        })?;
    let starts_at = req.starts_at.unwrap_or_else(Utc::now);
    if starts_at < Utc::now() - Duration::minutes(1) {
        return Err(AppError::invalid("starts_at", "must not be in the past"));
    }
    let txn = db::begin_write(&state.db).await?;
    let held = allotments::allot(&txn, workshop_id, sku.id, "deal", req.quantity).await?;
    let row = deal::ActiveModel {
        workshop_id: Set(workshop_id),
        live_session_id: Set(session_id),
        sku_id: Set(sku.id),
        allotment_id: Set(held.id),
        price_fen: Set(req.price_fen),
        quantity: Set(req.quantity),
        per_buyer_limit: Set(limit),
        payment_window_secs: Set(window),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::seconds(req.duration_secs)),
        status: Set("active".into()),
        created_by: Set(actor_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let view = view(row, &held);
    publish(state, session_id, EventKind::DealStarted, &view).await;
    Ok(view)
}

pub async fn get_deal(db: &impl ConnectionTrait, deal_id: i64) -> AppResult<DealView> {
    let row = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("deal"))?;
    let held = allotments::find(db, row.allotment_id).await?;
    Ok(view(row, &held))
}

pub async fn list_for_session(
    db: &impl ConnectionTrait,
    session_id: i64,
) -> AppResult<Vec<DealView>> {
    let rows = deal::Entity::find()
        .filter(deal::Column::LiveSessionId.eq(session_id))
        .order_by_asc(deal::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.allotment_id).collect();
    let held = allotment::Entity::find()
        .filter(allotment::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|d| {
            held.iter()
                .find(|a| a.id == d.allotment_id)
                .map(|a| view(d, a))
        })
        .collect())
}

/// Ends a deal early (streamer or manager of its workshop).
pub async fn end_deal(state: &AppState, workshop_id: i64, deal_id: i64) -> AppResult<DealView> {
    let row = deal::Entity::find_by_id(deal_id)
        .filter(deal::Column::WorkshopId.eq(workshop_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("deal"))?;
    if !close(state, &row).await? {
        return Err(AppError::new(
            ErrorCode::DealEnded,
            "the deal has already ended",
        ));
    }
    get_deal(&state.db, deal_id).await
}

/// Ends the deal once: status, unsold units back to the SKU, event. False if
/// someone (another instance's sweeper) ended it first.
async fn close(state: &AppState, row: &deal::Model) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let won = changed(
        &txn,
        "UPDATE deals SET status = 'ended', ends_at = CASE WHEN ends_at > $2 THEN $2 ELSE ends_at END \
         WHERE id = $1 AND status = 'active'",
        vec![row.id.into(), Utc::now().into()],
    )
    .await?;
    if !won {
        return Ok(false);
    }
    let returned = allotments::close(&txn, row.allotment_id).await?;
    txn.commit().await?;
    state.bus.publish(ENDED, json!({"deal_id": row.id})).await;
    let data = json!({"deal_id": row.id, "units_returned": returned});
    publish(state, row.live_session_id, EventKind::DealEnded, &data).await;
    Ok(true)
}

/// Ends deals whose time is up, on every instance; each deal ends once.
pub async fn run_sweeper(state: AppState) {
    loop {
        tokio::time::sleep(StdDuration::from_millis(500)).await;
        let due = deal::Entity::find()
            .filter(deal::Column::Status.eq("active"))
            .filter(deal::Column::EndsAt.lte(Utc::now()))
            .all(&state.db)
            .await;
        match due {
            Ok(rows) => {
                for row in rows {
                    if let Err(err) = close(&state, &row).await {
                        tracing::warn!(error = ?err, deal = row.id, "ending a deal failed");
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "deal sweep failed"),
        }
    }
}

fn view(d: deal::Model, held: &allotment::Model) -> DealView {
    let now = Utc::now();
    let status = if d.status == "ended" || now >= d.ends_at {
        "ended"
    } else if now < d.starts_at {
        "upcoming"
    } else if held.remaining == 0 {
        "sold_out"
    } else {
        "running"
    };
    DealView {
        id: d.id,
        live_session_id: d.live_session_id,
        workshop_id: d.workshop_id,
        sku_id: d.sku_id,
        price_fen: d.price_fen,
        quantity: d.quantity,
        remaining: held.remaining,
        per_buyer_limit: d.per_buyer_limit,
        payment_window_secs: d.payment_window_secs,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        status: status.into(),
    }
}
