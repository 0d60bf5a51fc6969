//! Stock requests and views: a manager's adjustment, a SKU's figures and
//! the movements they sum from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::rules;
use crate::catalog::types::{AdjustmentKind, MovementKind};
use crate::entity::{sku, stock_movement};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustStockRequest {
    /// `count_correction` (either sign) or `spoilage` (negative only).
    pub kind: AdjustmentKind,
    /// Signed units, not zero: positive adds to on_hand.
    #[schema(example = -3)]
    pub quantity: i64,
    #[schema(example = "盘点：破损 3 盒")]
    pub reason: String,
    /// For a decrease: the lot the units came out of (its remaining drops too).
    pub lot_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockView {
    pub sku_id: i64,
    pub product_id: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}

impl From<&sku::Model> for StockView {
    fn from(s: &sku::Model) -> Self {
        Self {
            sku_id: s.id,
            product_id: s.product_id,
            on_hand: s.on_hand,
            reserved: s.reserved,
            available: rules::available(s),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    pub id: i64,
    pub sku_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<i64>,
    pub kind: MovementKind,
    /// Signed units.
    pub quantity: i64,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<stock_movement::Model> for MovementView {
    fn from(m: stock_movement::Model) -> Self {
        Self {
            id: m.id,
            sku_id: m.sku_id,
            lot_id: m.lot_id,
            kind: MovementKind::parse(&m.kind).unwrap_or(MovementKind::Adjustment),
            quantity: m.quantity,
            reason: m.reason,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

/// The recorded movement and the SKU's figures after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentView {
    pub movement: MovementView,
    pub stock: StockView,
}
