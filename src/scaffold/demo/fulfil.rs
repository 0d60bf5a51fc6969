//! Demo fulfilment through the services staff use: pick waves (lots FEFO, so
//! the ledger splits each sale), packing, shipping or dispatch to a pickup
//! point, and delivery.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::month::concurrently;
use crate::entity::{groupbuy_order, order};
use crate::error::AppResult;
use crate::fulfilment::model::{CreateWaveRequest, PackRequest, ShipRequest, StorageClass};
use crate::fulfilment::shipping::{self, order_lines};
use crate::fulfilment::waves::{create_wave, storage_of};
use crate::orders::status::OrderStatus;
use crate::platform::db;
use crate::state::AppState;

/// Waves every paid order of the workshop (a wave takes at most the configured
/// cap, so as many waves as it takes). Orders the lots cannot cover stay paid.
pub async fn wave_all(state: &AppState, workshop_id: i64, actor_id: i64) -> AppResult<usize> {
    let mut picked = 0;
    for _ in 0..10 {
        let wave = create_wave(
            state,
            workshop_id,
            actor_id,
            CreateWaveRequest {
                ship_by: None,
                storage: None,
                destination: None,
                max_orders: None,
            },
        )
        .await?;
        if wave.orders.is_empty() {
            break;
        }
        picked += wave.orders.len();
    }
    Ok(picked)
}

/// Packs a picked order (cold chain when any line is chilled or frozen).
pub async fn pack(
    state: &AppState,
    workshop_id: i64,
    actor_id: i64,
    order_id: i64,
) -> AppResult<()> {
    let lines = order_lines(&state.db, order_id).await?;
    let units: i64 = lines.iter().map(|l| i64::from(l.quantity)).sum();
    let request = PackRequest {
        package_count: 1,
        weight_g: (650 * units).clamp(300, 200_000),
        cold_chain: storage_of(&lines) != StorageClass::Ambient,
    };
    shipping::pack(state, workshop_id, order_id, actor_id, request).await?;
    Ok(())
}

/// Hands a packed address order to the carrier (a configured one with a
/// waybill number, else booked through the logistics provider), or dispatches
/// a pickup-point order to its point.
pub async fn ship(
    state: &AppState,
    workshop_id: i64,
    actor_id: i64,
    order: &order::Model,
) -> AppResult<()> {
    if order.pickup_point_id.is_some() {
        shipping::dispatch(state, workshop_id, order.id, actor_id).await?;
        return Ok(());
    }
    let secrets = &state.settings.fulfilment.carrier_secrets;
    let request = match ["sf", "zto"].into_iter().find(|c| secrets.contains_key(*c)) {
        Some(carrier) => ShipRequest {
            carrier: carrier.into(),
            tracking_number: Some(format!("{}DEMO{:08}", carrier.to_uppercase(), order.id)),
        },
        None => ShipRequest {
            carrier: "sf".into(),
            tracking_number: None,
        },
    };
    shipping::ship(state, workshop_id, order.id, actor_id, request).await?;
    Ok(())
}

/// Delivers a shipped address order (what a carrier's `delivered` update does);
/// a pickup-point order is collected with its code by the point's leader.
pub async fn deliver(state: &AppState, workshop_id: i64, order: &order::Model) -> AppResult<()> {
    if let Some(point) = order.pickup_point_id {
        let Some(row) = groupbuy_order::Entity::find()
            .filter(groupbuy_order::Column::OrderId.eq(order.id))
            .one(&state.db)
            .await?
        else {
            return Ok(());
        };
        let leader = crate::groupbuys::points::find_point(&state.db, workshop_id, point)
            .await?
            .leader_id;
        let code = row.pickup_code.unwrap_or_default();
        crate::groupbuys::pickup::verify(state, workshop_id, leader, point, &code).await?;
        return Ok(());
    }
    let txn = db::begin_write(&state.db).await?;
    shipping::deliver_in(&txn, order.id, chrono::Utc::now(), None).await?;
    txn.commit().await?;
    crate::platform::outbox::committed(&state.bus).await;
    Ok(())
}

/// The workshop's orders in `status`, oldest first.
pub async fn orders_in(
    state: &AppState,
    workshop_id: i64,
    status: OrderStatus,
) -> AppResult<Vec<order::Model>> {
    Ok(order::Entity::find()
        .filter(order::Column::WorkshopId.eq(workshop_id))
        .filter(order::Column::Status.eq(status.as_str()))
        .order_by_asc(order::Column::Id)
        .all(&state.db)
        .await?)
}

/// Moves the workshop's picked orders on: all but `keep_picking` are packed,
/// all but `keep_packed` of those shipped, all but `keep_shipped` of those
/// delivered. Returns the delivered orders.
pub async fn advance(
    state: &AppState,
    workshop_id: i64,
    actor_id: i64,
    keep: [usize; 3],
) -> AppResult<Vec<order::Model>> {
    let picking = orders_in(state, workshop_id, OrderStatus::Picking).await?;
    let packed = &picking[..picking.len().saturating_sub(keep[0])];
    concurrently(
        packed
            .iter()
            .map(|o| pack(state, workshop_id, actor_id, o.id)),
    )
    .await?;
    let shipped = &packed[..packed.len().saturating_sub(keep[1])];
    concurrently(
        shipped
            .iter()
            .map(|o| ship(state, workshop_id, actor_id, o)),
    )
    .await?;
    let delivered = &shipped[..shipped.len().saturating_sub(keep[2])];
    concurrently(delivered.iter().map(|o| deliver(state, workshop_id, o))).await?;
    Ok(delivered.to_vec())
}
