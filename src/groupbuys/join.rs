//! Joining a campaign: an ordinary order through the pipeline (same
//! reservation, limits, payment) at the item's base price, drawn from the
//! campaign's allotment. Its guard checks the cut-off with a conditional
//! UPDATE of the campaign row inside the order's transaction, so the
//! settlement's claim of that row waits for it to commit.

use std::sync::Arc;

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Set};

use super::campaigns::{items_of, point_ids_of};
use super::model::JoinRequest;
use super::progress;
use crate::entity::{groupbuy_campaign, groupbuy_item, groupbuy_order, pickup_point};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::idempotency::Claim;
use crate::orders::model::OrderView;
use crate::orders::pipeline::{Channel, Destination, IntentGuard, IntentLine, OrderIntent};
use crate::orders::service::Buyer;
use crate::platform::outbox;
use crate::platform::sql::{changed, statement};
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn join(
    state: &AppState,
    buyer: Buyer<'_>,
    campaign_id: i64,
    req: &JoinRequest,
    claim: Option<Claim>,
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
    let line = IntentLine {
        sku_id: item.sku_id,
        quantity: req.quantity,
        entitled_price_fen: Some(item.base_price_fen),
        known: None,
    };
    let window = Duration::seconds(state.settings.orders.payment_window_secs);
    let mut intent = OrderIntent::new(
        buyer.customer_id,
        campaign.workshop_id,
        vec![line],
        Destination::Pickup(point.id),
        Channel::Groupbuy,
        window,
    );
    intent.buyer_name = buyer.name.to_owned();
    intent.campaign_id = Some(campaign_id);
    intent.allotment_id = item.allotment_id;
    intent.extra_limit = Some((
        format!("campaign:{campaign_id}"),
        campaign.per_buyer_limit.into(),
    ));
    intent.guard = Some(Arc::new(JoinGuard {
        campaign,
        point,
        item_id: item.id,
    }));
    let view = state.orders.place(intent, claim).await?;
    outbox::committed(&state.bus).await;
    progress::forget(state, campaign_id).await;
    Ok(view)
}

/// The campaign's rules inside the order's transaction: its cut-off and the
/// pickup point's capacity are checked, and the join is recorded.
struct JoinGuard {
    campaign: groupbuy_campaign::Model,
    point: pickup_point::Model,
    item_id: i64,
}

#[async_trait::async_trait]
impl IntentGuard for JoinGuard {
    async fn check(&self, txn: &DatabaseTransaction) -> AppResult<()> {
        take_join_slot(txn, &self.campaign).await?;
        check_capacity(txn, &self.point, &self.campaign).await
    }

    async fn placed(&self, txn: &DatabaseTransaction, order: &OrderView) -> AppResult<()> {
        groupbuy_order::ActiveModel {
            order_id: Set(order.id),
            campaign_id: Set(self.campaign.id),
            item_id: Set(self.item_id),
            customer_id: Set(order.customer_id),
            pickup_point_id: Set(self.point.id),
            pickup_date: Set(self.campaign.pickup_date),
            pickup_code: Set(None),
            settlement: Set("joined".into()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(())
    }
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
