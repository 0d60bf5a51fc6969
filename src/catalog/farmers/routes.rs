//! Farmer endpoints: managers register and edit; all staff may read, without
//! phone and settlement reference unless they are managers.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{CreateFarmerRequest, FarmerQuery, FarmerView, UpdateFarmerRequest, Visibility};
use super::service;
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

const STAFF: [Role; 4] = [
    Role::Manager,
    Role::Streamer,
    Role::Fulfilment,
    Role::Leader,
];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_farmer)
        .service(list_farmers)
        .service(get_farmer)
        .service(update_farmer);
}

/// Any staff member may read; only managers see the private fields.
fn visibility(caller: &Caller, workshop_id: i64) -> AppResult<Visibility> {
    caller.require_role(workshop_id, &STAFF)?;
    Ok(match caller.require_role(workshop_id, &[Role::Manager]) {
        Ok(()) => Visibility::Manager,
        Err(_) => Visibility::Staff,
    })
}

/// Register a farmer household (manager).
#[utoipa::path(
    tag = "farmers",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = CreateFarmerRequest,
    responses(
        (status = 201, body = FarmerView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/farmers")]
async fn create_farmer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreateFarmerRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let farmer = service::create_farmer(&state.db, workshop_id, body.0).await?;
    Ok(HttpResponse::Created().json(farmer))
}

/// The workshop's farmer households (staff; private fields for managers only).
#[utoipa::path(
    tag = "farmers",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), FarmerQuery),
    responses(
        (status = 200, body = Page<FarmerView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/farmers")]
async fn list_farmers(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<FarmerQuery>,
) -> AppResult<web::Json<Page<FarmerView>>> {
    let workshop_id = path.into_inner();
    let visibility = visibility(&caller, workshop_id)?;
    let page =
        service::list_farmers(&state.db, workshop_id, query.into_inner(), visibility).await?;
    Ok(web::Json(page))
}

/// One farmer household (staff; private fields for managers only).
#[utoipa::path(
    tag = "farmers",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("farmer_id" = i64, Path)),
    responses(
        (status = 200, body = FarmerView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/farmers/{farmer_id}")]
async fn get_farmer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<FarmerView>> {
    let (workshop_id, farmer_id) = path.into_inner();
    let visibility = visibility(&caller, workshop_id)?;
    let farmer = service::get_farmer(&state.db, workshop_id, farmer_id, visibility).await?;
    Ok(web::Json(farmer))
}

/// Change a farmer household's details (manager).
#[utoipa::path(
    tag = "farmers",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("farmer_id" = i64, Path)),
    request_body = UpdateFarmerRequest,
    responses(
        (status = 200, body = FarmerView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/workshops/{workshop_id}/farmers/{farmer_id}")]
async fn update_farmer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateFarmerRequest>,
) -> AppResult<web::Json<FarmerView>> {
    let (workshop_id, farmer_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let farmer = service::update_farmer(&state.db, workshop_id, farmer_id, body.0).await?;
    Ok(web::Json(farmer))
}
