//! SKU rules: adding one to a product, changing its price or details (the
//! price band is checked against the workshop's policy), reading its figures.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};

use super::model::{NewSkuRequest, SkuAdminView, SkuFields, UpdateSkuRequest};
use crate::catalog::rules::Band;
use crate::catalog::{checks, invalidation, lookup};
use crate::entity::sku;
use crate::error::AppResult;
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn add_sku(
    state: &AppState,
    workshop_id: i64,
    product_id: i64,
    req: NewSkuRequest,
) -> AppResult<SkuAdminView> {
    let product = lookup::product(&state.db, workshop_id, product_id).await?;
    let workshop = lookup::workshop(&state.db, workshop_id).await?;
    let mut check = Check::new();
    let fields = SkuFields::check_new_into(&mut check, "", &req);
    check.finish()?;
    fields.check_band(Band::from(&workshop))?;
    let row = insert_sku(&state.db, workshop_id, product.id, &req.code, &fields).await?;
    invalidation::invalidate_products(state, &[product.id]).await;
    Ok(SkuAdminView::from(&row))
}

pub async fn update_sku(
    state: &AppState,
    workshop_id: i64,
    sku_id: i64,
    req: UpdateSkuRequest,
) -> AppResult<SkuAdminView> {
    let row = lookup::sku(&state.db, workshop_id, sku_id).await?;
    let workshop = lookup::workshop(&state.db, workshop_id).await?;
    let mut fields = SkuFields::from_model(&row);
    fields.apply(req);
    let mut check = Check::new();
    fields.check_into(&mut check, "");
    check.finish()?;
    fields.check_band(Band::from(&workshop))?;
    let product_id = row.product_id;
    // Only the editable columns are written: stock figures change elsewhere, atomically.
    let mut active = row.into_active_model();
    active.name = Set(fields.name);
    active.grade = Set(fields.grade);
    active.unit = Set(fields.unit.as_str().to_owned());
    active.net_weight_g = Set(fields.net_weight_g);
    active.price_fen = Set(fields.price_fen);
    active.market_price_fen = Set(fields.market_price_fen);
    active.is_common_prosperity = Set(fields.is_common_prosperity);
    active.per_buyer_limit = Set(fields.per_buyer_limit);
    active.status = Set(fields.status.as_str().to_owned());
    active.updated_at = Set(Utc::now());
    let updated = active.update(&state.db).await?;
    invalidation::invalidate_products(state, &[product_id]).await;
    Ok(SkuAdminView::from(&updated))
}

pub async fn get_sku(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_id: i64,
) -> AppResult<SkuAdminView> {
    Ok(SkuAdminView::from(
        &lookup::sku(db, workshop_id, sku_id).await?,
    ))
}

/// Inserts a SKU with no stock; a taken code answers 409 `already_exists`.
pub async fn insert_sku(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    product_id: i64,
    code: &str,
    fields: &SkuFields,
) -> AppResult<sku::Model> {
    let now = Utc::now();
    sku::ActiveModel {
        workshop_id: Set(workshop_id),
        product_id: Set(product_id),
        code: Set(code.to_owned()),
        name: Set(fields.name.clone()),
        grade: Set(fields.grade.clone()),
        unit: Set(fields.unit.as_str().to_owned()),
        net_weight_g: Set(fields.net_weight_g),
        price_fen: Set(fields.price_fen),
        market_price_fen: Set(fields.market_price_fen),
        is_common_prosperity: Set(fields.is_common_prosperity),
        per_buyer_limit: Set(fields.per_buyer_limit),
        status: Set(fields.status.as_str().to_owned()),
        on_hand: Set(0),
        reserved: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| checks::taken(e.into(), format!("a SKU with code {code} already exists")))
}
