//! The showcase (小黄车): pin, change, reorder and unpin SKUs, and mark the one
//! being explained, each while the session is scheduled or live; each publishes its event.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait, TryIntoModel,
};

use super::events::{EventKind, publish};
use super::model::{
    Explaining, ExplainingRequest, ItemUnpinned, ItemsReordered, PinItemRequest, PinnedItemView,
    PriceChanged, SessionStatus, UpdateItemRequest,
};
use super::pricing::{check_live_price, effective_price, pinnable_sku};
use super::service::{find_in_workshop, status_of};
use super::views::{items_of, one_item, pinned_rows, sku_of};
use crate::entity::{live_pinned_item, live_session, sku};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::validate::Check;
use crate::state::AppState;

use live_pinned_item::Column as I;

/// A showcase holds at most this many items.
const MAX_ITEMS: usize = 100;
const MAX_CAP: i64 = 1_000_000;

pub async fn pin(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    req: PinItemRequest,
) -> AppResult<PinnedItemView> {
    check_cap("live_stock_cap", req.live_stock_cap, 0)?;
    let txn = state.db.begin().await?;
    let session = lock_open(&txn, workshop_id, session_id).await?;
    let sku = pinnable_sku(&txn, workshop_id, req.sku_id).await?;
    if let Some(price) = req.live_price_fen {
        check_live_price(&txn, &sku, price).await?;
    }
    let items = pinned_rows(&txn, session_id).await?;
    if items.iter().any(|i| i.sku_id == sku.id) {
        return Err(AppError::conflict(
            ErrorCode::SkuAlreadyPinned,
            "this SKU is already pinned in the session",
        ));
    }
    if items.len() >= MAX_ITEMS {
        return Err(AppError::invalid(
            "sku_id",
            format!("a showcase holds at most {MAX_ITEMS} items"),
        ));
    }
    let position = items.iter().map(|i| i.position).max().unwrap_or(0) + 1;
    let row = save_pin(&txn, &session, &sku, &req, position).await?;
    txn.commit().await?;
    let view = one_item(&state.db, &session, row).await?;
    publish(state, session_id, EventKind::ItemPinned, &view).await;
    Ok(view)
}

/// Inserts the item, or revives it if it was pinned before (keeping its sales).
async fn save_pin(
    txn: &DatabaseTransaction,
    session: &live_session::Model,
    sku: &sku::Model,
    req: &PinItemRequest,
    position: i32,
) -> AppResult<live_pinned_item::Model> {
    let now = Utc::now();
    let earlier = live_pinned_item::Entity::find()
        .filter(I::SessionId.eq(session.id))
        .filter(I::SkuId.eq(sku.id))
        .one(txn)
        .await?;
    let mut row = match earlier {
        Some(old) => {
            check_cap("live_stock_cap", req.live_stock_cap, old.sold_units)?;
            old.into()
        }
        None => live_pinned_item::ActiveModel {
            session_id: Set(session.id),
            workshop_id: Set(session.workshop_id),
            sku_id: Set(sku.id),
            sold_units: Set(0),
            ..Default::default()
        },
    };
    row.live_price_fen = Set(req.live_price_fen);
    row.live_stock_cap = Set(req.live_stock_cap);
    row.position = Set(position);
    row.pinned_at = Set(now);
    row.unpinned_at = Set(None);
    row.updated_at = Set(now);
    Ok(row.save(txn).await?.try_into_model()?)
}

/// Changes the live price (publishes `price_changed`) or the cap (`item_updated`).
pub async fn update_item(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    item_id: i64,
    req: UpdateItemRequest,
) -> AppResult<PinnedItemView> {
    let txn = state.db.begin().await?;
    let session = lock_open(&txn, workshop_id, session_id).await?;
    let item = pinned_item(&txn, session_id, item_id).await?;
    let sku = sku_of(&txn, item.sku_id).await?;
    if let Some(Some(price)) = req.live_price_fen {
        check_live_price(&txn, &sku, price).await?;
    }
    if let Some(cap) = req.live_stock_cap {
        check_cap("live_stock_cap", cap, item.sold_units)?;
    }
    let before = effective_price(item.live_price_fen, sku.price_fen);
    let mut row: live_pinned_item::ActiveModel = item.clone().into();
    if let Some(price) = req.live_price_fen {
        row.live_price_fen = Set(price);
    }
    if let Some(cap) = req.live_stock_cap {
        row.live_stock_cap = Set(cap);
    }
    row.updated_at = Set(Utc::now());
    let row = row.update(&txn).await?;
    txn.commit().await?;
    let view = one_item(&state.db, &session, row.clone()).await?;
    if row.live_price_fen != item.live_price_fen {
        let change = PriceChanged {
            session_id,
            item_id,
            sku_id: row.sku_id,
            previous_price_fen: before,
            price_fen: view.price_fen,
            live_price_fen: row.live_price_fen,
        };
        publish(state, session_id, EventKind::PriceChanged, &change).await;
    }
    if row.live_stock_cap != item.live_stock_cap {
        publish(state, session_id, EventKind::ItemUpdated, &view).await;
    }
    Ok(view)
}

/// Takes an item off the showcase (publishes `item_unpinned`, and `explaining`
/// if it was the one being explained).
pub async fn unpin(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    item_id: i64,
) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let session = lock_open(&txn, workshop_id, session_id).await?;
    let item = pinned_item(&txn, session_id, item_id).await?;
    let mut row: live_pinned_item::ActiveModel = item.clone().into();
    row.unpinned_at = Set(Some(Utc::now()));
    row.update(&txn).await?;
    let was_explaining = session.explaining_item_id == Some(item_id);
    if was_explaining {
        set_explaining_column(&txn, session_id, None).await?;
    }
    txn.commit().await?;
    let data = ItemUnpinned {
        session_id,
        item_id,
        sku_id: item.sku_id,
    };
    publish(state, session_id, EventKind::ItemUnpinned, &data).await;
    if was_explaining {
        let none = Explaining {
            session_id,
            item_id: None,
            sku_id: None,
        };
        publish(state, session_id, EventKind::Explaining, &none).await;
    }
    Ok(())
}

/// Puts every pinned item in the given order (publishes `items_reordered`).
pub async fn reorder(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    item_ids: Vec<i64>,
) -> AppResult<Vec<PinnedItemView>> {
    let txn = state.db.begin().await?;
    let session = lock_open(&txn, workshop_id, session_id).await?;
    let current: HashSet<i64> = pinned_rows(&txn, session_id)
        .await?
        .iter()
        .map(|i| i.id)
        .collect();
    let given: HashSet<i64> = item_ids.iter().copied().collect();
    if given.len() != item_ids.len() || given != current {
        return Err(AppError::invalid(
            "item_ids",
            "must list every pinned item exactly once",
        ));
    }
    for (index, id) in item_ids.iter().enumerate() {
        live_pinned_item::Entity::update_many()
            .col_expr(I::Position, Expr::value(index as i32 + 1))
            .filter(I::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    let data = ItemsReordered {
        session_id,
        item_ids,
    };
    publish(state, session_id, EventKind::ItemsReordered, &data).await;
    items_of(&state.db, &session).await
}

/// Marks the item being explained now, or none (publishes `explaining`).
pub async fn set_explaining(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    req: ExplainingRequest,
) -> AppResult<Vec<PinnedItemView>> {
    let txn = state.db.begin().await?;
    lock_open(&txn, workshop_id, session_id).await?;
    let sku_id = match req.item_id {
        Some(item_id) => Some(pinned_item(&txn, session_id, item_id).await?.sku_id),
        None => None,
    };
    set_explaining_column(&txn, session_id, req.item_id).await?;
    let session = find_in_workshop(&txn, workshop_id, session_id).await?;
    txn.commit().await?;
    let data = Explaining {
        session_id,
        item_id: req.item_id,
        sku_id,
    };
    publish(state, session_id, EventKind::Explaining, &data).await;
    items_of(&state.db, &session).await
}

/// Holds the session row for this transaction if it is scheduled or live, so
/// the showcase cannot change under a concurrent end; else 409 `session_closed`.
async fn lock_open(
    txn: &DatabaseTransaction,
    workshop_id: i64,
    session_id: i64,
) -> AppResult<live_session::Model> {
    let open = [
        SessionStatus::Scheduled.as_str(),
        SessionStatus::Live.as_str(),
    ];
    let changed = live_session::Entity::update_many()
        .col_expr(live_session::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(live_session::Column::Id.eq(session_id))
        .filter(live_session::Column::WorkshopId.eq(workshop_id))
        .filter(live_session::Column::Status.is_in(open))
        .exec(txn)
        .await?
        .rows_affected;
    let session = find_in_workshop(txn, workshop_id, session_id).await?;
    if changed == 0 {
        return Err(AppError::conflict(
            ErrorCode::SessionClosed,
            format!(
                "the session is {}; its showcase can no longer change",
                status_of(&session).as_str()
            ),
        ));
    }
    Ok(session)
}

async fn set_explaining_column(
    txn: &DatabaseTransaction,
    session_id: i64,
    item_id: Option<i64>,
) -> AppResult<()> {
    live_session::Entity::update_many()
        .col_expr(live_session::Column::ExplainingItemId, Expr::value(item_id))
        .filter(live_session::Column::Id.eq(session_id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn pinned_item(
    db: &impl ConnectionTrait,
    session_id: i64,
    item_id: i64,
) -> AppResult<live_pinned_item::Model> {
    live_pinned_item::Entity::find_by_id(item_id)
        .filter(I::SessionId.eq(session_id))
        .filter(I::UnpinnedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("pinned item"))
}

/// A cap is 1 to 1,000,000 and not below the units already sold.
fn check_cap(field: &str, cap: Option<i64>, sold: i64) -> AppResult<()> {
    let Some(cap) = cap else {
        return Ok(());
    };
    Check::new()
        .range(field, cap, sold.max(1), MAX_CAP)
        .finish()
}
