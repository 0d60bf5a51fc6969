//! Manager endpoints for the workshop's catalog policy.

use actix_web::{get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::CatalogPolicy;
use super::service;
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_policy).service(set_policy);
}

/// The workshop's price band and stock display policy (manager).
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    responses(
        (status = 200, body = CatalogPolicy),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/catalog-policy")]
async fn get_policy(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<CatalogPolicy>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::get_policy(&state.db, workshop_id).await?,
    ))
}

/// Replace the workshop's price band and stock display policy (manager).
#[utoipa::path(
    tag = "catalog management",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = CatalogPolicy,
    responses(
        (status = 200, body = CatalogPolicy),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/workshops/{workshop_id}/catalog-policy")]
async fn set_policy(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CatalogPolicy>,
) -> AppResult<web::Json<CatalogPolicy>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::set_policy(&state, workshop_id, body.0).await?,
    ))
}
