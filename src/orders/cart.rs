//! One server-side cart per customer. Checkout places one order per
//! workshop as one pipeline job: every order is placed or none is.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::addresses::address_for_order;
use super::idempotency::Claim;
use super::model::{CartLineView, CartView, CheckoutResponse, LineRequest};
use super::pipeline::{Channel, Destination, Job, OrderIntent, lines_of};
use super::service::{Buyer, Priced, load_priced, merge_lines};
use crate::entity::cart_line;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;

pub async fn view_cart(db: &impl ConnectionTrait, customer_id: i64) -> AppResult<CartView> {
    let lines = cart_lines(db, customer_id).await?;
    if lines.is_empty() {
        return Ok(CartView {
            lines: vec![],
            total_fen: 0,
        });
    }
    let priced = load_priced(db, lines.iter().map(|l| l.sku_id).collect()).await?;
    let mut total: i64 = 0;
    let mut views = Vec::with_capacity(lines.len());
    for line in lines {
        let item = &priced[&line.sku_id];
        let quantity = line.quantity as i64;
        let line_total = item
            .sku
            .price_fen
            .checked_mul(quantity)
            .ok_or_else(AppError::overflow)?;
        total = total
            .checked_add(line_total)
            .ok_or_else(AppError::overflow)?;
        views.push(line_view(item, quantity, line_total));
    }
    Ok(CartView {
        lines: views,
        total_fen: total,
    })
}

pub async fn set_line(
    db: &impl ConnectionTrait,
    customer_id: i64,
    sku_id: i64,
    quantity: i64,
) -> AppResult<CartView> {
    if !(1..=999).contains(&quantity) {
        return Err(AppError::invalid("quantity", "must be between 1 and 999"));
    }
    // An outage stays a 503; anything else about the SKU reads as not found.
    let priced = load_priced(db, vec![sku_id]).await.map_err(|e| {
        if e.code.status().is_server_error() {
            e
        } else {
            AppError::not_found("SKU")
        }
    })?;
    let item = &priced[&sku_id];
    if let Some(limit) = item.sku.per_buyer_limit.filter(|l| quantity > *l as i64) {
        return Err(AppError::new(
            ErrorCode::LimitExceeded,
            format!("at most {limit} per buyer"),
        ));
    }
    let existing = cart_line::Entity::find()
        .filter(cart_line::Column::CustomerId.eq(customer_id))
        .filter(cart_line::Column::SkuId.eq(sku_id))
        .one(db)
        .await?;
    let mut row: cart_line::ActiveModel = match existing {
        Some(line) => line.into(),
        None => cart_line::ActiveModel {
            customer_id: Set(customer_id),
            sku_id: Set(sku_id),
            ..Default::default()
        },
    };
    row.quantity = Set(quantity as i32);
    row.updated_at = Set(Utc::now());
    row.save(db).await?;
    view_cart(db, customer_id).await
}

pub async fn remove_line(
    db: &impl ConnectionTrait,
    customer_id: i64,
    sku_id: i64,
) -> AppResult<CartView> {
    cart_line::Entity::delete_many()
        .filter(cart_line::Column::CustomerId.eq(customer_id))
        .filter(cart_line::Column::SkuId.eq(sku_id))
        .exec(db)
        .await?;
    view_cart(db, customer_id).await
}

pub async fn checkout(
    state: &AppState,
    buyer: Buyer<'_>,
    address_id: i64,
    claim: Option<Claim>,
) -> AppResult<CheckoutResponse> {
    address_for_order(&state.db, buyer.customer_id, address_id).await?;
    let lines = cart_lines(&state.db, buyer.customer_id).await?;
    if lines.is_empty() {
        return Err(AppError::new(ErrorCode::Conflict, "the cart is empty"));
    }
    let requests: Vec<LineRequest> = lines
        .iter()
        .map(|l| LineRequest {
            sku_id: l.sku_id,
            quantity: l.quantity as i64,
        })
        .collect();
    let merged = merge_lines(&requests, usize::MAX)?;
    let sku_ids: Vec<i64> = merged.keys().copied().collect();
    let owners = state.orders.owners(&state.db, &sku_ids).await?;
    let window = Duration::seconds(state.settings.orders.payment_window_secs);
    let intents = by_workshop(&merged, &owners)
        .into_iter()
        .map(|(workshop_id, shop_lines)| {
            let lines = lines_of(&shop_lines, &BTreeMap::new());
            let mut intent = OrderIntent::new(
                buyer.customer_id,
                workshop_id,
                lines,
                Destination::Address(address_id),
                Channel::Storefront,
                window,
            );
            intent.buyer_name = buyer.name.to_owned();
            intent
        })
        .collect();
    let job = Job {
        intents,
        claim,
        checkout: true,
        alone: false,
    };
    let orders = state.orders.submit(job).await?;
    Ok(CheckoutResponse { orders })
}

fn by_workshop(
    lines: &BTreeMap<i64, i64>,
    owners: &std::collections::HashMap<i64, i64>,
) -> BTreeMap<i64, BTreeMap<i64, i64>> {
    let mut grouped: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    for (&sku_id, &quantity) in lines {
        let workshop = owners.get(&sku_id).copied().unwrap_or_default();
        grouped
            .entry(workshop)
            .or_default()
            .insert(sku_id, quantity);
    }
    grouped
}

async fn cart_lines(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> AppResult<Vec<cart_line::Model>> {
    Ok(cart_line::Entity::find()
        .filter(cart_line::Column::CustomerId.eq(customer_id))
        .order_by_asc(cart_line::Column::Id)
        .all(db)
        .await?)
}

fn line_view(item: &Priced, quantity: i64, line_total: i64) -> CartLineView {
    let available = item.sku.on_hand - item.sku.reserved;
    let availability = match available {
        a if a <= 0 => "sold_out",
        a if a < 10 => "low",
        _ => "in_stock",
    };
    CartLineView {
        sku_id: item.sku.id,
        product_id: item.product.id,
        workshop_id: item.sku.workshop_id,
        title: format!("{} {}", item.product.title, item.sku.name),
        quantity,
        unit_price_fen: item.sku.price_fen,
        line_total_fen: line_total,
        availability: availability.into(),
        purchasable: item.sku.status == "active"
            && item.product.status == "active"
            && available >= quantity,
    }
}
