//! HTTP endpoints of a session's showcase (小黄车): pin, change, unpin,
//! reorder and mark the item being explained (streamer or manager).

use actix_web::{HttpResponse, delete, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::items;
use super::model::{
    ExplainingRequest, PinItemRequest, PinnedItemView, ReorderItemsRequest, UpdateItemRequest,
};
use super::routes::HOSTS;
use crate::auth::Caller;
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(pin)
        .service(reorder)
        .service(update_item)
        .service(unpin)
        .service(explaining);
}

/// Pin a SKU with an optional live price and cap while the session is scheduled
/// or live (409 `session_closed` after; 409 `sku_already_pinned`).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    request_body = PinItemRequest,
    responses(
        (status = 201, body = PinnedItemView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/live/sessions/{session_id}/items")]
async fn pin(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<PinItemRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    let item = items::pin(&state, workshop_id, session_id, body.0).await?;
    Ok(HttpResponse::Created().json(item))
}

/// Put every pinned item in a new order; answers the showcase.
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    request_body = ReorderItemsRequest,
    responses(
        (status = 200, body = Vec<PinnedItemView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/workshops/{workshop_id}/live/sessions/{session_id}/items/order")]
async fn reorder(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<ReorderItemsRequest>,
) -> AppResult<web::Json<Vec<PinnedItemView>>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    let showcase = items::reorder(&state, workshop_id, session_id, body.0.item_ids).await?;
    Ok(web::Json(showcase))
}

/// Change a pinned item's live price (publishes `price_changed`) or cap.
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path), ("item_id" = i64, Path)),
    request_body = UpdateItemRequest,
    responses(
        (status = 200, body = PinnedItemView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/workshops/{workshop_id}/live/sessions/{session_id}/items/{item_id}")]
async fn update_item(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
    body: Json<UpdateItemRequest>,
) -> AppResult<web::Json<PinnedItemView>> {
    let (workshop_id, session_id, item_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    let item = items::update_item(&state, workshop_id, session_id, item_id, body.0).await?;
    Ok(web::Json(item))
}

/// Unpin an item (its sales stay counted; pinning the SKU again revives it).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path), ("item_id" = i64, Path)),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/workshops/{workshop_id}/live/sessions/{session_id}/items/{item_id}")]
async fn unpin(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, session_id, item_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    items::unpin(&state, workshop_id, session_id, item_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark the item being explained now (讲解中), at most one; `null` clears it.
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    request_body = ExplainingRequest,
    responses(
        (status = 200, body = Vec<PinnedItemView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/workshops/{workshop_id}/live/sessions/{session_id}/explaining")]
async fn explaining(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<ExplainingRequest>,
) -> AppResult<web::Json<Vec<PinnedItemView>>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    let showcase = items::set_explaining(&state, workshop_id, session_id, body.0).await?;
    Ok(web::Json(showcase))
}
