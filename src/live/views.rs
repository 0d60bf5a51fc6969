//! Rows to views: sessions (workshop and streamer names fetched in batches) and
//! the showcase's items; and the keyset cursor of session listings: (start, id).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{PinnedItemView, SessionView};
use super::pricing::effective_price;
use super::service::status_of;
use crate::entity::{account, live_pinned_item, live_session, sku, workshop};
use crate::error::{AppError, AppResult};
use crate::orders::service::{Priced, load_priced};
use crate::platform::pagination::{PageQuery, clamp_limit};

pub async fn session_views(
    db: &impl ConnectionTrait,
    rows: Vec<live_session::Model>,
) -> AppResult<Vec<SessionView>> {
    let workshop_ids: Vec<i64> = rows.iter().map(|r| r.workshop_id).collect();
    let account_ids: Vec<i64> = rows.iter().map(|r| r.streamer_account_id).collect();
    let workshops: HashMap<i64, String> = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(workshop_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let accounts: HashMap<i64, String> = account::Entity::find()
        .filter(account::Column::Id.is_in(account_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| SessionView {
            id: r.id,
            workshop_id: r.workshop_id,
            workshop_name: workshops.get(&r.workshop_id).cloned().unwrap_or_default(),
            streamer_account_id: r.streamer_account_id,
            streamer_name: accounts
                .get(&r.streamer_account_id)
                .cloned()
                .unwrap_or_default(),
            status: status_of(&r),
            title: r.title,
            cover_url: r.cover_url,
            description: r.description,
            scheduled_start_at: r.scheduled_start_at,
            started_at: r.started_at,
            ended_at: r.ended_at,
            explaining_item_id: r.explaining_item_id,
            peak_viewers: r.peak_viewers,
            unique_viewers: r.unique_viewers,
            signed_in_viewers: r.signed_in_viewers,
            anonymous_viewers: r.anonymous_viewers,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The showcase, first to last.
pub async fn items_of(
    db: &impl ConnectionTrait,
    session: &live_session::Model,
) -> AppResult<Vec<PinnedItemView>> {
    let rows = pinned_rows(db, session.id).await?;
    let priced = load_priced(db, rows.iter().map(|r| r.sku_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let item = priced.get(&row.sku_id)?;
            Some(item_view(session, row, item))
        })
        .collect())
}

fn item_view(
    session: &live_session::Model,
    row: live_pinned_item::Model,
    Priced { sku, product }: &Priced,
) -> PinnedItemView {
    PinnedItemView {
        id: row.id,
        session_id: row.session_id,
        sku_id: sku.id,
        product_id: product.id,
        product_title: product.title.clone(),
        sku_name: sku.name.clone(),
        unit: sku.unit.clone(),
        image_url: serde_json::from_str::<Vec<String>>(&product.images)
            .ok()
            .and_then(|images| images.into_iter().next()),
        normal_price_fen: sku.price_fen,
        live_price_fen: row.live_price_fen,
        price_fen: effective_price(row.live_price_fen, sku.price_fen),
        is_common_prosperity: sku.is_common_prosperity,
        live_stock_cap: row.live_stock_cap,
        sold_units: row.sold_units,
        position: row.position,
        explaining: session.explaining_item_id == Some(row.id),
        pinned_at: row.pinned_at,
    }
}

pub async fn one_item(
    db: &impl ConnectionTrait,
    session: &live_session::Model,
    row: live_pinned_item::Model,
) -> AppResult<PinnedItemView> {
    let priced = load_priced(db, vec![row.sku_id]).await?;
    let item = priced
        .get(&row.sku_id)
        .ok_or_else(|| AppError::not_found("SKU"))?;
    Ok(item_view(session, row, item))
}

pub async fn pinned_rows(
    db: &impl ConnectionTrait,
    session_id: i64,
) -> AppResult<Vec<live_pinned_item::Model>> {
    Ok(live_pinned_item::Entity::find()
        .filter(live_pinned_item::Column::SessionId.eq(session_id))
        .filter(live_pinned_item::Column::UnpinnedAt.is_null())
        .order_by_asc(live_pinned_item::Column::Position)
        .order_by_asc(live_pinned_item::Column::Id)
        .all(db)
        .await?)
}

pub async fn sku_of(db: &impl ConnectionTrait, sku_id: i64) -> AppResult<sku::Model> {
    sku::Entity::find_by_id(sku_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("SKU"))
}

/// The page size a listing asks for, clamped like every other listing.
pub fn page_limit(page: &PageQuery) -> AppResult<u64> {
    clamp_limit(page.limit)
}

/// The last session of a page; the next page starts after it.
pub struct SessionCursor {
    pub start: DateTime<Utc>,
    pub id: i64,
}

impl SessionCursor {
    pub fn encode(row: &live_session::Model) -> String {
        let text = format!("s:{}:{}", row.scheduled_start_at.timestamp(), row.id);
        URL_SAFE_NO_PAD.encode(text)
    }

    pub fn decode(cursor: &str) -> AppResult<Self> {
        let invalid = || AppError::invalid("cursor", "not a cursor returned by this API");
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.strip_prefix("s:").ok_or_else(invalid)?.split(':');
        let secs: i64 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(invalid)?;
        let id: i64 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(invalid)?;
        let start = DateTime::from_timestamp(secs, 0).ok_or_else(invalid)?;
        Ok(Self { start, id })
    }
}
