//! Placing orders: lines priced by the server, units reserved atomically
//! (every line or none), totals with checked arithmetic, history and outbox
//! written in the same transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

use super::idempotency::Claim;
use super::model::{AddressView, LineRequest, OrderLineView, OrderView};
use super::status::OrderStatus;
use super::{allotments, stock};
use crate::catalog;
use crate::entity::{order, order_event, order_line, product, sku, workshop};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::{db, outbox};
use crate::state::AppState;

/// Everything a channel (storefront, live, deal, group-buy) decides about an
/// order; prices in `entitled_prices` replace catalog prices for those SKUs.
#[derive(Debug, Clone, Default)]
pub struct PlaceOrder {
    pub customer_id: i64,
    pub lines: Vec<LineRequest>,
    pub address: Option<AddressView>,
    pub channel: &'static str,
    pub live_session_id: Option<i64>,
    pub streamer_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub pickup_point_id: Option<i64>,
    pub entitled_prices: HashMap<i64, i64>,
    /// Overrides the configured payment window (flash deals are shorter).
    pub payment_window: Option<Duration>,
    /// Draw the units from this allotment (deal or campaign) instead of the SKU.
    pub allotment_id: Option<i64>,
    /// A per-buyer limit besides the SKUs' own: (scope such as "campaign:3", limit).
    pub extra_limit: Option<(String, i64)>,
}

/// A SKU with what pricing and checks need.
pub struct Priced {
    pub sku: sku::Model,
    pub product: product::Model,
}

pub async fn place_order(
    state: &AppState,
    request: PlaceOrder,
    claim: Option<&Claim>,
) -> AppResult<OrderView> {
    let lines = merge_lines(&request.lines, state.settings.orders.max_lines)?;
    let priced = load_priced(&state.db, lines.keys().copied().collect()).await?;
    let workshop_id = single_workshop(&priced)?;
    let shop = workshop::Entity::find_by_id(workshop_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::Unavailable, "the workshop no longer exists"))?;
    let window = request
        .payment_window
        .unwrap_or(Duration::seconds(state.settings.orders.payment_window_secs));
    let txn = db::begin_write(&state.db).await?;
    let request = with_session_terms(state, &txn, request, &lines).await?;
    let view = place_in(&txn, &request, &lines, &priced, &shop, window).await?;
    if let Some(claim) = claim {
        claim
            .complete(&txn, actix_web::http::StatusCode::CREATED, &view)
            .await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// An order placed in a live session gets the session's prices (unless the
/// channel already set its own) and is attributed to its streamer.
async fn with_session_terms(
    state: &AppState,
    txn: &DatabaseTransaction,
    mut request: PlaceOrder,
    lines: &BTreeMap<i64, i64>,
) -> AppResult<PlaceOrder> {
    let Some(session_id) = request.live_session_id else {
        return Ok(request);
    };
    if !request.entitled_prices.is_empty() {
        return Ok(request);
    }
    let terms = state
        .session_pricing
        .entitle(txn, session_id, lines)
        .await?;
    request.entitled_prices = terms.prices;
    request.streamer_id = request.streamer_id.or(terms.streamer_id);
    Ok(request)
}

/// The transactional part of placing one order.
pub async fn place_in(
    db: &impl ConnectionTrait,
    request: &PlaceOrder,
    lines: &BTreeMap<i64, i64>,
    priced: &HashMap<i64, Priced>,
    shop: &workshop::Model,
    payment_window: Duration,
) -> AppResult<OrderView> {
    let mut subtotal: i64 = 0;
    let mut cold_chain = false;
    if let Some((scope, limit)) = &request.extra_limit {
        let units: i64 = lines.values().sum();
        if !stock::count_purchase(db, request.customer_id, scope, units, *limit).await? {
            return Err(AppError::new(
                ErrorCode::LimitExceeded,
                format!("at most {limit} per buyer"),
            ));
        }
    }
    for (&sku_id, &quantity) in lines {
        let item = &priced[&sku_id];
        check_sellable(item)?;
        hold_units(db, request, item, quantity).await?;
        let unit = request
            .entitled_prices
            .get(&sku_id)
            .copied()
            .unwrap_or(item.sku.price_fen);
        let line_total = unit.checked_mul(quantity).ok_or_else(AppError::overflow)?;
        subtotal = subtotal
            .checked_add(line_total)
            .ok_or_else(AppError::overflow)?;
        cold_chain |= item.product.storage != "ambient";
    }
    let shipping = shipping_fee(
        shop,
        subtotal,
        cold_chain,
        request.pickup_point_id.is_some(),
    );
    let total = subtotal
        .checked_add(shipping)
        .ok_or_else(AppError::overflow)?;
    let now = Utc::now();
    let created = order::ActiveModel {
        workshop_id: Set(shop.id),
        customer_id: Set(request.customer_id),
        status: Set(OrderStatus::PendingPayment.as_str().into()),
        channel: Set(request.channel.into()),
        live_session_id: Set(request.live_session_id),
        streamer_id: Set(request.streamer_id),
        deal_id: Set(request.deal_id),
        campaign_id: Set(request.campaign_id),
        pickup_point_id: Set(request.pickup_point_id),
        address: Set(request.address.as_ref().map(|a| json!(a).to_string())),
        subtotal_fen: Set(subtotal),
        shipping_fen: Set(shipping),
        total_fen: Set(total),
        paid_fen: Set(0),
        refunded_fen: Set(0),
        expires_at: Set(now + payment_window),
        paid_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        allotment_id: Set(request.allotment_id),
        limit_scope: Set(request.extra_limit.as_ref().map(|(scope, _)| scope.clone())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut line_views = Vec::with_capacity(lines.len());
    for (&sku_id, &quantity) in lines {
        let item = &priced[&sku_id];
        let unit = request
            .entitled_prices
            .get(&sku_id)
            .copied()
            .unwrap_or(item.sku.price_fen);
        let line = insert_line(db, created.id, item, quantity, unit).await?;
        line_views.push(line_view(line));
    }
    record_event(
        db,
        created.id,
        None,
        OrderStatus::PendingPayment,
        Some(request.customer_id),
        "order placed",
    )
    .await?;
    let view = order_view(created, line_views);
    outbox::enqueue(
        db,
        view.workshop_id,
        "order.created",
        &resource_key(view.id),
        &view,
    )
    .await?;
    Ok(view)
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

fn single_workshop(priced: &HashMap<i64, Priced>) -> AppResult<i64> {
    let mut ids = priced.values().map(|p| p.sku.workshop_id);
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

fn check_sellable(item: &Priced) -> AppResult<()> {
    catalog::service::check_sellable(&item.sku, &item.product, catalog::service::today())
}

async fn hold_units(
    db: &impl ConnectionTrait,
    request: &PlaceOrder,
    item: &Priced,
    quantity: i64,
) -> AppResult<()> {
    let customer_id = request.customer_id;
    // A reship replaces units the buyer already counted against the limit.
    let limit = item
        .sku
        .per_buyer_limit
        .filter(|_| request.channel != "reship");
    if let Some(limit) = limit {
        let scope = format!("sku:{}", item.sku.id);
        if !stock::count_purchase(db, customer_id, &scope, quantity, limit as i64).await? {
            return Err(AppError::new(
                ErrorCode::LimitExceeded,
                format!("{} is limited to {limit} per buyer", item.sku.name),
            ));
        }
    }
    if let Some(allotment) = request.allotment_id {
        if allotments::take(db, allotment, quantity).await? < quantity {
            return Err(AppError::new(
                ErrorCode::SoldOut,
                format!("{} is sold out", item.sku.name),
            ));
        }
        return Ok(());
    }
    if !stock::reserve(db, item.sku.id, quantity).await? {
        return Err(AppError::new(
            ErrorCode::OutOfStock,
            format!("{} has fewer than {quantity} left", item.sku.name),
        ));
    }
    Ok(())
}

/// Flat fee, free at or above the threshold, plus cold chain for chilled or
/// frozen goods; pickup-point orders ship free.
fn shipping_fee(shop: &workshop::Model, subtotal: i64, cold_chain: bool, pickup: bool) -> i64 {
    if pickup {
        return 0;
    }
    let base =
        if shop.free_shipping_threshold_fen > 0 && subtotal >= shop.free_shipping_threshold_fen {
            0
        } else {
            shop.shipping_flat_fen
        };
    base + if cold_chain {
        shop.cold_chain_surcharge_fen
    } else {
        0
    }
}

async fn insert_line(
    db: &impl ConnectionTrait,
    order_id: i64,
    item: &Priced,
    quantity: i64,
    unit: i64,
) -> AppResult<order_line::Model> {
    Ok(order_line::ActiveModel {
        order_id: Set(order_id),
        sku_id: Set(item.sku.id),
        product_id: Set(item.product.id),
        title: Set(format!("{} {}", item.product.title, item.sku.name)),
        storage: Set(item.product.storage.clone()),
        quantity: Set(quantity as i32),
        unit_price_fen: Set(unit),
        line_total_fen: Set(unit * quantity),
        refunded_quantity: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await?)
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
    let moved = super::sql::changed(
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

/// Terms a live session entitles its buyers to: unit prices by SKU and the
/// streamer the order is attributed to.
#[derive(Debug, Clone, Default)]
pub struct SessionTerms {
    pub prices: HashMap<i64, i64>,
    pub streamer_id: Option<i64>,
}

/// The boundary through which orders learn live-session prices without
/// importing the live domain (which implements it and is installed at start-up).
#[async_trait::async_trait]
pub trait SessionPricing: Send + Sync {
    /// Prices for `lines` bought in `session_id`; takes units under live stock
    /// caps inside the order's transaction `db`.
    async fn entitle(
        &self,
        db: &DatabaseTransaction,
        session_id: i64,
        lines: &BTreeMap<i64, i64>,
    ) -> AppResult<SessionTerms>;

    /// Gives capped live units back when an unpaid order is cancelled.
    async fn release(
        &self,
        db: &DatabaseTransaction,
        session_id: i64,
        sku_id: i64,
        quantity: i64,
    ) -> AppResult<()>;
}

/// Used until a live domain installs its own: no session entitles anything.
pub struct NoSessionPricing;

#[async_trait::async_trait]
impl SessionPricing for NoSessionPricing {
    async fn entitle(
        &self,
        _: &DatabaseTransaction,
        _: i64,
        _: &BTreeMap<i64, i64>,
    ) -> AppResult<SessionTerms> {
        Ok(SessionTerms::default())
    }

    async fn release(&self, _: &DatabaseTransaction, _: i64, _: i64, _: i64) -> AppResult<()> {
        Ok(())
    }
}
