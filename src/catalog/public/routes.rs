//! Public storefront endpoints (no auth). Bodies come ready-made from the
//! cache; `If-None-Match` with the current `ETag` answers 304.

use actix_web::http::header::IF_NONE_MATCH;
use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{ProductDetail, ProductSummary};
use super::query::ProductListQuery;
use super::service;
use crate::error::{AppResult, Problem};
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_products).service(get_product);
}

/// Active products across workshops, filtered, in id order (keyset cursor).
#[utoipa::path(
    tag = "catalog",
    params(ProductListQuery),
    responses(
        (status = 200, body = Page<ProductSummary>, headers(("ETag" = String))),
        (status = 304, description = "If-None-Match named the current ETag"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/products")]
async fn list_products(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<ProductListQuery>,
) -> AppResult<HttpResponse> {
    let list = query.into_inner().resolve()?;
    let page = service::product_list(&state, list).await?;
    Ok(page.respond(req.headers().get(IF_NONE_MATCH)))
}

/// One active product with its active SKUs, prices, premium and availability.
#[utoipa::path(
    tag = "catalog",
    params(("product_id" = i64, Path)),
    responses(
        (status = 200, body = ProductDetail, headers(("ETag" = String))),
        (status = 304, description = "If-None-Match named the current ETag"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/products/{product_id}")]
async fn get_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let detail = service::product_detail(&state, path.into_inner()).await?;
    Ok(detail.respond(req.headers().get(IF_NONE_MATCH)))
}
