//! Lot endpoints: managers receive and write off; managers and fulfilment
//! staff read lots (soonest expiry first).

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{LotQuery, LotView, ReceiveLotRequest, WriteOffRequest, WriteOffView};
use super::{service, write_off};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

const READERS: [Role; 2] = [Role::Manager, Role::Fulfilment];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(receive_lot)
        .service(write_off_expired)
        .service(get_lot)
        .service(list_lots);
}

/// Receive a farmer's lot: its units are added to the SKU's stock (manager).
#[utoipa::path(
    tag = "lots",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = ReceiveLotRequest,
    responses(
        (status = 201, body = LotView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/lots")]
async fn receive_lot(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<ReceiveLotRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let lot = service::receive_lot(&state, workshop_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(lot))
}

/// Write off every expired lot's remaining units as spoilage, in one
/// transaction (manager). Refused whole with 409 `stock_below_reserved` if a
/// SKU would fall below the units its orders reserve.
#[utoipa::path(
    tag = "lots",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = WriteOffRequest,
    responses(
        (status = 200, body = WriteOffView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/lots/write-off-expired")]
async fn write_off_expired(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<WriteOffRequest>,
) -> AppResult<web::Json<WriteOffView>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let done = write_off::write_off_expired(&state, workshop_id, caller.account_id, body.0).await?;
    Ok(web::Json(done))
}

/// One lot (manager, fulfilment).
#[utoipa::path(
    tag = "lots",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("lot_id" = i64, Path)),
    responses(
        (status = 200, body = LotView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/lots/{lot_id}")]
async fn get_lot(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<LotView>> {
    let (workshop_id, lot_id) = path.into_inner();
    caller.require_role(workshop_id, &READERS)?;
    Ok(web::Json(
        service::get_lot(&state.db, workshop_id, lot_id).await?,
    ))
}

/// A SKU's lots with units left, soonest expiry first (manager, fulfilment).
#[utoipa::path(
    tag = "lots",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("sku_id" = i64, Path), LotQuery),
    responses(
        (status = 200, body = Page<LotView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/skus/{sku_id}/lots")]
async fn list_lots(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    query: Query<LotQuery>,
) -> AppResult<web::Json<Page<LotView>>> {
    let (workshop_id, sku_id) = path.into_inner();
    caller.require_role(workshop_id, &READERS)?;
    let page = service::list_lots(&state.db, workshop_id, sku_id, query.into_inner()).await?;
    Ok(web::Json(page))
}
