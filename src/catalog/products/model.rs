//! Product requests and views: what a manager sends and sees, and the
//! product fields the public detail shares.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::checks;
use crate::catalog::rules;
use crate::catalog::skus::model::{NewSkuRequest, SkuAdminView};
use crate::catalog::types::{Category, ProductStatus, Storage, nullable, patch};
use crate::entity::product;
use crate::platform::validate::Check;

/// Months 1–12, inclusive; the window may wrap the year (strawberries: 11 → 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleWindow {
    #[schema(example = 11)]
    pub start_month: i16,
    #[schema(example = 4)]
    pub end_month: i16,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    #[schema(example = "建德红颜草莓")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: Category,
    /// Absolute http(s) URLs, at most 10.
    #[serde(default)]
    pub images: Vec<String>,
    /// At most 10 tags of 1–20 characters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Village or town the produce comes from.
    #[serde(default)]
    #[schema(example = "建德市杨村桥镇")]
    pub origin: String,
    /// Default `ambient`.
    pub storage: Option<Storage>,
    pub shelf_life_days: Option<i32>,
    pub sale_window: Option<SaleWindow>,
    /// SKUs created with the product (at most 50); more can be added later.
    #[serde(default)]
    pub skus: Vec<NewSkuRequest>,
    /// Default `draft`; `active` needs at least one SKU.
    pub status: Option<ProductStatus>,
}

/// Only the fields present change; `null` clears `shelf_life_days` or `sale_window`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub images: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub origin: Option<String>,
    pub storage: Option<Storage>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub shelf_life_days: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SaleWindow>)]
    pub sale_window: Option<Option<SaleWindow>>,
    pub status: Option<ProductStatus>,
}

/// The editable fields of a product: built from a request or a row, checked as a whole.
#[derive(Debug, Clone)]
pub struct ProductFields {
    pub title: String,
    pub description: String,
    pub category: Category,
    pub images: Vec<String>,
    pub tags: Vec<String>,
    pub origin: String,
    pub storage: Storage,
    pub shelf_life_days: Option<i32>,
    pub sale_window: Option<SaleWindow>,
    pub status: ProductStatus,
}

impl ProductFields {
    pub fn from_request(req: &CreateProductRequest) -> Self {
        Self {
            title: req.title.trim().to_owned(),
            description: req.description.clone(),
            category: req.category,
            images: req.images.clone(),
            tags: checks::normalise_tags(&req.tags),
            origin: req.origin.trim().to_owned(),
            storage: req.storage.unwrap_or(Storage::Ambient),
            shelf_life_days: req.shelf_life_days,
            sale_window: req.sale_window,
            status: req.status.unwrap_or(ProductStatus::Draft),
        }
    }

    pub fn from_model(m: &product::Model) -> Self {
        let info = ProductInfo::from(m);
        Self {
            title: info.title,
            description: info.description,
            category: info.category,
            images: info.images,
            tags: info.tags,
            origin: info.origin,
            storage: info.storage,
            shelf_life_days: info.shelf_life_days,
            sale_window: info.sale_window,
            status: ProductStatus::parse(&m.status).unwrap_or(ProductStatus::Draft),
        }
    }

    pub fn apply(&mut self, req: UpdateProductRequest) {
        let trimmed = |s: String| s.trim().to_owned();
        patch(&mut self.title, req.title.map(trimmed));
        patch(&mut self.description, req.description);
        patch(&mut self.category, req.category);
        patch(&mut self.images, req.images);
        patch(&mut self.tags, req.tags.map(|t| checks::normalise_tags(&t)));
        patch(&mut self.origin, req.origin.map(trimmed));
        patch(&mut self.storage, req.storage);
        patch(&mut self.shelf_life_days, req.shelf_life_days);
        patch(&mut self.sale_window, req.sale_window);
        patch(&mut self.status, req.status);
    }

    pub fn check_into(&self, check: &mut Check) {
        check
            .text("title", &self.title, 1, 120)
            .text("description", &self.description, 0, 5000)
            .text("origin", &self.origin, 0, 120);
        checks::images(check, "images", &self.images);
        checks::tags(check, "tags", &self.tags);
        if let Some(days) = self.shelf_life_days {
            check.range("shelf_life_days", days.into(), 1, 3650);
        }
        if let Some(window) = self.sale_window {
            check
                .range("sale_window.start_month", window.start_month.into(), 1, 12)
                .range("sale_window.end_month", window.end_month.into(), 1, 12);
        }
    }

    /// The column values, with images and tags as JSON arrays.
    pub fn images_json(&self) -> String {
        serde_json::to_string(&self.images).unwrap_or_else(|_| "[]".into())
    }

    pub fn tags_json(&self) -> String {
        serde_json::to_string(&self.tags).unwrap_or_else(|_| "[]".into())
    }
}

/// What shoppers and managers both see of a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductInfo {
    pub id: i64,
    pub workshop_id: i64,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub images: Vec<String>,
    pub tags: Vec<String>,
    pub origin: String,
    pub storage: Storage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shelf_life_days: Option<i32>,
    /// Absent: on sale all year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_window: Option<SaleWindow>,
    /// Whether today (China time) lies in the sale window.
    pub in_season: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<&product::Model> for ProductInfo {
    fn from(m: &product::Model) -> Self {
        let sale_window = match (m.sale_start_month, m.sale_end_month) {
            (Some(start_month), Some(end_month)) => Some(SaleWindow {
                start_month,
                end_month,
            }),
            _ => None,
        };
        Self {
            id: m.id,
            workshop_id: m.workshop_id,
            title: m.title.clone(),
            description: m.description.clone(),
            category: Category::parse(&m.category).unwrap_or(Category::Other),
            images: serde_json::from_str(&m.images).unwrap_or_default(),
            tags: serde_json::from_str(&m.tags).unwrap_or_default(),
            origin: m.origin.clone(),
            storage: Storage::parse(&m.storage).unwrap_or(Storage::Ambient),
            shelf_life_days: m.shelf_life_days,
            sale_window,
            in_season: rules::in_season(m, rules::today()),
            updated_at: m.updated_at,
        }
    }
}

/// A product as its workshop's manager sees it: any status, SKUs with stock.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductAdminView {
    #[serde(flatten)]
    pub info: ProductInfo,
    pub status: ProductStatus,
    pub created_at: DateTime<Utc>,
    pub skus: Vec<SkuAdminView>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminProductQuery {
    /// Only products with this status.
    pub status: Option<ProductStatus>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}
