//! What other domains use of the catalog: the sale-window rule, fresh SKUs
//! and products for checkout (never from the cache), and cache invalidation.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

pub use super::invalidation::{invalidate_all, invalidate_products};
pub use super::rules::{availability, available, in_season, premium_per_unit, today};
use super::types::{ProductStatus, SkuStatus};
use crate::entity::{product, sku};
use crate::error::{AppError, AppResult, ErrorCode};

/// The SKUs with their products, read from the database (current prices and
/// stock), in SKU id order; ids that do not exist are left out.
pub async fn load_skus_for_checkout(
    db: &impl ConnectionTrait,
    sku_ids: &[i64],
) -> AppResult<Vec<(sku::Model, product::Model)>> {
    if sku_ids.is_empty() {
        return Ok(Vec::new());
    }
    let skus = sku::Entity::find()
        .filter(sku::Column::Id.is_in(sku_ids.iter().copied()))
        .order_by_asc(sku::Column::Id)
        .all(db)
        .await?;
    let product_ids: Vec<i64> = skus.iter().map(|s| s.product_id).collect();
    let products: HashMap<i64, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(skus
        .into_iter()
        .filter_map(|s| products.get(&s.product_id).cloned().map(|p| (s, p)))
        .collect())
}

/// Whether a shopper may buy this SKU on `date`: product and SKU active
/// (409 `not_for_sale`) and the product in its sale window (409 `out_of_season`).
pub fn check_sellable(
    sku: &sku::Model,
    product: &product::Model,
    date: NaiveDate,
) -> AppResult<()> {
    let on_sale = product.status == ProductStatus::Active.as_str()
        && sku.status == SkuStatus::Active.as_str();
    if !on_sale {
        return Err(AppError::new(
            ErrorCode::NotForSale,
            format!("{} is not for sale", sku.name),
        ));
    }
    if !in_season(product, date) {
        return Err(AppError::new(
            ErrorCode::OutOfSeason,
            format!("{} is out of season", product.title),
        ));
    }
    Ok(())
}
