//! Buying now, and what every order path shares: merged lines, SKUs with
//! their products, status transitions with their history, and views.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::idempotency::Claim;
use super::model::{CreateOrderRequest, LineRequest, OrderLineView, OrderView};
use super::pipeline::{Channel, Destination, OrderIntent, lines_of};
use super::status::OrderStatus;
use crate::entity::{order, order_event, order_line, product, sku};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;

/// A SKU with what pricing and checks need.
#[derive(Debug, Clone)]
pub struct Priced {
    pub sku: sku::Model,
    pub product: product::Model,
}

/// Buy now: one order of one workshop's SKUs, at the live session's prices
/// when it names one, written by the pipeline.
pub async fn buy_now(
    state: &AppState,
    buyer: Buyer<'_>,
    request: &CreateOrderRequest,
    claim: Option<Claim>,
) -> AppResult<OrderView> {
    let lines = merge_lines(&request.lines, state.settings.orders.max_lines)?;
    let sku_ids: Vec<i64> = lines.keys().copied().collect();
    let owners = state.orders.owners(&state.db, &sku_ids).await?;
    let workshop_id = single_workshop(&owners)?;
    let window = Duration::seconds(state.settings.orders.payment_window_secs);
    let destination = Destination::Address(request.address_id);
    let mut intent = OrderIntent::new(
        buyer.customer_id,
        workshop_id,
        Vec::new(),
        destination,
        Channel::Storefront,
        window,
    );
    intent.buyer_name = buyer.name.to_owned();
    let mut entitled = BTreeMap::new();
    if let Some(session_id) = request.live_session_id {
        let terms = state
            .orders
            .pricing()
            .entitle(&state.db, session_id, &lines)
            .await?;
        intent.channel = Channel::Live;
        intent.live_session_id = Some(session_id);
        intent.streamer_id = terms.streamer_id;
        intent.caps = terms.caps;
        entitled = terms.prices;
    }
    intent.lines = lines_of(&lines, &entitled);
    state.orders.place(intent, claim).await
}

/// Who buys: the customer's account and the name the live feed masks.
#[derive(Debug, Clone, Copy)]
pub struct Buyer<'a> {
    pub customer_id: i64,
    pub name: &'a str,
}

/// Same SKU twice becomes one line; quantities and line counts are bounded.
pub fn merge_lines(lines: &[LineRequest], max_lines: usize) -> AppResult<BTreeMap<i64, i64>> {
    if lines.is_empty() || lines.len() > max_lines {
        return Err(AppError::invalid(
            "lines",
            format!("must have 1 to {max_lines} lines"),
        ));
    }
    let mut merged = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if !(1..=999).contains(&line.quantity) {
            return Err(AppError::invalid(
                &format!("lines[{i}].quantity"),
                "must be between 1 and 999",
            ));
        }
        let total: &mut i64 = merged.entry(line.sku_id).or_default();
        *total += line.quantity;
        if *total > 999 {
            return Err(AppError::invalid(
                &format!("lines[{i}].quantity"),
                "at most 999 of one SKU per order",
            ));
        }
    }
    Ok(merged)
}

pub async fn load_priced(
    db: &impl ConnectionTrait,
    sku_ids: Vec<i64>,
) -> AppResult<HashMap<i64, Priced>> {
    let wanted = sku_ids.len();
    let skus = sku::Entity::find()
        .filter(sku::Column::Id.is_in(sku_ids))
        .all(db)
        .await?;
    if skus.len() != wanted {
        return Err(AppError::new(
            ErrorCode::Unavailable,
            "a SKU in this order does not exist",
        ));
    }
    let product_ids: Vec<i64> = skus.iter().map(|s| s.product_id).collect();
    let products: HashMap<i64, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    skus.into_iter()
        .map(|sku| {
            let product = products.get(&sku.product_id).cloned().ok_or_else(|| {
                AppError::new(ErrorCode::Unavailable, "a SKU in this order has no product")
            })?;
            Ok((sku.id, Priced { sku, product }))
        })
        .collect()
}

fn single_workshop(owners: &HashMap<i64, i64>) -> AppResult<i64> {
    let mut ids = owners.values().copied();
    let first = ids
        .next()
        .ok_or_else(|| AppError::invalid("lines", "must not be empty"))?;
    if ids.all(|id| id == first) {
        Ok(first)
    } else {
        Err(AppError::invalid(
            "lines",
            "an order holds SKUs of one workshop; use the cart to buy from several",
        ))
    }
}

pub async fn record_event(
    db: &impl ConnectionTrait,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_id: Option<i64>,
    reason: &str,
) -> AppResult<()> {
    order_event::ActiveModel {
        order_id: Set(order_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        actor_id: Set(actor_id),
        reason: Set(reason.chars().take(200).collect()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Moves an order from `from` to `to` if it is still in `from`; false otherwise.
pub async fn transition(
    db: &impl ConnectionTrait,
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    actor_id: Option<i64>,
    reason: &str,
) -> AppResult<bool> {
    if !from.can_become(to) {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!(
                "an order cannot go from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        ));
    }
    let moved = crate::platform::sql::changed(
        db,
        "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        vec![
            to.as_str().into(),
            Utc::now().into(),
            order_id.into(),
            from.as_str().into(),
        ],
    )
    .await?;
    if moved {
        record_event(db, order_id, Some(from), to, actor_id, reason).await?;
    }
    Ok(moved)
}

pub fn resource_key(order_id: i64) -> String {
    format!("order:{order_id}")
}

pub fn line_view(line: order_line::Model) -> OrderLineView {
    OrderLineView {
        id: line.id,
        sku_id: line.sku_id,
        product_id: line.product_id,
        title: line.title,
        storage: line.storage,
        quantity: line.quantity as i64,
        unit_price_fen: line.unit_price_fen,
        line_total_fen: line.line_total_fen,
        refunded_quantity: line.refunded_quantity as i64,
    }
}

pub fn order_view(order: order::Model, lines: Vec<OrderLineView>) -> OrderView {
    OrderView {
        id: order.id,
        workshop_id: order.workshop_id,
        customer_id: order.customer_id,
        status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled),
        channel: order.channel,
        live_session_id: order.live_session_id,
        streamer_id: order.streamer_id,
        deal_id: order.deal_id,
        campaign_id: order.campaign_id,
        pickup_point_id: order.pickup_point_id,
        address: order.address.and_then(|a| serde_json::from_str(&a).ok()),
        lines,
        subtotal_fen: order.subtotal_fen,
        shipping_fen: order.shipping_fen,
        total_fen: order.total_fen,
        paid_fen: order.paid_fen,
        refunded_fen: order.refunded_fen,
        expires_at: order.expires_at,
        paid_at: order.paid_at,
        created_at: order.created_at,
    }
}
