//! Settlement at cut-off, exactly once across instances and crashes. An
//! instance claims the campaign row (conditional UPDATE with a lease and a
//! token); every step commits on its own and renews the lease in the same
//! transaction, so a successor resumes where a crashed settler stopped.
//! Refunds are recorded `pending` before the provider is asked, with the
//! refund id as the provider's idempotency key (`lease`, `order_step`).

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::campaigns::{items_of, resource_key, tiers_of};
use super::lease::Lease;
use super::order_step::settle_order;
use super::{progress, tiers};
use crate::entity::{groupbuy_campaign, groupbuy_item, groupbuy_order, order, order_line};
use crate::error::{AppError, AppResult};
use crate::orders::refunds;
use crate::orders::status::OrderStatus;
use crate::orders::{allotments, expiry};
use crate::platform::outbox;
use crate::platform::sql::{changed, execute};
use crate::state::AppState;

pub const SUCCEEDED: &str = "succeeded";
const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";
/// A group-buy order settled in a succeeded campaign: final price, pickup code.
pub const READY: &str = "ready";

/// Runs until the process stops.
pub async fn run(state: AppState) {
    let interval = StdDuration::from_millis(state.settings.groupbuys.settle_interval_ms.max(10));
    loop {
        tokio::time::sleep(interval).await;
        match settle_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(settled = n, "settled group-buy campaigns"),
            Err(err) => tracing::warn!(error = ?err, "group-buy settlement pass failed"),
        }
    }
}

/// Settles every campaign past its cut-off, and resumes settlements whose
/// settler went silent; returns how many this call finished.
pub async fn settle_due(state: &AppState) -> AppResult<u64> {
    let now = Utc::now();
    let due = groupbuy_campaign::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(groupbuy_campaign::Column::Status.eq("open"))
                        .add(groupbuy_campaign::Column::CutsOffAt.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(groupbuy_campaign::Column::Status.eq("settling"))
                        .add(groupbuy_campaign::Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(groupbuy_campaign::Column::CutsOffAt)
        .all(&state.db)
        .await?;
    let mut settled = 0;
    for campaign in due {
        if settle_campaign(state, campaign.id).await? {
            settled += 1;
        }
    }
    Ok(settled)
}

/// Claims and settles one campaign; false when it is not due or another
/// instance holds a live claim on it.
pub async fn settle_campaign(state: &AppState, campaign_id: i64) -> AppResult<bool> {
    let lease = Lease::new(state, campaign_id);
    let now = Utc::now();
    let won = changed(
        &state.db,
        "UPDATE groupbuy_campaigns SET status = 'settling', settler = $1, lease_until = $2 \
         WHERE id = $3 AND ((status = 'open' AND cuts_off_at <= $4) \
         OR (status = 'settling' AND lease_until < $4))",
        vec![
            lease.token.clone().into(),
            lease.until().into(),
            campaign_id.into(),
            now.into(),
        ],
    )
    .await?;
    if won {
        drive(state, &lease).await?;
    }
    Ok(won)
}

/// Claims an open campaign for cancellation and settles it as cancelled.
pub async fn cancel_open(state: &AppState, campaign_id: i64) -> AppResult<bool> {
    let lease = Lease::new(state, campaign_id);
    let won = changed(
        &state.db,
        "UPDATE groupbuy_campaigns SET status = 'settling', outcome = 'cancelled', settler = $1, \
         lease_until = $2 WHERE id = $3 AND status = 'open'",
        vec![
            lease.token.clone().into(),
            lease.until().into(),
            campaign_id.into(),
        ],
    )
    .await?;
    if won {
        drive(state, &lease).await?;
    }
    Ok(won)
}

/// The settlement's steps, each idempotent, in order.
async fn drive(state: &AppState, lease: &Lease) -> AppResult<()> {
    close_allotments(state, lease).await?;
    cancel_unpaid(state, lease).await?;
    let outcome = decide(state, lease).await?;
    send_pending_refunds(state, lease.campaign_id).await?;
    let items: HashMap<i64, groupbuy_item::Model> = items_of(&state.db, lease.campaign_id)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    for joined in unsettled(&state.db, lease.campaign_id).await? {
        settle_order(state, lease, &outcome, &items, &joined).await?;
        send_pending_refunds_of(state, vec![joined.order_id]).await?;
    }
    finish(state, lease, &outcome).await
}

/// Unsold units go back to the SKUs; units of unpaid orders follow when cancelled.
async fn close_allotments(state: &AppState, lease: &Lease) -> AppResult<()> {
    for item in items_of(&state.db, lease.campaign_id).await? {
        let Some(allotment) = item.allotment_id else {
            continue;
        };
        let txn = lease.begin(state).await?;
        allotments::close(&txn, allotment).await?;
        txn.commit().await?;
    }
    Ok(())
}

async fn cancel_unpaid(state: &AppState, lease: &Lease) -> AppResult<()> {
    let unpaid = order::Entity::find()
        .filter(order::Column::CampaignId.eq(lease.campaign_id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
        .all(&state.db)
        .await?;
    for row in unpaid {
        let txn = lease.begin(state).await?;
        let reason = "the group-buy was cut off before payment";
        expiry::cancel_unpaid(state, &txn, &row, None, reason).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Decides the outcome and final prices once, from the paid units; a resumed
/// settlement reads the decision back.
async fn decide(state: &AppState, lease: &Lease) -> AppResult<String> {
    let txn = lease.begin(state).await?;
    let campaign = groupbuy_campaign::Entity::find_by_id(lease.campaign_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    if let Some(outcome) = &campaign.outcome
        && all_units_set(&txn, lease).await?
    {
        txn.commit().await?;
        return Ok(outcome.clone());
    }
    let items = items_of(&txn, lease.campaign_id).await?;
    let units = paid_units(&txn, lease.campaign_id).await?;
    let total: i64 = units.values().sum();
    let outcome = match campaign.outcome.as_deref() {
        Some(CANCELLED) => CANCELLED,
        _ if total >= campaign.min_total_units => SUCCEEDED,
        _ => FAILED,
    };
    for item in &items {
        let sold = units.get(&item.sku_id).copied().unwrap_or(0);
        let price = (outcome == SUCCEEDED)
            .then(|| tiers::price_at(item.base_price_fen, &tiers_of(item), sold));
        execute(
            &txn,
            "UPDATE groupbuy_items SET units_paid = $1, final_price_fen = $2 WHERE id = $3",
            vec![sold.into(), price.into(), item.id.into()],
        )
        .await?;
    }
    execute(
        &txn,
        "UPDATE groupbuy_campaigns SET outcome = $1 WHERE id = $2",
        vec![outcome.into(), lease.campaign_id.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(outcome.to_owned())
}

/// A cancellation sets its outcome up front; the units are counted here either way.
async fn all_units_set(db: &impl ConnectionTrait, lease: &Lease) -> AppResult<bool> {
    Ok(items_of(db, lease.campaign_id)
        .await?
        .iter()
        .all(|i| i.units_paid.is_some()))
}

/// Paid units per SKU (less units already refunded).
async fn paid_units(db: &impl ConnectionTrait, campaign_id: i64) -> AppResult<HashMap<i64, i64>> {
    let paid = order::Entity::find()
        .filter(order::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|o| OrderStatus::parse(&o.status).is_some_and(|s| s.is_paid_state()))
        .map(|o| o.id)
        .collect::<Vec<_>>();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(paid))
        .all(db)
        .await?;
    let mut units = HashMap::new();
    for line in lines {
        *units.entry(line.sku_id).or_insert(0) += i64::from(line.quantity - line.refunded_quantity);
    }
    Ok(units)
}

async fn unsettled(
    db: &impl ConnectionTrait,
    campaign_id: i64,
) -> AppResult<Vec<groupbuy_order::Model>> {
    Ok(groupbuy_order::Entity::find()
        .filter(groupbuy_order::Column::CampaignId.eq(campaign_id))
        .filter(groupbuy_order::Column::SettledAt.is_null())
        .order_by_asc(groupbuy_order::Column::Id)
        .all(db)
        .await?)
}

async fn send_pending_refunds(state: &AppState, campaign_id: i64) -> AppResult<()> {
    let ids = order::Entity::find()
        .filter(order::Column::CampaignId.eq(campaign_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    send_pending_refunds_of(state, ids).await
}

async fn send_pending_refunds_of(state: &AppState, order_ids: Vec<i64>) -> AppResult<()> {
    for pending in refunds::pending_of(&state.db, order_ids).await? {
        refunds::send_pending(state, pending.id).await?;
    }
    Ok(())
}

async fn finish(state: &AppState, lease: &Lease, outcome: &str) -> AppResult<()> {
    let txn = lease.begin(state).await?;
    execute(
        &txn,
        "UPDATE groupbuy_campaigns SET status = $1, settled_at = $2, settler = NULL, lease_until = NULL \
         WHERE id = $3",
        vec![outcome.into(), Utc::now().into(), lease.campaign_id.into()],
    )
    .await?;
    let campaign = groupbuy_campaign::Entity::find_by_id(lease.campaign_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let items = items_of(&txn, lease.campaign_id).await?;
    let data = json!({
        "campaign_id": campaign.id,
        "outcome": outcome,
        "units_paid": items.iter().filter_map(|i| i.units_paid).sum::<i64>(),
        "items": items.iter().map(|i| json!({"item_id": i.id, "sku_id": i.sku_id,
            "units_paid": i.units_paid, "final_price_fen": i.final_price_fen})).collect::<Vec<_>>(),
    });
    let event = format!("groupbuy.{outcome}");
    outbox::enqueue(
        &txn,
        campaign.workshop_id,
        &event,
        &resource_key(campaign.id),
        &data,
    )
    .await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    progress::forget(state, lease.campaign_id).await;
    Ok(())
}
