//! Manager endpoints for stock: adjustments and the movement ledger.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{AdjustStockRequest, AdjustmentView, MovementView};
use super::service;
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(adjust_stock).service(list_movements);
}

/// Adjust a SKU's stock by hand, with a reason (manager). Refused with 409
/// `stock_below_reserved` when on-hand stock would fall below reserved units.
#[utoipa::path(
    tag = "stock",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("sku_id" = i64, Path)),
    request_body = AdjustStockRequest,
    responses(
        (status = 201, body = AdjustmentView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "stock_below_reserved, or the lot holds too few units", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/skus/{sku_id}/adjustments")]
async fn adjust_stock(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<AdjustStockRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, sku_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let done =
        service::adjust_stock(&state, workshop_id, sku_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(done))
}

/// A SKU's stock movements, oldest first: on_hand is their sum (manager).
#[utoipa::path(
    tag = "stock",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("sku_id" = i64, Path), PageQuery),
    responses(
        (status = 200, body = Page<MovementView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/skus/{sku_id}/movements")]
async fn list_movements(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<MovementView>>> {
    let (workshop_id, sku_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let page = service::list_movements(&state.db, workshop_id, sku_id, query.resolve()?).await?;
    Ok(web::Json(page))
}
