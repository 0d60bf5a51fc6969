//! Request and response types of addresses, cart, orders, payments and refunds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::status::OrderStatus;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    #[schema(example = "张伟")]
    pub name: String,
    #[schema(example = "13700000001")]
    pub phone: String,
    #[schema(example = "浙江省")]
    pub province: String,
    #[schema(example = "杭州市")]
    pub city: String,
    #[schema(example = "建德市")]
    pub district: String,
    #[schema(example = "新安江街道 江滨路 8 号")]
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddressView {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub sku_id: i64,
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
}

/// Buy now: explicit lines (all from one workshop) delivered to an address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    pub lines: Vec<LineRequest>,
    pub address_id: i64,
    /// The live session the order was placed in (priced and attributed to it).
    pub live_session_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub address_id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineRequest {
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineView {
    pub sku_id: i64,
    pub product_id: i64,
    pub workshop_id: i64,
    pub title: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub line_total_fen: i64,
    /// `in_stock`, `low` or `sold_out`.
    pub availability: String,
    pub purchasable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    pub total_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutResponse {
    /// One order per workshop.
    pub orders: Vec<OrderView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderLineView {
    pub id: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub storage: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub line_total_fen: i64,
    pub refunded_quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub workshop_id: i64,
    pub customer_id: i64,
    pub status: OrderStatus,
    /// `storefront`, `live`, `deal` or `groupbuy`.
    pub channel: String,
    pub live_session_id: Option<i64>,
    pub streamer_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub pickup_point_id: Option<i64>,
    pub address: Option<AddressView>,
    pub lines: Vec<OrderLineView>,
    pub subtotal_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    /// An unpaid order is cancelled at this time and its stock released.
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderEventView {
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<i64>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StaffOrderFilter {
    pub status: Option<OrderStatus>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub live_session_id: Option<i64>,
    pub sku_id: Option<i64>,
    /// Items per page (default 20, at most 100; larger values are clamped).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// What the client needs to pay: with the sandbox provider, call
/// `POST /api/v1/payments/sandbox/{provider_ref}/succeed`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub provider_ref: String,
    pub amount_fen: i64,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Provider-specific parameters for the client SDK.
    pub client_params: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPaymentRequest {
    /// The configured provider's name (`sandbox` out of the box); omit it for that one.
    #[serde(default)]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLineRequest {
    pub line_id: i64,
    pub quantity: i64,
}

/// Refund listed lines, or everything still refundable when `lines` is absent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    pub lines: Option<Vec<RefundLineRequest>>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    pub id: i64,
    pub order_id: i64,
    pub amount_fen: i64,
    pub reason: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// The webhook body a payment provider sends, signed with HMAC-SHA256 over the
/// raw body (hex) in the configured header (`Sandbox-Signature` for the sandbox).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderEvent {
    pub event_id: String,
    /// `payment.succeeded` or `payment.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub provider_ref: String,
    pub amount_fen: i64,
    pub occurred_at: DateTime<Utc>,
}
