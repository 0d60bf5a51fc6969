//! Public campaign progress (units sold, current tier, units to the next tier,
//! time left), computed from the allotments and cached briefly in the shared cache.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::campaigns::{items_of, tiers_of};
use super::model::{CampaignProgress, ItemProgress};
use super::tiers::{next_tier, price_at};
use crate::entity::{allotment, groupbuy_campaign, groupbuy_item};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn key(campaign_id: i64) -> String {
    format!("groupbuy:progress:{campaign_id}")
}

pub async fn progress(state: &AppState, campaign_id: i64) -> AppResult<CampaignProgress> {
    if let Some(bytes) = state.cache.get(&key(campaign_id)).await
        && let Ok(cached) = serde_json::from_slice(&bytes)
    {
        return Ok(cached);
    }
    let fresh = compute(&state.db, campaign_id).await?;
    if let Ok(bytes) = serde_json::to_vec(&fresh) {
        let ttl = Duration::from_secs(state.settings.groupbuys.progress_cache_secs.max(1));
        state.cache.set(&key(campaign_id), &bytes, ttl).await;
    }
    Ok(fresh)
}

/// Drops the cached progress after a join, cancellation or settlement.
pub async fn forget(state: &AppState, campaign_id: i64) {
    state.cache.delete(&[key(campaign_id)]).await;
}

pub async fn compute(db: &impl ConnectionTrait, campaign_id: i64) -> AppResult<CampaignProgress> {
    let campaign = groupbuy_campaign::Entity::find_by_id(campaign_id)
        .one(db)
        .await?
        .filter(|c| c.status != "draft")
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let items = items_of(db, campaign_id).await?;
    let ids: Vec<i64> = items.iter().filter_map(|i| i.allotment_id).collect();
    let held = allotment::Entity::find()
        .filter(allotment::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let items: Vec<ItemProgress> = items
        .iter()
        .map(|item| {
            let held = held.iter().find(|a| Some(a.id) == item.allotment_id);
            item_progress(item, held)
        })
        .collect();
    let now = Utc::now();
    Ok(CampaignProgress {
        campaign_id,
        accepting_orders: campaign.status == "open"
            && campaign.opens_at <= now
            && now < campaign.cuts_off_at,
        units_sold: items.iter().map(|i| i.units_sold).sum(),
        min_total_units: campaign.min_total_units,
        items,
        seconds_left: (campaign.cuts_off_at - now).num_seconds().max(0),
        status: campaign.status,
        cuts_off_at: campaign.cuts_off_at,
        computed_at: now,
    })
}

/// Settled items report their paid units; open ones what their allotment has given out.
fn item_progress(item: &groupbuy_item::Model, held: Option<&allotment::Model>) -> ItemProgress {
    let (sold, left) = match (item.units_paid, held) {
        (Some(paid), _) => (paid, 0),
        (None, Some(a)) if a.open => (a.quantity - a.remaining, a.remaining),
        _ => (0, item.quantity),
    };
    let tiers = tiers_of(item);
    let next = next_tier(&tiers, sold);
    ItemProgress {
        item_id: item.id,
        sku_id: item.sku_id,
        units_sold: sold,
        units_left: left,
        current_price_fen: item
            .final_price_fen
            .unwrap_or_else(|| price_at(item.base_price_fen, &tiers, sold)),
        units_to_next_tier: next.map(|t| t.min_units - sold),
        next_tier_price_fen: next.map(|t| t.price_fen),
    }
}
