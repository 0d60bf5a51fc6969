//! The one builder of order rows: an intent's lines priced (the channel's
//! entitled price, else the SKU's), totals with checked arithmetic, the one
//! shipping rule, and the order, line, event and outbox rows written
//! set-based for a whole batch.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::json;

use super::intent::{Channel, Destination, OrderIntent};
use super::pg;
use crate::catalog;
use crate::entity::{order, order_event, order_line, outbox, workshop};
use crate::error::{AppError, AppResult};
use crate::orders::model::{AddressView, OrderLineView, OrderView};
use crate::orders::service::{Priced, line_view, order_view, resource_key};
use crate::orders::status::OrderStatus;

pub struct PricedLine {
    pub item: Arc<Priced>,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

/// An intent with its prices, shipping and destination settled.
pub struct PricedOrder {
    pub lines: Vec<PricedLine>,
    pub subtotal_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub address: Option<AddressView>,
    pub pickup_point_id: Option<i64>,
}

/// Prices `intent` with the catalog rows as they are now; a SKU that is not
/// on sale (checked unless the channel brought its own row) refuses it.
pub fn price(
    intent: &OrderIntent,
    items: &HashMap<i64, Arc<Priced>>,
    shop: &workshop::Model,
    address: Option<AddressView>,
) -> AppResult<PricedOrder> {
    let today = catalog::service::today();
    let mut lines = Vec::with_capacity(intent.lines.len());
    let mut subtotal: i64 = 0;
    let mut cold_chain = false;
    for line in &intent.lines {
        let item = match &line.known {
            Some(known) => known.clone(),
            None => {
                let item = items.get(&line.sku_id).cloned().ok_or_else(missing_sku)?;
                catalog::service::check_sellable(&item.sku, &item.product, today)?;
                item
            }
        };
        if item.sku.workshop_id != intent.workshop_id {
            return Err(AppError::invalid(
                "lines",
                "an order holds SKUs of one workshop; use the cart to buy from several",
            ));
        }
        let unit = line.entitled_price_fen.unwrap_or(item.sku.price_fen);
        let total = unit
            .checked_mul(line.quantity)
            .ok_or_else(AppError::overflow)?;
        subtotal = subtotal.checked_add(total).ok_or_else(AppError::overflow)?;
        cold_chain |= item.product.storage != "ambient";
        lines.push(PricedLine {
            item,
            quantity: line.quantity,
            unit_price_fen: unit,
        });
    }
    let pickup_point_id = match intent.destination {
        Destination::Pickup(point) => Some(point),
        _ => None,
    };
    let shipping = shipping_fee(
        shop,
        subtotal,
        cold_chain,
        intent.channel,
        pickup_point_id.is_some(),
    );
    Ok(PricedOrder {
        lines,
        subtotal_fen: subtotal,
        shipping_fen: shipping,
        total_fen: subtotal
            .checked_add(shipping)
            .ok_or_else(AppError::overflow)?,
        address,
        pickup_point_id,
    })
}

fn missing_sku() -> AppError {
    AppError::new(
        crate::error::ErrorCode::Unavailable,
        "a SKU in this order does not exist",
    )
}

/// The shipping rule for every order: the workshop's flat fee, free at or
/// above its threshold, plus its cold-chain surcharge for chilled or frozen
/// goods. Free: orders collected at a pickup point, reships, and flash-deal
/// orders (a deal's price is all-in, as the streamer announces it).
pub fn shipping_fee(
    shop: &workshop::Model,
    subtotal: i64,
    cold_chain: bool,
    channel: Channel,
    pickup: bool,
) -> i64 {
    if pickup || matches!(channel, Channel::Reship | Channel::Deal) {
        return 0;
    }
    let free = shop.free_shipping_threshold_fen > 0 && subtotal >= shop.free_shipping_threshold_fen;
    let base = if free { 0 } else { shop.shipping_flat_fen };
    base + if cold_chain {
        shop.cold_chain_surcharge_fen
    } else {
        0
    }
}

/// Writes the orders of a batch with four multi-row statements (orders,
/// lines, events, outbox) and answers their views in the given order
/// (SQLite; PostgreSQL writes them with the rest of the batch, `with_ids`).
pub async fn insert(
    db: &impl ConnectionTrait,
    orders: &[(&OrderIntent, &PricedOrder)],
    now: DateTime<Utc>,
) -> AppResult<Vec<OrderView>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let rows = orders
        .iter()
        .map(|(intent, priced)| order_row(intent, priced, now));
    let inserted = order::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?;
    // RETURNING order is not promised: a batch holds one customer's orders of
    // one workshop at most once, so that pair finds each row.
    let by_key: HashMap<(i64, i64), order::Model> = inserted
        .into_iter()
        .map(|o| ((o.customer_id, o.workshop_id), o))
        .collect();
    let placed: Vec<order::Model> = orders
        .iter()
        .map(|(intent, _)| {
            by_key
                .get(&(intent.customer_id, intent.workshop_id))
                .cloned()
                .ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("an inserted order went missing"))
                })
        })
        .collect::<AppResult<_>>()?;
    let line_rows = placed
        .iter()
        .zip(orders)
        .flat_map(|(o, (_, priced))| priced.lines.iter().map(move |l| line_row(o.id, l)));
    let mut lines = order_line::Entity::insert_many(line_rows)
        .exec_with_returning(db)
        .await?;
    let views: Vec<OrderView> = placed
        .into_iter()
        .map(|o| {
            let mut mine: Vec<_> = lines.extract_if(.., |l| l.order_id == o.id).collect();
            mine.sort_by_key(|l| l.sku_id);
            order_view(o, mine.into_iter().map(line_view).collect())
        })
        .collect();
    let events = views.iter().map(|v| order_event::ActiveModel {
        order_id: Set(v.id),
        from_status: Set(None),
        to_status: Set(OrderStatus::PendingPayment.as_str().into()),
        actor_id: Set(Some(v.customer_id)),
        reason: Set("order placed".into()),
        created_at: Set(now),
        ..Default::default()
    });
    order_event::Entity::insert_many(events).exec(db).await?;
    let outbox_rows = views.iter().map(|v| outbox::ActiveModel {
        workshop_id: Set(v.workshop_id),
        event_type: Set("order.created".into()),
        resource_key: Set(resource_key(v.id)),
        payload: Set(json!(v).to_string()),
        created_at: Set(now),
        ..Default::default()
    });
    outbox::Entity::insert_many(outbox_rows).exec(db).await?;
    Ok(views)
}

/// The orders as they will be written with the ids set aside for them
/// (PostgreSQL): their views, and their rows' columns for `pg::write`.
pub fn with_ids(
    orders: &[(&OrderIntent, &PricedOrder)],
    order_ids: &[i64],
    line_ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<(Vec<OrderView>, pg::OrderColumns, pg::LineColumns)> {
    let lines_needed: usize = orders.iter().map(|(_, p)| p.lines.len()).sum();
    if order_ids.len() < orders.len() || line_ids.len() < lines_needed {
        return Err(AppError::internal(anyhow::anyhow!(
            "too few ids set aside for the batch"
        )));
    }
    let mut line_ids = line_ids.iter().copied();
    let mut views = Vec::with_capacity(orders.len());
    let mut oc = pg::OrderColumns::default();
    let mut lc = pg::LineColumns::default();
    for ((intent, priced), &id) in orders.iter().zip(order_ids) {
        let mut lines: Vec<OrderLineView> = priced
            .lines
            .iter()
            .zip(line_ids.by_ref())
            .map(|(l, line_id)| OrderLineView {
                id: line_id,
                sku_id: l.item.sku.id,
                product_id: l.item.product.id,
                title: format!("{} {}", l.item.product.title, l.item.sku.name),
                storage: l.item.product.storage.clone(),
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                line_total_fen: l.unit_price_fen * l.quantity,
                refunded_quantity: 0,
            })
            .collect();
        lines.sort_by_key(|l| l.sku_id);
        for line in &lines {
            lc.id.push(line.id);
            lc.order_id.push(id);
            lc.sku_id.push(line.sku_id);
            lc.product_id.push(line.product_id);
            lc.title.push(line.title.clone());
            lc.storage.push(line.storage.clone());
            lc.quantity.push(line.quantity);
            lc.unit_price_fen.push(line.unit_price_fen);
        }
        let view = OrderView {
            id,
            workshop_id: intent.workshop_id,
            customer_id: intent.customer_id,
            status: OrderStatus::PendingPayment,
            channel: intent.channel.as_str().to_owned(),
            live_session_id: intent.live_session_id,
            streamer_id: intent.streamer_id,
            deal_id: intent.deal_id,
            campaign_id: intent.campaign_id,
            pickup_point_id: priced.pickup_point_id,
            address: priced.address.clone(),
            lines,
            subtotal_fen: priced.subtotal_fen,
            shipping_fen: priced.shipping_fen,
            total_fen: priced.total_fen,
            paid_fen: 0,
            refunded_fen: 0,
            expires_at: now + intent.payment_window,
            paid_at: None,
            created_at: now,
        };
        push_order(&mut oc, intent, &view);
        views.push(view);
    }
    Ok((views, oc, lc))
}

fn push_order(c: &mut pg::OrderColumns, intent: &OrderIntent, view: &OrderView) {
    c.id.push(view.id);
    c.workshop_id.push(view.workshop_id);
    c.customer_id.push(view.customer_id);
    c.channel.push(view.channel.clone());
    c.live_session_id.push(view.live_session_id.unwrap_or(0));
    c.streamer_id.push(view.streamer_id.unwrap_or(0));
    c.deal_id.push(view.deal_id.unwrap_or(0));
    c.campaign_id.push(view.campaign_id.unwrap_or(0));
    c.pickup_point_id.push(view.pickup_point_id.unwrap_or(0));
    c.address.push(
        view.address
            .as_ref()
            .map(|a| json!(a).to_string())
            .unwrap_or_default(),
    );
    c.subtotal_fen.push(view.subtotal_fen);
    c.shipping_fen.push(view.shipping_fen);
    c.total_fen.push(view.total_fen);
    c.expires_at.push(view.expires_at);
    c.allotment_id.push(intent.allotment_id.unwrap_or(0));
    c.limit_scope.push(
        intent
            .extra_limit
            .as_ref()
            .map(|(scope, _)| scope.clone())
            .unwrap_or_default(),
    );
    c.payload.push(json!(view).to_string());
}

fn order_row(intent: &OrderIntent, priced: &PricedOrder, now: DateTime<Utc>) -> order::ActiveModel {
    order::ActiveModel {
        workshop_id: Set(intent.workshop_id),
        customer_id: Set(intent.customer_id),
        status: Set(OrderStatus::PendingPayment.as_str().into()),
        channel: Set(intent.channel.as_str().into()),
        live_session_id: Set(intent.live_session_id),
        streamer_id: Set(intent.streamer_id),
        deal_id: Set(intent.deal_id),
        campaign_id: Set(intent.campaign_id),
        pickup_point_id: Set(priced.pickup_point_id),
        address: Set(priced.address.as_ref().map(|a| json!(a).to_string())),
        subtotal_fen: Set(priced.subtotal_fen),
        shipping_fen: Set(priced.shipping_fen),
        total_fen: Set(priced.total_fen),
        paid_fen: Set(0),
        refunded_fen: Set(0),
        expires_at: Set(now + intent.payment_window),
        paid_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        allotment_id: Set(intent.allotment_id),
        limit_scope: Set(intent.extra_limit.as_ref().map(|(scope, _)| scope.clone())),
        ..Default::default()
    }
}

fn line_row(order_id: i64, line: &PricedLine) -> order_line::ActiveModel {
    let item = &line.item;
    order_line::ActiveModel {
        order_id: Set(order_id),
        sku_id: Set(item.sku.id),
        product_id: Set(item.product.id),
        title: Set(format!("{} {}", item.product.title, item.sku.name)),
        storage: Set(item.product.storage.clone()),
        quantity: Set(line.quantity as i32),
        unit_price_fen: Set(line.unit_price_fen),
        line_total_fen: Set(line.unit_price_fen * line.quantity),
        refunded_quantity: Set(0),
        ..Default::default()
    }
}
