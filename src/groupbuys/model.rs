//! Request and response types of group-buys: pickup points, campaigns and
//! their progress, joined orders with pickup codes, commission statements.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::orders::model::OrderLineView;
use crate::orders::status::OrderStatus;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointLeaderRequest {
    #[schema(example = "13900000099")]
    pub phone: String,
    #[schema(example = "周团长")]
    pub name: String,
    /// Required when the phone has no account yet.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderView {
    pub account_id: i64,
    pub name: String,
    pub phone: String,
    pub pickup_point_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePickupPointRequest {
    /// An account holding the `leader` role in this workshop.
    pub leader_id: i64,
    #[schema(example = "新安江街道江滨社区自提点")]
    pub name: String,
    pub address: String,
    #[schema(example = 29.4768)]
    pub latitude: f64,
    #[schema(example = 119.2792)]
    pub longitude: f64,
    #[schema(example = "08:00-20:00")]
    pub opening_hours: String,
    /// Orders the point can hand out on one pickup day.
    pub capacity_per_day: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PickupPointView {
    pub id: i64,
    pub workshop_id: i64,
    pub leader_id: i64,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub opening_hours: String,
    pub capacity_per_day: i32,
    /// Metres from the searched location (nearby search only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NearbyQuery {
    pub lat: f64,
    pub lng: f64,
    /// Search radius in metres (default 3000, at most 50000).
    pub radius_m: Option<i64>,
    /// At most this many points (default 20, at most 100).
    pub limit: Option<u64>,
}

/// A tier applies once at least `min_units` units of the item are sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub min_units: i64,
    pub price_fen: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignItemRequest {
    pub sku_id: i64,
    /// What buyers pay when they join; tier differences are refunded at settlement.
    pub base_price_fen: i64,
    /// Strictly increasing `min_units`, strictly decreasing prices below the base price.
    pub tiers: Vec<Tier>,
    /// Units set aside from the SKU when the campaign opens.
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    #[schema(example = "建德红颜草莓 社区团购")]
    pub title: String,
    pub items: Vec<CampaignItemRequest>,
    /// The campaign succeeds when at least this many units (all items) are paid.
    pub min_total_units: i64,
    /// Units one buyer may order across the campaign.
    pub per_buyer_limit: i32,
    /// Defaults to now.
    pub opens_at: Option<DateTime<Utc>>,
    pub cuts_off_at: DateTime<Utc>,
    /// Not before the cut-off day.
    pub pickup_date: NaiveDate,
    /// Leader commission in basis points of the final paid amount (0..=5000).
    pub commission_bps: i32,
    pub pickup_point_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignItemView {
    pub id: i64,
    pub sku_id: i64,
    pub base_price_fen: i64,
    pub tiers: Vec<Tier>,
    pub quantity: i64,
    /// Set at settlement.
    pub final_price_fen: Option<i64>,
    pub units_paid: Option<i64>,
}

/// `draft`, `open`, `settling`, `succeeded`, `failed`, `completed` or `cancelled`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    pub id: i64,
    pub workshop_id: i64,
    pub title: String,
    pub status: String,
    pub items: Vec<CampaignItemView>,
    pub min_total_units: i64,
    pub per_buyer_limit: i32,
    pub opens_at: DateTime<Utc>,
    pub cuts_off_at: DateTime<Utc>,
    pub pickup_date: NaiveDate,
    pub commission_bps: i32,
    pub pickup_point_ids: Vec<i64>,
    pub settled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemProgress {
    pub item_id: i64,
    pub sku_id: i64,
    /// Units held by orders (paid or awaiting payment).
    pub units_sold: i64,
    pub units_left: i64,
    pub current_price_fen: i64,
    /// Units still needed for the next tier; absent at the last tier.
    pub units_to_next_tier: Option<i64>,
    pub next_tier_price_fen: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignProgress {
    pub campaign_id: i64,
    pub status: String,
    pub accepting_orders: bool,
    pub units_sold: i64,
    pub min_total_units: i64,
    pub items: Vec<ItemProgress>,
    pub cuts_off_at: DateTime<Utc>,
    pub seconds_left: i64,
    pub computed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub item_id: i64,
    pub quantity: i64,
    pub pickup_point_id: i64,
}

/// A resident's group-buy order: where and when to collect it, and the code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PickupOrderView {
    pub order_id: i64,
    pub campaign_id: i64,
    pub status: OrderStatus,
    pub pickup_point_id: i64,
    pub pickup_point_name: String,
    pub pickup_date: NaiveDate,
    /// Six digits, given at settlement when the campaign succeeds.
    pub pickup_code: Option<String>,
    pub collected_at: Option<DateTime<Utc>>,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    pub lines: Vec<OrderLineView>,
}

/// One order on a leader's pickup list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PickupListEntry {
    pub order_id: i64,
    pub pickup_point_id: i64,
    pub customer_name: String,
    /// Masked: 138****1234.
    pub customer_phone: String,
    pub status: OrderStatus,
    pub pickup_code: Option<String>,
    pub collected: bool,
    pub collected_at: Option<DateTime<Utc>>,
    pub lines: Vec<OrderLineView>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PickupListQuery {
    pub date: NaiveDate,
    /// Only this pickup point (default: all of the leader's points).
    pub pickup_point_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyCodeRequest {
    #[schema(example = "482913")]
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommissionRow {
    pub id: i64,
    pub order_id: i64,
    pub campaign_id: i64,
    pub pickup_point_id: i64,
    /// `accrual` (on collection) or `reversal` (on refund).
    pub kind: String,
    pub base_fen: i64,
    pub rate_bps: i32,
    pub amount_fen: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommissionStatement {
    pub leader_id: i64,
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub accrued_fen: i64,
    pub reversed_fen: i64,
    pub total_fen: i64,
    pub rows: Vec<CommissionRow>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (UTC).
    #[param(example = "2026-11")]
    pub month: String,
}
