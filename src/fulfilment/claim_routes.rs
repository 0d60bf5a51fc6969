//! HTTP endpoints for after-sales claims: customers open and read theirs,
//! staff list, approve (refund or reship) or reject them, managers see the
//! quality report by lot and farmer.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::claim_model::{
    ApproveClaimRequest, ClaimQuery, ClaimStats, ClaimView, OpenClaimRequest, RejectClaimRequest,
    Resolution,
};
use super::routes::STAFF;
use super::{claims, quality};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(open_claim)
        .service(my_order_claims)
        .service(list_claims)
        .service(claim_stats)
        .service(approve_claim)
        .service(reject_claim);
}

/// Open an after-sales claim (售后) on lines of a delivered order, within the
/// window after delivery (48 h for perishables by default): reason, up to 6
/// photo URLs, a description.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("order_id" = i64, Path)),
    request_body = OpenClaimRequest,
    responses(
        (status = 201, body = ClaimView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "claim_window_closed, invalid_transition (not delivered), conflict (a claim is open)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{order_id}/claims")]
async fn open_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<OpenClaimRequest>,
) -> AppResult<HttpResponse> {
    caller.require_customer()?;
    let claim = claims::open_claim(&state, caller.account_id, *path, body.0).await?;
    Ok(HttpResponse::Created().json(claim))
}

/// The caller's claims on one of their orders.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("order_id" = i64, Path)),
    responses(
        (status = 200, body = Vec<ClaimView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orders/{order_id}/claims")]
async fn my_order_claims(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<Vec<ClaimView>>> {
    Ok(web::Json(
        claims::order_claims(&state.db, caller.account_id, *path).await?,
    ))
}

/// The workshop's claims, oldest first (manager, fulfilment).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ClaimQuery),
    responses(
        (status = 200, body = Page<ClaimView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/claims")]
async fn list_claims(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<ClaimQuery>,
) -> AppResult<web::Json<Page<ClaimView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let page = claims::list_claims(&state.db, workshop_id, query.into_inner()).await?;
    Ok(web::Json(page))
}

/// Claims per lot and per farmer (open and approved), for quality feedback.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    responses(
        (status = 200, body = ClaimStats),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/claims/stats")]
async fn claim_stats(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<ClaimStats>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        quality::claim_stats(&state.db, workshop_id).await?,
    ))
}

/// Approve a claim: a full or partial refund through the payment provider
/// (manager; never more than was paid), or a zero-price reship (manager,
/// fulfilment).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("claim_id" = i64, Path)),
    request_body = ApproveClaimRequest,
    responses(
        (status = 200, body = ClaimView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition (already resolved), refund_exceeds_payment, out_of_stock", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/claims/{claim_id}/approve")]
async fn approve_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<ApproveClaimRequest>,
) -> AppResult<web::Json<ClaimView>> {
    let (workshop_id, claim_id) = path.into_inner();
    let roles = match body.resolution {
        Resolution::Refund => &[Role::Manager][..],
        Resolution::Reship => STAFF,
    };
    caller.require_role(workshop_id, roles)?;
    let claim =
        claims::approve_claim(&state, workshop_id, claim_id, caller.account_id, body.0).await?;
    Ok(web::Json(claim))
}

/// Reject a claim with a reason (manager, fulfilment).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("claim_id" = i64, Path)),
    request_body = RejectClaimRequest,
    responses(
        (status = 200, body = ClaimView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/claims/{claim_id}/reject")]
async fn reject_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<RejectClaimRequest>,
) -> AppResult<web::Json<ClaimView>> {
    let (workshop_id, claim_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let claim =
        claims::reject_claim(&state, workshop_id, claim_id, caller.account_id, body.0).await?;
    Ok(web::Json(claim))
}
