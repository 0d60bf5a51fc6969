//! HTTP endpoints for flash deals: create and end (streamer or manager),
//! public listing, and the buyers' hot path.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::deal_model::{CreateDealRequest, DealOrderRequest, DealView};
use super::{deals, flash};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::orders::model::OrderView;
use crate::orders::routes::idempotency_key;
use crate::platform::json::Json;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;

const HOSTS: &[Role] = &[Role::Streamer, Role::Manager];

/// Buying from a deal: registered ahead of every other route under `/api/v1`.
pub fn configure_buying(cfg: &mut ServiceConfig) {
    cfg.service(order_deal);
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_deal)
        .service(end_deal)
        .service(list_deals)
        .service(get_deal);
}

/// Launch a flash deal on a live session: the quantity is set aside from the SKU now.
#[utoipa::path(tag = "live", security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)), request_body = CreateDealRequest,
    responses((status = 201, body = DealView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "session not live, out_of_stock", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/live/sessions/{session_id}/deals")]
async fn create_deal(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<CreateDealRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, HOSTS)?;
    let deal =
        deals::create_deal(&state, workshop_id, session_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(deal))
}

/// End a deal now; unsold units go back to the SKU.
#[utoipa::path(tag = "live", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("deal_id" = i64, Path)),
    responses((status = 200, body = DealView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/live/deals/{deal_id}/end")]
async fn end_deal(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<DealView>> {
    let (workshop_id, deal_id) = path.into_inner();
    caller.require_role(workshop_id, HOSTS)?;
    Ok(web::Json(
        deals::end_deal(&state, workshop_id, deal_id).await?,
    ))
}

/// A session's deals with units left (public).
#[utoipa::path(tag = "live", params(("session_id" = i64, Path)), responses((status = 200, body = Vec<DealView>)))]
#[get("/live/sessions/{session_id}/deals")]
async fn list_deals(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<web::Json<Vec<DealView>>> {
    Ok(web::Json(deals::list_for_session(&state.db, *path).await?))
}

/// One deal (public).
#[utoipa::path(tag = "live", params(("deal_id" = i64, Path)),
    responses((status = 200, body = DealView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/live/deals/{deal_id}")]
async fn get_deal(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<web::Json<DealView>> {
    Ok(web::Json(deals::get_deal(&state.db, *path).await?))
}

/// Buy one unit of a flash deal: an order awaiting payment within the deal's
/// short window, or 409 `deal_not_started`, `deal_ended`, `limit_exceeded`, `sold_out`.
#[utoipa::path(tag = "live", security(("bearer" = [])),
    params(("deal_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retries return the first answer")),
    request_body = DealOrderRequest,
    responses((status = 201, body = OrderView),
        (status = 409, description = "deal_not_started, deal_ended, limit_exceeded, sold_out", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "overloaded, or rate_limited (too many purchases from this customer or address): retry after the given seconds", body = Problem, content_type = "application/problem+json")))]
#[post("/live/deals/{deal_id}/orders")]
async fn order_deal(
    state: web::Data<AppState>,
    caller: Caller,
    ip: ClientIp,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<DealOrderRequest>,
) -> AppResult<HttpResponse> {
    caller.require_customer()?;
    crate::orders::throttle::buying_deal(&state, &caller, &ip)?;
    let (deal_id, key) = (*path, idempotency_key(&req));
    let scope = format!("deals.order.{deal_id}");
    let (state, caller, body) = (&state, &caller, &body.0);
    crate::orders::idempotency::run(
        state,
        caller.account_id,
        &scope,
        key.as_deref(),
        body,
        move |claim| async move {
            let view = flash::order(
                state,
                caller.account_id,
                &caller.name,
                deal_id,
                body.address_id,
                claim,
            )
            .await?;
            Ok((StatusCode::CREATED, view))
        },
    )
    .await
}
