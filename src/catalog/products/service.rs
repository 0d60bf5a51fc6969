//! Product rules for managers: create (optionally with SKUs, in one
//! transaction), update, archive, and list or read with stock figures.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionTrait,
};

use super::model::{
    AdminProductQuery, CreateProductRequest, ProductAdminView, ProductFields, ProductInfo,
    UpdateProductRequest,
};
use crate::catalog::rules::Band;
use crate::catalog::skus::model::{SkuAdminView, SkuFields};
use crate::catalog::skus::service::insert_sku;
use crate::catalog::types::{ProductStatus, SkuStatus};
use crate::catalog::{invalidation, lookup};
use crate::entity::{product, sku};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::validate::Check;
use crate::state::AppState;

const MAX_SKUS_PER_REQUEST: usize = 50;

pub async fn create_product(
    state: &AppState,
    workshop_id: i64,
    req: CreateProductRequest,
) -> AppResult<ProductAdminView> {
    let workshop = lookup::workshop(&state.db, workshop_id).await?;
    let fields = ProductFields::from_request(&req);
    let skus = check_new_product(&fields, &req)?;
    for sku in &skus {
        sku.check_band(Band::from(&workshop))?;
    }
    require_sellable_skus(fields.status, skus.iter().map(|s| s.status))?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let mut active = product::ActiveModel {
        workshop_id: Set(workshop_id),
        created_at: Set(now),
        ..Default::default()
    };
    write_fields(&mut active, &fields);
    let created = active.insert(&txn).await?;
    for (sku, new) in skus.iter().zip(&req.skus) {
        insert_sku(&txn, workshop_id, created.id, &new.code, sku).await?;
    }
    txn.commit().await?;
    invalidation::invalidate_products(state, &[created.id]).await;
    get_product(&state.db, workshop_id, created.id).await
}

pub async fn update_product(
    state: &AppState,
    workshop_id: i64,
    product_id: i64,
    req: UpdateProductRequest,
) -> AppResult<ProductAdminView> {
    let row = lookup::product(&state.db, workshop_id, product_id).await?;
    let mut fields = ProductFields::from_model(&row);
    fields.apply(req);
    let mut check = Check::new();
    fields.check_into(&mut check);
    check.finish()?;
    let skus = lookup::skus_of(&state.db, &[row.id]).await?;
    let statuses = skus.iter().map(|s| SkuStatus::parse(&s.status));
    require_sellable_skus(
        fields.status,
        statuses.map(|s| s.unwrap_or(SkuStatus::Inactive)),
    )?;
    let mut active = row.into_active_model();
    write_fields(&mut active, &fields);
    active.update(&state.db).await?;
    invalidation::invalidate_products(state, &[product_id]).await;
    get_product(&state.db, workshop_id, product_id).await
}

/// Takes the product off sale (its SKUs keep their stock and history).
pub async fn archive_product(
    state: &AppState,
    workshop_id: i64,
    product_id: i64,
) -> AppResult<ProductAdminView> {
    let req = UpdateProductRequest {
        status: Some(ProductStatus::Archived),
        ..Default::default()
    };
    update_product(state, workshop_id, product_id, req).await
}

pub async fn get_product(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    product_id: i64,
) -> AppResult<ProductAdminView> {
    let row = lookup::product(db, workshop_id, product_id).await?;
    let skus = lookup::skus_of(db, &[row.id]).await?;
    Ok(admin_view(&row, &skus))
}

pub async fn list_products(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    query: AdminProductQuery,
) -> AppResult<Page<ProductAdminView>> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .resolve()?;
    lookup::workshop(db, workshop_id).await?;
    let mut select = product::Entity::find().filter(product::Column::WorkshopId.eq(workshop_id));
    if let Some(status) = query.status {
        select = select.filter(product::Column::Status.eq(status.as_str()));
    }
    let select = page.keyset(select, product::Column::Id);
    let page = Page::from_rows(select.all(db).await?, page, |p| p.id);
    let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
    let skus = lookup::skus_of(db, &ids).await?;
    Ok(page.map(|p| {
        let own: Vec<sku::Model> = skus
            .iter()
            .filter(|s| s.product_id == p.id)
            .cloned()
            .collect();
        admin_view(&p, &own)
    }))
}

/// Every field of the product and its inline SKUs, checked into one 422.
fn check_new_product(
    fields: &ProductFields,
    req: &CreateProductRequest,
) -> AppResult<Vec<SkuFields>> {
    let mut check = Check::new();
    fields.check_into(&mut check);
    if req.skus.len() > MAX_SKUS_PER_REQUEST {
        check.fail(
            "skus",
            format!("at most {MAX_SKUS_PER_REQUEST} SKUs per request"),
        );
    }
    let mut codes = HashSet::new();
    let mut skus = Vec::with_capacity(req.skus.len());
    for (i, new) in req.skus.iter().enumerate() {
        let prefix = format!("skus[{i}].");
        skus.push(SkuFields::check_new_into(&mut check, &prefix, new));
        if !codes.insert(new.code.as_str()) {
            check.fail(&format!("{prefix}code"), "appears twice in this request");
        }
    }
    check.finish()?;
    Ok(skus)
}

/// A product goes on sale only with at least one active SKU to buy.
fn require_sellable_skus(
    status: ProductStatus,
    mut skus: impl Iterator<Item = SkuStatus>,
) -> AppResult<()> {
    if status == ProductStatus::Active && !skus.any(|s| s == SkuStatus::Active) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "a product goes on sale only with at least one active SKU",
        ));
    }
    Ok(())
}

fn write_fields(active: &mut product::ActiveModel, fields: &ProductFields) {
    let window = fields.sale_window;
    active.title = Set(fields.title.clone());
    active.description = Set(fields.description.clone());
    active.category = Set(fields.category.as_str().to_owned());
    active.images = Set(fields.images_json());
    active.tags = Set(fields.tags_json());
    active.status = Set(fields.status.as_str().to_owned());
    active.origin = Set(fields.origin.clone());
    active.storage = Set(fields.storage.as_str().to_owned());
    active.shelf_life_days = Set(fields.shelf_life_days);
    active.sale_start_month = Set(window.map(|w| w.start_month));
    active.sale_end_month = Set(window.map(|w| w.end_month));
    active.updated_at = Set(Utc::now());
}

fn admin_view(row: &product::Model, skus: &[sku::Model]) -> ProductAdminView {
    ProductAdminView {
        info: ProductInfo::from(row),
        status: ProductStatus::parse(&row.status).unwrap_or(ProductStatus::Draft),
        created_at: row.created_at,
        skus: skus.iter().map(SkuAdminView::from).collect(),
    }
}
