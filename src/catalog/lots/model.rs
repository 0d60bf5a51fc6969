//! Lot requests and views, and the lot list's cursor (expiry date, then id).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::catalog::rules;
use crate::entity::{farmer, lot};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLotRequest {
    pub sku_id: i64,
    pub farmer_id: i64,
    /// Units received (in the SKU's unit).
    #[schema(example = 120)]
    pub quantity: i64,
    /// Default: the SKU's grade.
    pub grade: Option<String>,
    #[schema(value_type = String, format = Date, example = "2026-11-27")]
    pub harvest_date: NaiveDate,
    /// Default: harvest date + the product's shelf life.
    #[schema(value_type = Option<String>, format = Date)]
    pub expiry_date: Option<NaiveDate>,
    /// Guaranteed purchase price per unit (兜底价), fen.
    #[schema(example = 3000)]
    pub floor_price_fen: i64,
    /// Unique in the workshop; generated when absent.
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FarmerBrief {
    pub id: i64,
    pub name: String,
    pub village: String,
    pub is_low_income: bool,
}

impl From<&farmer::Model> for FarmerBrief {
    fn from(f: &farmer::Model) -> Self {
        Self {
            id: f.id,
            name: f.name.clone(),
            village: f.village.clone(),
            is_low_income: f.is_low_income,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotView {
    pub id: i64,
    pub code: String,
    pub sku_id: i64,
    pub farmer: FarmerBrief,
    pub quantity: i64,
    /// Units physically left in this lot.
    pub remaining: i64,
    pub grade: String,
    #[schema(value_type = String, format = Date)]
    pub harvest_date: NaiveDate,
    /// The last day the produce may be sold.
    #[schema(value_type = String, format = Date)]
    pub expiry_date: NaiveDate,
    /// Whether the expiry date has passed (China time).
    pub expired: bool,
    pub floor_price_fen: i64,
    pub received_by: i64,
    pub received_at: DateTime<Utc>,
    pub written_off: bool,
}

impl LotView {
    pub fn new(l: lot::Model, farmer: &farmer::Model) -> Self {
        Self {
            expired: l.expiry_date < rules::today(),
            id: l.id,
            code: l.code,
            sku_id: l.sku_id,
            farmer: farmer.into(),
            quantity: l.quantity,
            remaining: l.remaining,
            grade: l.grade,
            harvest_date: l.harvest_date,
            expiry_date: l.expiry_date,
            floor_price_fen: l.floor_price_fen,
            received_by: l.received_by,
            received_at: l.received_at,
            written_off: l.written_off,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LotQuery {
    /// Include empty and written-off lots (default: only lots with units left).
    pub all: Option<bool>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    /// Lots whose expiry date is before this day are written off (default and
    /// latest: today, China time).
    #[schema(value_type = Option<String>, format = Date)]
    pub as_of: Option<NaiveDate>,
    /// Only these SKUs (at most 100); default all of the workshop's.
    pub sku_ids: Option<Vec<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WrittenOffLot {
    pub lot_id: i64,
    pub code: String,
    pub sku_id: i64,
    pub units: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteOffView {
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    pub lots: Vec<WrittenOffLot>,
    /// Units written off in total (one spoilage movement per lot).
    pub units: i64,
}

/// Position in the soonest-expiry-first order.
#[derive(Debug, Clone, Copy)]
pub struct LotCursor {
    pub expiry_date: NaiveDate,
    pub id: i64,
}

impl LotCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("lot:{}:{}", self.expiry_date, self.id))
    }

    pub fn decode(text: &str) -> AppResult<Self> {
        let invalid = || AppError::invalid("cursor", "not a cursor returned by this API");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.strip_prefix("lot:").ok_or_else(invalid)?.split(':');
        let expiry_date = parts
            .next()
            .and_then(|d| d.parse().ok())
            .ok_or_else(invalid)?;
        let id = parts
            .next()
            .and_then(|i| i.parse().ok())
            .ok_or_else(invalid)?;
        Ok(Self { expiry_date, id })
    }
}
