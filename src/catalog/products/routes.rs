//! Manager endpoints for a workshop's products (any status, with stock).

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    AdminProductQuery, CreateProductRequest, ProductAdminView, UpdateProductRequest,
};
use super::service;
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_product)
        .service(list_products)
        .service(get_product)
        .service(update_product)
        .service(archive_product);
}

/// Create a product, optionally with its SKUs (manager).
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = CreateProductRequest,
    responses(
        (status = 201, body = ProductAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed or price_out_of_band", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/products")]
async fn create_product(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreateProductRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let created = service::create_product(&state, workshop_id, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// List the workshop's products in any status, with SKUs and stock (manager).
#[utoipa::path(
    tag = "catalog management",
    operation_id = "list_workshop_products",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), AdminProductQuery),
    responses(
        (status = 200, body = Page<ProductAdminView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/products")]
async fn list_products(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<AdminProductQuery>,
) -> AppResult<web::Json<Page<ProductAdminView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let page = service::list_products(&state.db, workshop_id, query.into_inner()).await?;
    Ok(web::Json(page))
}

/// One product in any status, with SKUs and stock (manager).
#[utoipa::path(
    tag = "catalog management",
    operation_id = "get_workshop_product",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("product_id" = i64, Path)),
    responses(
        (status = 200, body = ProductAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/products/{product_id}")]
async fn get_product(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<ProductAdminView>> {
    let (workshop_id, product_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let product = service::get_product(&state.db, workshop_id, product_id).await?;
    Ok(web::Json(product))
}

/// Change a product's fields or status (manager). Absent fields stay as they are.
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("product_id" = i64, Path)),
    request_body = UpdateProductRequest,
    responses(
        (status = 200, body = ProductAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/workshops/{workshop_id}/products/{product_id}")]
async fn update_product(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateProductRequest>,
) -> AppResult<web::Json<ProductAdminView>> {
    let (workshop_id, product_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let product = service::update_product(&state, workshop_id, product_id, body.0).await?;
    Ok(web::Json(product))
}

/// Archive a product: off the storefront at once, history kept (manager).
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("product_id" = i64, Path)),
    responses(
        (status = 200, body = ProductAdminView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/products/{product_id}/archive")]
async fn archive_product(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<ProductAdminView>> {
    let (workshop_id, product_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let product = service::archive_product(&state, workshop_id, product_id).await?;
    Ok(web::Json(product))
}
