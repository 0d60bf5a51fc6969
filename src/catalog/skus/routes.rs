//! Manager endpoints for SKUs: add to a product, change, read with stock.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{NewSkuRequest, SkuAdminView, UpdateSkuRequest};
use super::service;
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_sku).service(get_sku).service(update_sku);
}

/// Add a SKU to a product (manager). Common-prosperity prices must lie in the workshop's band.
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("product_id" = i64, Path)),
    request_body = NewSkuRequest,
    responses(
        (status = 201, body = SkuAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_exists: the code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed or price_out_of_band", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/products/{product_id}/skus")]
async fn add_sku(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<NewSkuRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, product_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let sku = service::add_sku(&state, workshop_id, product_id, body.0).await?;
    Ok(HttpResponse::Created().json(sku))
}

/// One SKU with its stock figures (manager).
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("sku_id" = i64, Path)),
    responses(
        (status = 200, body = SkuAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/skus/{sku_id}")]
async fn get_sku(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<SkuAdminView>> {
    let (workshop_id, sku_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::get_sku(&state.db, workshop_id, sku_id).await?,
    ))
}

/// Change a SKU's price, details or status (manager). Stock is changed through adjustments.
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("sku_id" = i64, Path)),
    request_body = UpdateSkuRequest,
    responses(
        (status = 200, body = SkuAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed or price_out_of_band", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/workshops/{workshop_id}/skus/{sku_id}")]
async fn update_sku(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateSkuRequest>,
) -> AppResult<web::Json<SkuAdminView>> {
    let (workshop_id, sku_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let sku = service::update_sku(&state, workshop_id, sku_id, body.0).await?;
    Ok(web::Json(sku))
}
