//! Packing, shipping with a carrier, dispatch to a pickup point, and delivery
//! (from a signed carrier update or a pickup verification). Every step is a
//! conditional order transition with its shipment record and outbox event.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::model::{
    CarrierUpdate, PackRequest, PackingView, ShipRequest, ShipmentEventView, ShipmentView,
    StorageClass,
};
use super::signature::verify_carrier_signature;
use super::waves::{close_wave_if_done, storage_of};
use secrecy::ExposeSecret;

use crate::entity::{order, order_line, packing, shipment, shipment_event};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::integrations::logistics::ShipmentRequest;
use crate::orders::queries::{Viewer, find_order};
use crate::orders::service::{resource_key, transition};
use crate::orders::status::OrderStatus;
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

const CARRIER_STATUSES: [&str; 3] = ["in_transit", "delivered", "exception"];

pub async fn pack(
    state: &AppState,
    workshop_id: i64,
    order_id: i64,
    actor_id: i64,
    request: PackRequest,
) -> AppResult<PackingView> {
    Check::new()
        .range("package_count", request.package_count, 1, 50)
        .range("weight_g", request.weight_g, 1, 200_000)
        .finish()?;
    let order = find_order(&state.db, Viewer::Workshop(workshop_id), order_id).await?;
    let lines = order_lines(&state.db, order.id).await?;
    if storage_of(&lines) != StorageClass::Ambient && !request.cold_chain {
        return Err(AppError::new(
            ErrorCode::ColdChainRequired,
            "this order has chilled or frozen lines: pack it in cold-chain packaging",
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    move_order(
        &txn,
        &order,
        OrderStatus::Picking,
        OrderStatus::Packed,
        actor_id,
    )
    .await?;
    let row = packing::ActiveModel {
        workshop_id: Set(workshop_id),
        order_id: Set(order.id),
        package_count: Set(request.package_count as i32),
        weight_g: Set(request.weight_g as i32),
        cold_chain: Set(request.cold_chain),
        packed_by: Set(actor_id),
        packed_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let data = json!({"order_id": order.id, "package_count": row.package_count,
        "weight_g": row.weight_g, "cold_chain": row.cold_chain});
    outbox::enqueue(
        &txn,
        workshop_id,
        "order.packed",
        &resource_key(order.id),
        &data,
    )
    .await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    Ok(PackingView {
        order_id: order.id,
        status: OrderStatus::Packed,
        package_count: row.package_count.into(),
        weight_g: row.weight_g.into(),
        cold_chain: row.cold_chain,
        packed_at: row.packed_at,
    })
}

/// Hands an address order to a carrier.
pub async fn ship(
    state: &AppState,
    workshop_id: i64,
    order_id: i64,
    actor_id: i64,
    request: ShipRequest,
) -> AppResult<ShipmentView> {
    let mut check = Check::new();
    check.text("carrier", &request.carrier, 1, 32);
    if let Some(tracking_number) = &request.tracking_number {
        check.text("tracking_number", tracking_number, 1, 64);
        if !state
            .settings
            .fulfilment
            .carrier_secrets
            .contains_key(&request.carrier)
        {
            check.fail("carrier", "not a configured carrier");
        }
    }
    check.finish()?;
    let order = find_order(&state.db, Viewer::Workshop(workshop_id), order_id).await?;
    if order.pickup_point_id.is_some() {
        return Err(AppError::new(
            ErrorCode::WrongDestination,
            "a pickup-point order is dispatched to its pickup point, not shipped",
        ));
    }
    let request = if request.tracking_number.is_some() {
        request
    } else {
        book_with_provider(state, &order, &request.carrier).await?
    };
    let txn = db::begin_write(&state.db).await?;
    move_order(
        &txn,
        &order,
        OrderStatus::Packed,
        OrderStatus::Shipped,
        actor_id,
    )
    .await?;
    let row = insert_shipment(
        &txn,
        &order,
        "carrier",
        Some(&request),
        actor_id,
        "handed to the carrier",
    )
    .await?;
    let data = json!({"order_id": order.id, "carrier": request.carrier,
        "tracking_number": request.tracking_number});
    outbox::enqueue(
        &txn,
        workshop_id,
        "order.shipped",
        &resource_key(order.id),
        &data,
    )
    .await?;
    close_wave_if_done(&txn, order.id).await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    shipment_view(&state.db, row).await
}

/// Books a packed order's parcel with the logistics provider (once per order:
/// the provider answers a repeated reference with the same booking).
async fn book_with_provider(
    state: &AppState,
    order: &order::Model,
    carrier: &str,
) -> AppResult<ShipRequest> {
    if order.status != OrderStatus::Packed.as_str() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "only a packed order can be shipped",
        ));
    }
    let packing = packing::Entity::find()
        .filter(packing::Column::OrderId.eq(order.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidTransition, "pack the order first"))?;
    let address: serde_json::Value = order
        .address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    let field = |name: &str| address[name].as_str().unwrap_or_default().to_owned();
    let booking = state
        .logistics
        .book(ShipmentRequest {
            reference: format!("order-{}", order.id),
            carrier: Some(carrier.to_owned()),
            cold_chain: packing.cold_chain,
            packages: packing.package_count,
            weight_g: packing.weight_g.into(),
            recipient: field("name"),
            phone: field("phone"),
            address: ["province", "city", "district", "detail"]
                .map(field)
                .join(" "),
            notify_url: String::new(),
        })
        .await?;
    Ok(ShipRequest {
        carrier: booking.carrier,
        tracking_number: Some(booking.tracking_number),
    })
}

/// Sends a group-buy order to its pickup point: the order is `shipped` and
/// `order.ready_for_pickup` tells the group-buy side it can be collected.
pub async fn dispatch(
    state: &AppState,
    workshop_id: i64,
    order_id: i64,
    actor_id: i64,
) -> AppResult<ShipmentView> {
    let order = find_order(&state.db, Viewer::Workshop(workshop_id), order_id).await?;
    let Some(pickup_point_id) = order.pickup_point_id else {
        return Err(AppError::new(
            ErrorCode::WrongDestination,
            "an address order ships with a carrier; it has no pickup point",
        ));
    };
    let txn = db::begin_write(&state.db).await?;
    move_order(
        &txn,
        &order,
        OrderStatus::Packed,
        OrderStatus::Shipped,
        actor_id,
    )
    .await?;
    let row = insert_shipment(
        &txn,
        &order,
        "pickup_point",
        None,
        actor_id,
        "dispatched to the pickup point",
    )
    .await?;
    let key = resource_key(order.id);
    let data = json!({"order_id": order.id, "pickup_point_id": pickup_point_id,
        "campaign_id": order.campaign_id, "customer_id": order.customer_id});
    outbox::enqueue(&txn, workshop_id, "order.shipped", &key, &data).await?;
    outbox::enqueue(&txn, workshop_id, "order.ready_for_pickup", &key, &data).await?;
    close_wave_if_done(&txn, order.id).await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    shipment_view(&state.db, row).await
}

async fn move_order(
    db: &impl ConnectionTrait,
    order: &order::Model,
    from: OrderStatus,
    to: OrderStatus,
    actor_id: i64,
) -> AppResult<()> {
    let reason = format!("{} by fulfilment", to.as_str());
    if transition(db, order.id, from, to, Some(actor_id), &reason).await? {
        return Ok(());
    }
    Err(AppError::new(
        ErrorCode::InvalidTransition,
        format!(
            "the order is {}; only a {} order can become {}",
            order.status,
            from.as_str(),
            to.as_str()
        ),
    ))
}

async fn insert_shipment(
    db: &impl ConnectionTrait,
    order: &order::Model,
    kind: &str,
    carrier: Option<&ShipRequest>,
    actor_id: i64,
    detail: &str,
) -> AppResult<shipment::Model> {
    let now = Utc::now();
    let row = shipment::ActiveModel {
        workshop_id: Set(order.workshop_id),
        order_id: Set(order.id),
        kind: Set(kind.to_owned()),
        carrier: Set(carrier.map(|c| c.carrier.clone())),
        tracking_number: Set(carrier.and_then(|c| c.tracking_number.clone())),
        pickup_point_id: Set(order.pickup_point_id),
        status: Set("shipped".into()),
        shipped_by: Set(actor_id),
        shipped_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    insert_event(db, row.id, "shipped", detail, now).await?;
    Ok(row)
}

async fn insert_event(
    db: &impl ConnectionTrait,
    shipment_id: i64,
    status: &str,
    detail: &str,
    occurred_at: DateTime<Utc>,
) -> AppResult<()> {
    shipment_event::ActiveModel {
        shipment_id: Set(shipment_id),
        status: Set(status.to_owned()),
        detail: Set(detail.chars().take(200).collect()),
        occurred_at: Set(occurred_at),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A carrier's signed tracking update; `delivered` delivers the order. A
/// repeated update is recorded again but delivers only once.
pub async fn carrier_update(
    state: &AppState,
    carrier: &str,
    signature: Option<&str>,
    body: &[u8],
) -> AppResult<ShipmentView> {
    let secret = state
        .settings
        .fulfilment
        .carrier_secrets
        .get(carrier)
        .ok_or_else(|| AppError::not_found("carrier"))?;
    verify_carrier_signature(secret.expose_secret(), body, signature)?;
    let update: CarrierUpdate = serde_json::from_slice(body)
        .map_err(|e| AppError::new(ErrorCode::InvalidBody, format!("carrier update: {e}")))?;
    apply_update(state, carrier, update).await
}

/// A tracking update relayed by the logistics provider, verified by its adapter.
pub async fn provider_update(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> AppResult<ShipmentView> {
    let update = state.logistics.parse_update(signature, body)?;
    let carrier = update.carrier.clone();
    let update = CarrierUpdate {
        tracking_number: update.tracking_number,
        status: update.status,
        detail: update.detail,
        occurred_at: Some(update.occurred_at),
    };
    apply_update(state, &carrier, update).await
}

async fn apply_update(
    state: &AppState,
    carrier: &str,
    update: CarrierUpdate,
) -> AppResult<ShipmentView> {
    let mut check = Check::new();
    check
        .text("tracking_number", &update.tracking_number, 1, 64)
        .text("detail", &update.detail, 0, 200);
    if !CARRIER_STATUSES.contains(&update.status.as_str()) {
        check.fail("status", "must be in_transit, delivered or exception");
    }
    check.finish()?;
    let row = shipment::Entity::find()
        .filter(shipment::Column::Carrier.eq(carrier))
        .filter(shipment::Column::TrackingNumber.eq(&update.tracking_number))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("shipment"))?;
    let occurred_at = update.occurred_at.unwrap_or_else(Utc::now);
    let txn = db::begin_write(&state.db).await?;
    insert_event(&txn, row.id, &update.status, &update.detail, occurred_at).await?;
    if update.status == "delivered" {
        deliver_in(&txn, row.order_id, occurred_at, None).await?;
    } else {
        changed(
            &txn,
            "UPDATE shipments SET status = $1 WHERE id = $2 AND status <> 'delivered'",
            vec![update.status.clone().into(), row.id.into()],
        )
        .await?;
    }
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    let row = find_shipment(&state.db, row.order_id).await?;
    shipment_view(&state.db, row).await
}

/// Delivers a shipped order once: its shipment (if any) is marked delivered,
/// the order moves shipped → delivered and `order.delivered` is enqueued.
/// Group-buy pickup verification calls this inside its own transaction.
/// Returns false when the order was not (or no longer) shipped.
pub async fn deliver_in(
    db: &impl ConnectionTrait,
    order_id: i64,
    occurred_at: DateTime<Utc>,
    actor_id: Option<i64>,
) -> AppResult<bool> {
    let moved = transition(
        db,
        order_id,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        actor_id,
        "delivered",
    )
    .await?;
    if !moved {
        return Ok(false);
    }
    changed(
        db,
        "UPDATE shipments SET status = 'delivered', delivered_at = $1 WHERE order_id = $2",
        vec![occurred_at.into(), order_id.into()],
    )
    .await?;
    let order = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    let data = json!({"order_id": order_id, "delivered_at": occurred_at,
        "pickup_point_id": order.pickup_point_id});
    outbox::enqueue(
        db,
        order.workshop_id,
        "order.delivered",
        &resource_key(order_id),
        &data,
    )
    .await?;
    Ok(true)
}

pub async fn get_shipment(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    order_id: i64,
) -> AppResult<ShipmentView> {
    find_order(db, Viewer::Workshop(workshop_id), order_id).await?;
    let row = find_shipment(db, order_id).await?;
    shipment_view(db, row).await
}

async fn find_shipment(db: &impl ConnectionTrait, order_id: i64) -> AppResult<shipment::Model> {
    shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("shipment"))
}

async fn shipment_view(db: &impl ConnectionTrait, row: shipment::Model) -> AppResult<ShipmentView> {
    let events = shipment_event::Entity::find()
        .filter(shipment_event::Column::ShipmentId.eq(row.id))
        .order_by_asc(shipment_event::Column::Id)
        .all(db)
        .await?;
    let order = order::Entity::find_by_id(row.order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    Ok(ShipmentView {
        id: row.id,
        order_id: row.order_id,
        order_status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled),
        kind: row.kind,
        carrier: row.carrier,
        tracking_number: row.tracking_number,
        pickup_point_id: row.pickup_point_id,
        status: row.status,
        shipped_at: row.shipped_at,
        delivered_at: row.delivered_at,
        events: events
            .into_iter()
            .map(|e| ShipmentEventView {
                status: e.status,
                detail: e.detail,
                occurred_at: e.occurred_at,
            })
            .collect(),
    })
}

pub async fn order_lines(
    db: &impl ConnectionTrait,
    order_id: i64,
) -> AppResult<Vec<order_line::Model>> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?)
}
