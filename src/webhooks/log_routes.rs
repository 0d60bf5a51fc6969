//! HTTP endpoints for the delivery log (manager role): deliveries per endpoint,
//! one delivery with its attempts, redeliver, send a test event, the event list.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::log;
use super::model::{DeliveryDetail, DeliveryQuery, DeliveryView, EventQuery, EventView, page_of};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_deliveries)
        .service(get_delivery)
        .service(redeliver)
        .service(send_test)
        .service(list_events);
}

/// An endpoint's deliveries, newest first: status, attempts, last answer, next retry (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path), DeliveryQuery),
    responses(
        (status = 200, body = Page<DeliveryView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/webhooks/{endpoint_id}/deliveries")]
async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    query: Query<DeliveryQuery>,
) -> AppResult<web::Json<Page<DeliveryView>>> {
    let (workshop_id, endpoint_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let page = page_of(query.limit, &query.cursor).resolve()?;
    Ok(web::Json(
        log::list_deliveries(&state.db, workshop_id, endpoint_id, query.status, page).await?,
    ))
}

/// One delivery: the event as sent and every attempt (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path), ("delivery_id" = i64, Path)),
    responses(
        (status = 200, body = DeliveryDetail),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}")]
async fn get_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
) -> AppResult<web::Json<DeliveryDetail>> {
    let (workshop_id, endpoint_id, delivery_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        log::get_delivery(&state.db, workshop_id, endpoint_id, delivery_id).await?,
    ))
}

/// Send a delivered or dead delivery again, with the same event id (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path), ("delivery_id" = i64, Path)),
    responses(
        (status = 202, body = DeliveryView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "still pending, or the endpoint is disabled"),
    )
)]
#[post("/workshops/{workshop_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, endpoint_id, delivery_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let delivery = log::redeliver(&state, workshop_id, endpoint_id, delivery_id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

/// Send a `webhook.test` event to this endpoint only; follow it in the delivery log (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path)),
    responses(
        (status = 202, body = DeliveryView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the endpoint is disabled"),
    )
)]
#[post("/workshops/{workshop_id}/webhooks/{endpoint_id}/test")]
async fn send_test(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, endpoint_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let delivery = log::send_test(&state, workshop_id, endpoint_id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

/// The workshop's events, newest first, as webhooks deliver them; includes
/// `webhook.endpoint_disabled` when an endpoint was disabled after failing (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), EventQuery),
    responses(
        (status = 200, body = Page<EventView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/events")]
async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<EventQuery>,
) -> AppResult<web::Json<Page<EventView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let page = page_of(query.limit, &query.cursor).resolve()?;
    Ok(web::Json(
        log::list_events(&state.db, workshop_id, query.event_type.as_deref(), page).await?,
    ))
}
