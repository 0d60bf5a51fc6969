//! SKU requests and views: what a manager sends, what a manager sees (with
//! stock figures) and the fields both share with the public view.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::checks;
use crate::catalog::rules::{self, Band};
use crate::catalog::types::{SkuStatus, Unit, nullable, patch};
use crate::entity::sku;
use crate::error::AppResult;
use crate::platform::validate::Check;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSkuRequest {
    /// Unique within the workshop: letters, digits, `-`, `_`.
    #[schema(example = "HY-A-2J")]
    pub code: String,
    #[schema(example = "红颜 A级 精品果 2斤装")]
    pub name: String,
    #[serde(default)]
    #[schema(example = "A")]
    pub grade: String,
    pub unit: Unit,
    /// Net weight of one unit in grams (1 jin = 500 g).
    #[schema(example = 1000)]
    pub net_weight_g: i32,
    #[schema(example = 9800)]
    pub price_fen: i64,
    /// Market reference price per unit; a common-prosperity price is set against it.
    #[schema(example = 8000)]
    pub market_price_fen: i64,
    #[serde(default)]
    pub is_common_prosperity: bool,
    pub per_buyer_limit: Option<i32>,
}

/// Only the fields present change; `per_buyer_limit: null` removes the limit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSkuRequest {
    pub name: Option<String>,
    pub grade: Option<String>,
    pub unit: Option<Unit>,
    pub net_weight_g: Option<i32>,
    pub price_fen: Option<i64>,
    pub market_price_fen: Option<i64>,
    pub is_common_prosperity: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub per_buyer_limit: Option<Option<i32>>,
    pub status: Option<SkuStatus>,
}

/// The editable fields of a SKU: built from a request or a row, checked as a whole.
#[derive(Debug, Clone)]
pub struct SkuFields {
    pub name: String,
    pub grade: String,
    pub unit: Unit,
    pub net_weight_g: i32,
    pub price_fen: i64,
    pub market_price_fen: i64,
    pub is_common_prosperity: bool,
    pub per_buyer_limit: Option<i32>,
    pub status: SkuStatus,
}

impl SkuFields {
    pub fn from_request(req: &NewSkuRequest) -> Self {
        Self {
            name: req.name.trim().to_owned(),
            grade: req.grade.trim().to_owned(),
            unit: req.unit,
            net_weight_g: req.net_weight_g,
            price_fen: req.price_fen,
            market_price_fen: req.market_price_fen,
            is_common_prosperity: req.is_common_prosperity,
            per_buyer_limit: req.per_buyer_limit,
            status: SkuStatus::Active,
        }
    }

    /// A new SKU's fields, its code and fields checked into `check`.
    pub fn check_new_into(check: &mut Check, prefix: &str, req: &NewSkuRequest) -> Self {
        let fields = Self::from_request(req);
        checks::code(check, &format!("{prefix}code"), &req.code);
        fields.check_into(check, prefix);
        fields
    }

    pub fn from_model(m: &sku::Model) -> Self {
        Self {
            name: m.name.clone(),
            grade: m.grade.clone(),
            unit: Unit::parse(&m.unit).unwrap_or(Unit::Piece),
            net_weight_g: m.net_weight_g,
            price_fen: m.price_fen,
            market_price_fen: m.market_price_fen,
            is_common_prosperity: m.is_common_prosperity,
            per_buyer_limit: m.per_buyer_limit,
            status: SkuStatus::parse(&m.status).unwrap_or(SkuStatus::Inactive),
        }
    }

    pub fn apply(&mut self, req: UpdateSkuRequest) {
        let trimmed = |s: String| s.trim().to_owned();
        patch(&mut self.name, req.name.map(trimmed));
        patch(&mut self.grade, req.grade.map(trimmed));
        patch(&mut self.unit, req.unit);
        patch(&mut self.net_weight_g, req.net_weight_g);
        patch(&mut self.price_fen, req.price_fen);
        patch(&mut self.market_price_fen, req.market_price_fen);
        patch(&mut self.is_common_prosperity, req.is_common_prosperity);
        patch(&mut self.per_buyer_limit, req.per_buyer_limit);
        patch(&mut self.status, req.status);
    }

    /// Adds every bad field to `check` (names prefixed, e.g. `skus[0].`).
    pub fn check_into(&self, check: &mut Check, prefix: &str) {
        let f = |name: &str| format!("{prefix}{name}");
        check
            .text(&f("name"), &self.name, 1, 120)
            .text(&f("grade"), &self.grade, 0, 32)
            .range(&f("net_weight_g"), self.net_weight_g.into(), 1, 1_000_000);
        checks::price(check, &f("price_fen"), self.price_fen, 1);
        let market_min = i64::from(self.is_common_prosperity);
        checks::price(
            check,
            &f("market_price_fen"),
            self.market_price_fen,
            market_min,
        );
        if let Some(limit) = self.per_buyer_limit {
            check.range(&f("per_buyer_limit"), limit.into(), 1, 10_000);
        }
    }

    /// A common-prosperity price must sit in the workshop's band.
    pub fn check_band(&self, band: Band) -> AppResult<()> {
        if self.is_common_prosperity {
            rules::check_price_band(self.price_fen, self.market_price_fen, band)?;
        }
        Ok(())
    }
}

/// What shoppers and managers both see of a SKU.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkuInfo {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub grade: String,
    pub unit: Unit,
    pub net_weight_g: i32,
    pub price_fen: i64,
    pub market_price_fen: i64,
    pub is_common_prosperity: bool,
    /// Price − market reference for common-prosperity SKUs: credited to farmers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub premium_per_unit_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_buyer_limit: Option<i32>,
}

impl From<&sku::Model> for SkuInfo {
    fn from(m: &sku::Model) -> Self {
        Self {
            id: m.id,
            code: m.code.clone(),
            name: m.name.clone(),
            grade: m.grade.clone(),
            unit: Unit::parse(&m.unit).unwrap_or(Unit::Piece),
            net_weight_g: m.net_weight_g,
            price_fen: m.price_fen,
            market_price_fen: m.market_price_fen,
            is_common_prosperity: m.is_common_prosperity,
            premium_per_unit_fen: rules::premium_per_unit(m),
            per_buyer_limit: m.per_buyer_limit,
        }
    }
}

/// A SKU as its workshop's manager sees it, with stock figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkuAdminView {
    #[serde(flatten)]
    pub info: SkuInfo,
    pub product_id: i64,
    pub status: SkuStatus,
    /// Units not yet sold: the sum of this SKU's stock movements.
    pub on_hand: i64,
    /// Units held by unpaid orders and open deals.
    pub reserved: i64,
    /// on_hand − reserved.
    pub available: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&sku::Model> for SkuAdminView {
    fn from(m: &sku::Model) -> Self {
        Self {
            info: m.into(),
            product_id: m.product_id,
            status: SkuStatus::parse(&m.status).unwrap_or(SkuStatus::Inactive),
            on_hand: m.on_hand,
            reserved: m.reserved,
            available: rules::available(m),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
