//! Request and response types of pick waves, pick lists, packing, shipments
//! and traceability.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::orders::status::OrderStatus;

/// Storage class of produce; an order's class is its coldest line's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StorageClass {
    Ambient,
    Chilled,
    Frozen,
}

impl StorageClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ambient => "ambient",
            Self::Chilled => "chilled",
            Self::Frozen => "frozen",
        }
    }

    /// Unknown values count as chilled: better cold than spoiled.
    pub fn parse(value: &str) -> Self {
        match value {
            "ambient" => Self::Ambient,
            "frozen" => Self::Frozen,
            _ => Self::Chilled,
        }
    }
}

/// Where an order goes: a delivery address, or a group-buy pickup point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    Address,
    PickupPoint,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::PickupPoint => "pickup_point",
        }
    }

    pub fn of(pickup_point_id: Option<i64>) -> Self {
        if pickup_point_id.is_some() {
            Self::PickupPoint
        } else {
            Self::Address
        }
    }
}

/// Which paid orders a new wave takes (every filter optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWaveRequest {
    /// Orders that must ship by this date (China time) or earlier; an
    /// order's ship-by date is its payment date plus the configured days.
    #[schema(value_type = Option<String>, format = Date, example = "2026-11-30")]
    pub ship_by: Option<NaiveDate>,
    /// Orders whose coldest line is of this class.
    pub storage: Option<StorageClass>,
    pub destination: Option<Destination>,
    /// At most this many orders (default and cap from configuration).
    pub max_orders: Option<u64>,
}

/// Why a wave is cancelled (optional; the body may be omitted).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelWaveRequest {
    /// At most 200 characters.
    #[schema(example = "the cold-chain truck did not come")]
    pub reason: Option<String>,
}

/// Who cancelled a wave, when and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaveCancellation {
    pub cancelled_by: i64,
    pub cancelled_at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// A wave's state: `open` while picking, `closed` when its orders are all
/// shipped (or refunded), `cancelled` when undone before packing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaveStatus {
    Open,
    Closed,
    Cancelled,
}

impl WaveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaveView {
    pub id: i64,
    pub workshop_id: i64,
    /// open | closed | cancelled
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub ship_by: Option<NaiveDate>,
    pub storage: Option<String>,
    pub destination: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub orders: Vec<WaveOrderView>,
    /// Lines aggregated by SKU.
    pub skus: Vec<WaveSkuView>,
    /// Orders the lots could not cover (only in the answer that created the
    /// wave); they stay paid.
    pub shortages: Vec<ShortageView>,
    /// Present once the wave is cancelled.
    pub cancellation: Option<WaveCancellation>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaveSummary {
    pub id: i64,
    /// open | closed | cancelled
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub ship_by: Option<NaiveDate>,
    pub storage: Option<String>,
    pub destination: Option<String>,
    pub order_count: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaveOrderView {
    pub order_id: i64,
    pub status: OrderStatus,
    pub destination: Destination,
    pub pickup_point_id: Option<i64>,
    pub storage: StorageClass,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaveSkuView {
    pub sku_id: i64,
    pub title: String,
    pub total_units: i64,
    pub orders: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShortageView {
    pub order_id: i64,
    pub sku_id: i64,
    pub needed: i64,
    /// Usable (unexpired) units left in the SKU's lots.
    pub available: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WaveQuery {
    #[param(inline)]
    pub status: Option<WaveStatus>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Per wave: the lots to take for each SKU, then each order's packages.
#[derive(Debug, Serialize, ToSchema)]
pub struct PickList {
    pub wave_id: i64,
    pub workshop_id: i64,
    pub skus: Vec<PickSku>,
    pub orders: Vec<PickOrder>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PickSku {
    pub sku_id: i64,
    pub title: String,
    pub total_units: i64,
    pub lots: Vec<LotUnits>,
}

/// Units of one lot, with where they came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LotUnits {
    pub lot_id: i64,
    pub code: String,
    pub farmer_id: i64,
    pub farmer_name: String,
    #[schema(value_type = String, format = Date)]
    pub harvest_date: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub expiry_date: NaiveDate,
    pub units: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PickOrder {
    pub order_id: i64,
    pub status: OrderStatus,
    pub destination: Destination,
    pub pickup_point_id: Option<i64>,
    /// Recipient and address for address orders.
    pub recipient: Option<String>,
    pub cold_chain_required: bool,
    pub lines: Vec<PickLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PickLine {
    pub line_id: i64,
    pub sku_id: i64,
    pub title: String,
    pub storage: String,
    pub quantity: i64,
    pub lots: Vec<LotUnits>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackRequest {
    #[schema(minimum = 1, maximum = 50, example = 1)]
    pub package_count: i64,
    #[schema(example = 1200)]
    pub weight_g: i64,
    /// Packed in cold-chain packaging (required for chilled and frozen lines).
    pub cold_chain: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackingView {
    pub order_id: i64,
    pub status: OrderStatus,
    pub package_count: i64,
    pub weight_g: i64,
    pub cold_chain: bool,
    pub packed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    #[schema(example = "sf")]
    pub carrier: String,
    /// The waybill number from the carrier; omit it to book the parcel through
    /// the logistics provider, which assigns one.
    #[schema(example = "SF1234567890")]
    pub tracking_number: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentView {
    pub id: i64,
    pub order_id: i64,
    pub order_status: OrderStatus,
    /// carrier | pickup_point
    pub kind: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub pickup_point_id: Option<i64>,
    /// shipped | in_transit | delivered | exception
    pub status: String,
    pub shipped_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub events: Vec<ShipmentEventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentEventView {
    pub status: String,
    pub detail: String,
    pub occurred_at: DateTime<Utc>,
}

/// A carrier's tracking update, signed with the carrier's secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CarrierUpdate {
    pub tracking_number: String,
    /// in_transit | delivered | exception
    pub status: String,
    #[serde(default)]
    pub detail: String,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// The lots (and farmers) one order line came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineTrace {
    pub order_id: i64,
    pub line_id: i64,
    pub sku_id: i64,
    pub title: String,
    pub quantity: i64,
    pub lots: Vec<LotUnits>,
}

/// Every order that received units of one lot (for a recall).
#[derive(Debug, Serialize, ToSchema)]
pub struct LotRecall {
    pub lot: LotUnits,
    pub orders: Vec<RecalledOrder>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecalledOrder {
    pub order_id: i64,
    pub customer_id: i64,
    pub status: OrderStatus,
    pub line_id: i64,
    pub units: i64,
}
