//! Request and response types of flash deals (秒杀) and their event payloads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDealRequest {
    pub sku_id: i64,
    /// Below the SKU's normal price.
    pub price_fen: i64,
    /// Units set aside from the SKU's stock for the deal.
    pub quantity: i64,
    /// Defaults to now.
    pub starts_at: Option<DateTime<Utc>>,
    #[schema(minimum = 10, maximum = 86400)]
    pub duration_secs: i64,
    /// Defaults to 1.
    pub per_buyer_limit: Option<i32>,
    /// Unpaid deal orders expire after this (default from `live.deal_payment_window_secs`).
    pub payment_window_secs: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealOrderRequest {
    pub address_id: i64,
}

/// `upcoming`, `running`, `sold_out` or `ended`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DealView {
    pub id: i64,
    pub live_session_id: i64,
    pub workshop_id: i64,
    pub sku_id: i64,
    pub price_fen: i64,
    pub quantity: i64,
    /// Units not yet held by an order.
    pub remaining: i64,
    pub per_buyer_limit: i32,
    pub payment_window_secs: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
}

#[derive(Debug, Serialize)]
pub struct DealStockEvent {
    pub deal_id: i64,
    pub remaining: i64,
}

#[derive(Debug, Serialize)]
pub struct PurchaseEvent {
    /// Masked: "张**".
    pub buyer: String,
    pub sku_id: i64,
    /// The line's title ("红颜草莓 特级 1斤装").
    pub title: String,
    pub quantity: i64,
    pub deal_id: Option<i64>,
}

/// "张伟" → "张*", "欧阳娜娜" → "欧***".
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => "*".into(),
    }
}
