//! Campaign rules: created as a draft (validated whole), opened with stock set
//! aside per item, cut off early, cancelled (everyone refunded) or completed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::model::{CampaignItemView, CampaignView, CreateCampaignRequest, Tier};
use super::{points, progress, settlement, tiers};
use crate::entity::{groupbuy_campaign, groupbuy_campaign_point, groupbuy_item, sku};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::allotments;
use crate::platform::pagination::{Page, PageRequest};
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

pub const MAX_ITEMS: usize = 10;
pub const MAX_POINTS: usize = 50;

pub async fn create(
    state: &AppState,
    workshop_id: i64,
    actor_id: i64,
    req: CreateCampaignRequest,
) -> AppResult<CampaignView> {
    let opens_at = req.opens_at.unwrap_or_else(Utc::now);
    check_request(&req, opens_at)?;
    check_references(&state.db, workshop_id, &req).await?;
    let txn = db::begin_write(&state.db).await?;
    let row = groupbuy_campaign::ActiveModel {
        workshop_id: Set(workshop_id),
        title: Set(req.title.trim().to_owned()),
        min_total_units: Set(req.min_total_units),
        per_buyer_limit: Set(req.per_buyer_limit),
        opens_at: Set(opens_at),
        cuts_off_at: Set(req.cuts_off_at),
        pickup_date: Set(req.pickup_date),
        commission_bps: Set(req.commission_bps),
        status: Set("draft".into()),
        joins: Set(0),
        created_by: Set(actor_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for item in &req.items {
        groupbuy_item::ActiveModel {
            campaign_id: Set(row.id),
            sku_id: Set(item.sku_id),
            base_price_fen: Set(item.base_price_fen),
            tiers: Set(json!(item.tiers).to_string()),
            quantity: Set(item.quantity),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for point_id in &req.pickup_point_ids {
        groupbuy_campaign_point::ActiveModel {
            campaign_id: Set(row.id),
            pickup_point_id: Set(*point_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    get(&state.db, row.id).await
}

fn check_request(req: &CreateCampaignRequest, opens_at: DateTime<Utc>) -> AppResult<()> {
    let mut check = Check::new();
    check
        .text("title", &req.title, 1, 100)
        .range("min_total_units", req.min_total_units, 1, 10_000_000)
        .range("per_buyer_limit", req.per_buyer_limit.into(), 1, 999)
        .range("commission_bps", req.commission_bps.into(), 0, 5000);
    if req.items.is_empty() || req.items.len() > MAX_ITEMS {
        check.fail("items", format!("must have 1 to {MAX_ITEMS} items"));
    }
    let mut skus = HashSet::new();
    for (i, item) in req.items.iter().enumerate() {
        let field = |name: &str| format!("items[{i}].{name}");
        check
            .range(
                &field("base_price_fen"),
                item.base_price_fen,
                1,
                100_000_000,
            )
            .range(&field("quantity"), item.quantity, 1, 1_000_000);
        if !skus.insert(item.sku_id) {
            check.fail(&field("sku_id"), "a SKU appears once per campaign");
        }
        tiers::check_tiers(
            &mut check,
            &field("tiers"),
            item.base_price_fen,
            &item.tiers,
        );
    }
    let allotted: i64 = req.items.iter().map(|i| i.quantity.max(0)).sum();
    if req.min_total_units > allotted {
        check.fail(
            "min_total_units",
            "must not exceed the units allotted to the items",
        );
    }
    if req.cuts_off_at <= opens_at {
        check.fail("cuts_off_at", "must be after opens_at");
    } else if req.cuts_off_at <= Utc::now() {
        check.fail("cuts_off_at", "must be in the future");
    }
    if req.pickup_date < req.cuts_off_at.date_naive() {
        check.fail("pickup_date", "must not be before the cut-off day");
    }
    let unique: HashSet<_> = req.pickup_point_ids.iter().collect();
    if req.pickup_point_ids.is_empty() || req.pickup_point_ids.len() > MAX_POINTS {
        check.fail(
            "pickup_point_ids",
            format!("must name 1 to {MAX_POINTS} pickup points"),
        );
    } else if unique.len() != req.pickup_point_ids.len() {
        check.fail("pickup_point_ids", "must not repeat a pickup point");
    }
    check.finish()
}

/// Every SKU and pickup point must be the workshop's own.
async fn check_references(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    req: &CreateCampaignRequest,
) -> AppResult<()> {
    let mut check = Check::new();
    let sku_ids: Vec<i64> = req.items.iter().map(|i| i.sku_id).collect();
    let known: HashSet<i64> = sku::Entity::find()
        .filter(sku::Column::WorkshopId.eq(workshop_id))
        .filter(sku::Column::Id.is_in(sku_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    for (i, item) in req.items.iter().enumerate() {
        if !known.contains(&item.sku_id) {
            check.fail(&format!("items[{i}].sku_id"), "not a SKU of this workshop");
        }
    }
    let points: HashSet<i64> = points::points_of_workshop(db, workshop_id)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    for (i, id) in req.pickup_point_ids.iter().enumerate() {
        if !points.contains(id) {
            check.fail(
                &format!("pickup_point_ids[{i}]"),
                "not a pickup point of this workshop",
            );
        }
    }
    check.finish()
}

/// Draft → open: each item's units are set aside from its SKU (all or none).
pub async fn open(state: &AppState, workshop_id: i64, campaign_id: i64) -> AppResult<CampaignView> {
    let campaign = find(&state.db, workshop_id, campaign_id).await?;
    if campaign.cuts_off_at <= Utc::now() {
        return Err(AppError::new(
            ErrorCode::CampaignClosed,
            "the cut-off has passed",
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    let opened = changed(
        &txn,
        "UPDATE groupbuy_campaigns SET status = 'open' WHERE id = $1 AND status = 'draft'",
        vec![campaign_id.into()],
    )
    .await?;
    if !opened {
        return Err(not_in("a draft", &campaign));
    }
    for item in items_of(&txn, campaign_id).await? {
        let held =
            allotments::allot(&txn, workshop_id, item.sku_id, "campaign", item.quantity).await?;
        changed(
            &txn,
            "UPDATE groupbuy_items SET allotment_id = $1 WHERE id = $2",
            vec![held.id.into(), item.id.into()],
        )
        .await?;
    }
    let view = get(&txn, campaign_id).await?;
    outbox::enqueue(
        &txn,
        workshop_id,
        "groupbuy.opened",
        &resource_key(campaign_id),
        &view,
    )
    .await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    progress::forget(state, campaign_id).await;
    Ok(view)
}

/// Moves an open campaign's cut-off to now and settles it.
pub async fn cut_off_now(
    state: &AppState,
    workshop_id: i64,
    campaign_id: i64,
) -> AppResult<CampaignView> {
    let campaign = find(&state.db, workshop_id, campaign_id).await?;
    let moved = changed(
        &state.db,
        "UPDATE groupbuy_campaigns SET cuts_off_at = $1 WHERE id = $2 AND status = 'open' AND cuts_off_at > $1",
        vec![Utc::now().into(), campaign_id.into()],
    )
    .await?;
    if !moved && campaign.status != "open" {
        return Err(not_in("an open", &campaign));
    }
    if !settlement::settle_campaign(state, campaign_id).await? {
        // The settlement job (here or on another instance) claimed it first.
        return settled_view(state, campaign_id).await;
    }
    get(&state.db, campaign_id).await
}

/// How long a cut-off waits for a settlement another worker is running.
const SETTLEMENT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// The campaign once it has left `settling`, or as it stands after
/// `SETTLEMENT_PATIENCE` (still `settling`: the caller can poll it).
async fn settled_view(state: &AppState, campaign_id: i64) -> AppResult<CampaignView> {
    let deadline = tokio::time::Instant::now() + SETTLEMENT_PATIENCE;
    loop {
        let view = get(&state.db, campaign_id).await?;
        if view.status != "settling" || tokio::time::Instant::now() >= deadline {
            return Ok(view);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A draft is simply cancelled; an open campaign is settled as cancelled:
/// unpaid orders cancelled, paid ones refunded in full, stock back to the SKUs.
pub async fn cancel(
    state: &AppState,
    workshop_id: i64,
    campaign_id: i64,
) -> AppResult<CampaignView> {
    let campaign = find(&state.db, workshop_id, campaign_id).await?;
    let dropped = changed(
        &state.db,
        "UPDATE groupbuy_campaigns SET status = 'cancelled', settled_at = $1 WHERE id = $2 AND status = 'draft'",
        vec![Utc::now().into(), campaign_id.into()],
    )
    .await?;
    if !dropped && !settlement::cancel_open(state, campaign_id).await? {
        return Err(not_in("a draft or open", &campaign));
    }
    progress::forget(state, campaign_id).await;
    get(&state.db, campaign_id).await
}

/// Succeeded or failed → completed (archived); a successful one only once
/// its pickup day has passed.
pub async fn complete(
    state: &AppState,
    workshop_id: i64,
    campaign_id: i64,
) -> AppResult<CampaignView> {
    let campaign = find(&state.db, workshop_id, campaign_id).await?;
    let today = Utc::now().date_naive();
    let allowed = campaign.status == "failed"
        || (campaign.status == "succeeded" && today > campaign.pickup_date);
    let done = allowed
        && changed(
            &state.db,
            "UPDATE groupbuy_campaigns SET status = 'completed' WHERE id = $1 AND status = $2",
            vec![campaign_id.into(), campaign.status.clone().into()],
        )
        .await?;
    if !done {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "only a failed campaign, or a succeeded one after its pickup day, can be completed",
        ));
    }
    get(&state.db, campaign_id).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    page: PageRequest,
) -> AppResult<Page<CampaignView>> {
    let query = groupbuy_campaign::Entity::find()
        .filter(groupbuy_campaign::Column::WorkshopId.eq(workshop_id));
    let rows = page
        .keyset(query, groupbuy_campaign::Column::Id)
        .all(db)
        .await?;
    let page = Page::from_rows(rows, page, |c| c.id);
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        items.push(view(db, row).await?);
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// A campaign the public may see (drafts are the workshop's own business).
pub async fn get_published(db: &impl ConnectionTrait, campaign_id: i64) -> AppResult<CampaignView> {
    let view = get(db, campaign_id).await?;
    if view.status == "draft" {
        return Err(AppError::not_found("campaign"));
    }
    Ok(view)
}

/// One campaign, drafts included.
pub async fn get(db: &impl ConnectionTrait, campaign_id: i64) -> AppResult<CampaignView> {
    let row = groupbuy_campaign::Entity::find_by_id(campaign_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    view(db, row).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    campaign_id: i64,
) -> AppResult<groupbuy_campaign::Model> {
    groupbuy_campaign::Entity::find_by_id(campaign_id)
        .filter(groupbuy_campaign::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))
}

pub async fn items_of(
    db: &impl ConnectionTrait,
    campaign_id: i64,
) -> AppResult<Vec<groupbuy_item::Model>> {
    Ok(groupbuy_item::Entity::find()
        .filter(groupbuy_item::Column::CampaignId.eq(campaign_id))
        .order_by_asc(groupbuy_item::Column::Id)
        .all(db)
        .await?)
}

pub async fn point_ids_of(db: &impl ConnectionTrait, campaign_id: i64) -> AppResult<Vec<i64>> {
    Ok(groupbuy_campaign_point::Entity::find()
        .select_only()
        .column(groupbuy_campaign_point::Column::PickupPointId)
        .filter(groupbuy_campaign_point::Column::CampaignId.eq(campaign_id))
        .order_by_asc(groupbuy_campaign_point::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

pub fn tiers_of(item: &groupbuy_item::Model) -> Vec<Tier> {
    serde_json::from_str(&item.tiers).unwrap_or_default()
}

pub fn resource_key(campaign_id: i64) -> String {
    format!("groupbuy:{campaign_id}")
}

fn not_in(expected: &str, campaign: &groupbuy_campaign::Model) -> AppError {
    AppError::new(
        ErrorCode::InvalidTransition,
        format!(
            "the campaign is {}, not {expected} campaign",
            campaign.status
        ),
    )
}

async fn view(db: &impl ConnectionTrait, c: groupbuy_campaign::Model) -> AppResult<CampaignView> {
    let items = items_of(db, c.id)
        .await?
        .into_iter()
        .map(|i| CampaignItemView {
            id: i.id,
            sku_id: i.sku_id,
            base_price_fen: i.base_price_fen,
            tiers: tiers_of(&i),
            quantity: i.quantity,
            final_price_fen: i.final_price_fen,
            units_paid: i.units_paid,
        })
        .collect();
    Ok(CampaignView {
        pickup_point_ids: point_ids_of(db, c.id).await?,
        id: c.id,
        workshop_id: c.workshop_id,
        title: c.title,
        status: c.status,
        items,
        min_total_units: c.min_total_units,
        per_buyer_limit: c.per_buyer_limit,
        opens_at: c.opens_at,
        cuts_off_at: c.cuts_off_at,
        pickup_date: c.pickup_date,
        commission_bps: c.commission_bps,
        settled_at: c.settled_at,
    })
}
