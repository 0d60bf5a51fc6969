//! Finding one record inside one workshop: anything of another workshop is
//! "not found", so ids never leak across tenants.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{farmer, lot, product, sku, workshop};
use crate::error::{AppError, AppResult};

pub async fn workshop(db: &impl ConnectionTrait, id: i64) -> AppResult<workshop::Model> {
    workshop::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("workshop"))
}

pub async fn product(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    id: i64,
) -> AppResult<product::Model> {
    product::Entity::find_by_id(id)
        .filter(product::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("product"))
}

pub async fn sku(db: &impl ConnectionTrait, workshop_id: i64, id: i64) -> AppResult<sku::Model> {
    sku::Entity::find_by_id(id)
        .filter(sku::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("SKU"))
}

pub async fn farmer(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    id: i64,
) -> AppResult<farmer::Model> {
    farmer::Entity::find_by_id(id)
        .filter(farmer::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("farmer"))
}

pub async fn lot(db: &impl ConnectionTrait, workshop_id: i64, id: i64) -> AppResult<lot::Model> {
    lot::Entity::find_by_id(id)
        .filter(lot::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("lot"))
}

/// The SKUs of these products, in id order (all statuses).
pub async fn skus_of(db: &impl ConnectionTrait, product_ids: &[i64]) -> AppResult<Vec<sku::Model>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sku::Entity::find()
        .filter(sku::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(sku::Column::Id)
        .all(db)
        .await?)
}
