//! HTTP endpoints for pickup: leaders' lists and code checks, residents'
//! own pickup codes, and commission statements.

use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::commission;
use super::model::{
    CommissionStatement, MonthQuery, PickupListEntry, PickupListQuery, PickupOrderView,
    VerifyCodeRequest,
};
use super::pickup::{self, Desk};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(pickup_list)
        .service(verify_code)
        .service(my_orders)
        .service(my_order)
        .service(commission_statement);
}

/// Orders to hand out on a pickup day: who, what, code, collected or not.
/// A leader sees only their own points; a manager sees every point.
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path), PickupListQuery),
    responses((status = 200, body = Vec<PickupListEntry>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/groupbuys/pickups")]
async fn pickup_list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<PickupListQuery>,
) -> AppResult<web::Json<Vec<PickupListEntry>>> {
    let workshop_id = *path;
    let desk = desk_of(&caller, workshop_id)?;
    let list = pickup::pickup_list(
        &state.db,
        workshop_id,
        desk,
        query.date,
        query.pickup_point_id,
    )
    .await?;
    Ok(web::Json(list))
}

/// The point's leader checks a resident's pickup code: the order (dispatched
/// to the point, status `shipped`) becomes `delivered` and commission accrues.
/// Repeated wrong codes answer 429 for a while.
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("point_id" = i64, Path)), request_body = VerifyCodeRequest,
    responses((status = 200, body = PickupListEntry),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not one of the caller's pickup points", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not dispatched yet, already collected", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_pickup_code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many wrong codes", body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/pickup-points/{point_id}/verify")]
async fn verify_code(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<VerifyCodeRequest>,
) -> AppResult<web::Json<PickupListEntry>> {
    let (workshop_id, point_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Leader])?;
    let entry = pickup::verify(
        &state,
        workshop_id,
        caller.account_id,
        point_id,
        body.code.trim(),
    )
    .await?;
    Ok(web::Json(entry))
}

/// The caller's group-buy orders with pickup point, day and code, newest first.
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<PickupOrderView>)))]
#[get("/groupbuys/orders")]
async fn my_orders(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<PickupOrderView>>> {
    Ok(web::Json(
        pickup::my_orders(&state.db, caller.account_id, query.resolve()?).await?,
    ))
}

/// One of the caller's group-buy orders with its pickup code (another resident's is 404).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("order_id" = i64, Path)),
    responses((status = 200, body = PickupOrderView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/groupbuys/orders/{order_id}")]
async fn my_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<PickupOrderView>> {
    Ok(web::Json(
        pickup::my_order(&state.db, caller.account_id, *path).await?,
    ))
}

/// A leader's commission statement for one month: accruals on collection,
/// reversals on refunds (the leader themself, or a manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("leader_id" = i64, Path), MonthQuery),
    responses((status = 200, body = CommissionStatement),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/groupbuys/leaders/{leader_id}/commission")]
async fn commission_statement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    query: Query<MonthQuery>,
) -> AppResult<web::Json<CommissionStatement>> {
    let (workshop_id, leader_id) = path.into_inner();
    if let Desk::Leader(me) = desk_of(&caller, workshop_id)?
        && me != leader_id
    {
        return Err(AppError::forbidden());
    }
    let statement = commission::statement(&state.db, workshop_id, leader_id, &query.month).await?;
    Ok(web::Json(statement))
}

/// Managers (and platform admins) see every point; leaders their own.
fn desk_of(caller: &Caller, workshop_id: i64) -> AppResult<Desk> {
    caller.require_role(workshop_id, &[Role::Manager, Role::Leader])?;
    if caller.require_role(workshop_id, &[Role::Manager]).is_ok() {
        Ok(Desk::Manager)
    } else {
        Ok(Desk::Leader(caller.account_id))
    }
}
