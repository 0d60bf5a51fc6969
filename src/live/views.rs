//! Session rows to views (workshop and streamer names fetched in batches), and
//! the keyset cursor of session listings: (scheduled start, id).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::model::SessionView;
use super::service::status_of;
use crate::entity::{account, live_session, workshop};
use crate::error::{AppError, AppResult};
use crate::platform::pagination::{DEFAULT_LIMIT, MAX_LIMIT, PageQuery};

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
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The page size a listing asks for, clamped like every other listing.
pub fn page_limit(page: &PageQuery) -> u64 {
    page.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
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
