//! What shoppers see: product summaries for lists and the product detail
//! with SKUs, prices, the common-prosperity premium and availability.

use serde::Serialize;
use utoipa::ToSchema;

use crate::catalog::products::model::{ProductInfo, SaleWindow};
use crate::catalog::skus::model::SkuInfo;
use crate::catalog::types::{Availability, Category};

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkshopRef {
    pub id: i64,
    pub name: String,
}

/// A SKU on the storefront: exact stock only where the workshop opted in.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicSku {
    #[serde(flatten)]
    pub info: SkuInfo,
    pub availability: Availability,
    /// Units available; present only when the workshop shows exact stock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub info: ProductInfo,
    pub workshop: WorkshopRef,
    /// The best availability among the SKUs.
    pub availability: Availability,
    /// Active SKUs only.
    pub skus: Vec<PublicSku>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: i64,
    pub workshop: WorkshopRef,
    pub title: String,
    pub category: Category,
    /// The first image, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub tags: Vec<String>,
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_window: Option<SaleWindow>,
    pub in_season: bool,
    /// Lowest and highest price among active SKUs; absent without any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_from_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_to_fen: Option<i64>,
    /// Whether any active SKU carries a common-prosperity price.
    pub common_prosperity: bool,
    pub availability: Availability,
}
