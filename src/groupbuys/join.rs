//! Joining a campaign: an ordinary order (same reservation, limits, payment)
//! at the item's base price, drawn from the campaign's allotment. The cut-off
//! is checked by a conditional UPDATE of the campaign row inside the order's
//! transaction, so the settlement's claim of that row waits for it to commit.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::campaigns::{items_of, point_ids_of};
use super::model::JoinRequest;
use super::progress;
use crate::entity::{groupbuy_campaign, groupbuy_item, groupbuy_order, pickup_point, workshop};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::idempotency::Claim;
use crate::orders::model::{LineRequest, OrderView};
use crate::orders::service::{PlaceOrder, load_priced, merge_lines, place_in};
use crate::orders::sql::{changed, statement};
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

pub async fn join(
    state: &AppState,
    customer_id: i64,
    campaign_id: i64,
    req: &JoinRequest,
    claim: Option<&Claim>,
) -> AppResult<OrderView> {
    Check::new()
        .range("quantity", req.quantity, 1, 999)
        .finish()?;
    let campaign = groupbuy_campaign::Entity::find_by_id(campaign_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let item = campaign_item(&state.db, campaign_id, req.item_id).await?;
    let point = campaign_point(&state.db, campaign_id, req.pickup_point_id).await?;
    let line = LineRequest {
        sku_id: item.sku_id,
        quantity: req.quantity,
    };
    let lines = merge_lines(&[line], state.settings.orders.max_lines)?;
    let priced = load_priced(&state.db, vec![item.sku_id]).await?;
    let shop = workshop::Entity::find_by_id(campaign.workshop_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("workshop"))?;
    let request = PlaceOrder {
        customer_id,
        lines: vec![],
        channel: "groupbuy",
        campaign_id: Some(campaign_id),
        pickup_point_id: Some(point.id),
        entitled_prices: HashMap::from([(item.sku_id, item.base_price_fen)]),
        allotment_id: item.allotment_id,
        extra_limit: Some((
            format!("campaign:{campaign_id}"),
            campaign.per_buyer_limit.into(),
        )),
        ..Default::default()
    };
    let window = Duration::seconds(state.settings.orders.payment_window_secs);
    let txn = db::begin_write(&state.db).await?;
    take_join_slot(&txn, &campaign).await?;
    check_capacity(&txn, &point, &campaign).await?;
    let view = place_in(&txn, &request, &lines, &priced, &shop, window).await?;
    groupbuy_order::ActiveModel {
        order_id: Set(view.id),
        campaign_id: Set(campaign_id),
        item_id: Set(item.id),
        customer_id: Set(customer_id),
        pickup_point_id: Set(point.id),
        pickup_date: Set(campaign.pickup_date),
        pickup_code: Set(None),
        settlement: Set("joined".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(claim) = claim {
        claim
            .complete(&txn, actix_web::http::StatusCode::CREATED, &view)
            .await?;
    }
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    progress::forget(state, campaign_id).await;
    Ok(view)
}

/// Counts the join on the campaign row if it is open and within its window;
/// the row stays locked until the order commits (PostgreSQL), and SQLite
/// serialises writers anyway.
async fn take_join_slot(
    db: &impl ConnectionTrait,
    campaign: &groupbuy_campaign::Model,
) -> AppResult<()> {
    let now = Utc::now();
    let taken = changed(
        db,
        "UPDATE groupbuy_campaigns SET joins = joins + 1 \
         WHERE id = $1 AND status = 'open' AND opens_at <= $2 AND cuts_off_at > $2",
        vec![campaign.id.into(), now.into()],
    )
    .await?;
    if taken {
        Ok(())
    } else if campaign.status == "open" && now < campaign.opens_at {
        Err(AppError::new(
            ErrorCode::CampaignNotStarted,
            "the campaign has not opened yet",
        ))
    } else if campaign.status == "draft" {
        Err(AppError::not_found("campaign"))
    } else {
        Err(AppError::new(
            ErrorCode::CampaignClosed,
            "the campaign no longer takes orders",
        ))
    }
}

/// Orders still due at the point on the pickup day stay within its capacity.
/// The point's row is locked first: joins of different campaigns for the same
/// point and day would otherwise count concurrently and overshoot together.
async fn check_capacity(
    db: &impl ConnectionTrait,
    point: &pickup_point::Model,
    campaign: &groupbuy_campaign::Model,
) -> AppResult<()> {
    changed(
        db,
        "UPDATE pickup_points SET capacity_per_day = capacity_per_day WHERE id = $1",
        vec![point.id.into()],
    )
    .await?;
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT COUNT(*) AS due FROM groupbuy_orders g JOIN orders o ON o.id = g.order_id \
             WHERE g.pickup_point_id = $1 AND g.pickup_date = $2 \
             AND o.status NOT IN ('cancelled', 'refunded')",
            vec![point.id.into(), campaign.pickup_date.into()],
        ))
        .await?;
    let due: i64 = row.map_or(Ok(0), |r| r.try_get("", "due"))?;
    if due >= i64::from(point.capacity_per_day) {
        return Err(AppError::new(
            ErrorCode::PickupPointFull,
            format!("{} is fully booked on {}", point.name, campaign.pickup_date),
        ));
    }
    Ok(())
}

async fn campaign_item(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    item_id: i64,
) -> AppResult<groupbuy_item::Model> {
    items_of(db, campaign_id)
        .await?
        .into_iter()
        .find(|i| i.id == item_id)
        .ok_or_else(|| AppError::invalid("item_id", "not an item of this campaign"))
}

async fn campaign_point(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    point_id: i64,
) -> AppResult<pickup_point::Model> {
    let taking_part = point_ids_of(db, campaign_id).await?.contains(&point_id);
    let point = pickup_point::Entity::find_by_id(point_id).one(db).await?;
    match point {
        Some(point) if taking_part => Ok(point),
        _ => Err(AppError::invalid(
            "pickup_point_id",
            "not a pickup point of this campaign",
        )),
    }
}
