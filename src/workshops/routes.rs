//! HTTP endpoints for workshops (public reads, admin creation) and staff membership.

use actix_web::{HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{AddMemberRequest, CreateWorkshopRequest, MemberView, WorkshopView};
use super::service;
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_workshop)
        .service(list_workshops)
        .service(get_workshop)
        .service(add_member)
        .service(list_members)
        .service(remove_member);
}

/// Create a workshop and name its first manager (platform admin only).
#[utoipa::path(
    tag = "workshops",
    security(("bearer" = [])),
    request_body = CreateWorkshopRequest,
    responses(
        (status = 201, body = WorkshopView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops")]
async fn create_workshop(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateWorkshopRequest>,
) -> AppResult<HttpResponse> {
    caller.require_platform_admin()?;
    let created = service::create_workshop(&state, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// List workshops (public).
#[utoipa::path(tag = "workshops", params(PageQuery), responses((status = 200, body = Page<WorkshopView>)))]
#[get("/workshops")]
async fn list_workshops(
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<WorkshopView>>> {
    Ok(web::Json(
        service::list_workshops(&state.db, query.resolve()?).await?,
    ))
}

/// One workshop (public).
#[utoipa::path(
    tag = "workshops",
    params(("workshop_id" = i64, Path)),
    responses((status = 200, body = WorkshopView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/workshops/{workshop_id}")]
async fn get_workshop(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<web::Json<WorkshopView>> {
    Ok(web::Json(
        service::get_workshop(&state.db, path.into_inner()).await?,
    ))
}

/// Add a staff member with a role, creating the account if the phone is new (manager).
#[utoipa::path(
    tag = "workshops",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = AddMemberRequest,
    responses(
        (status = 201, body = MemberView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/members")]
async fn add_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<AddMemberRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let member = service::add_member(&state, workshop_id, body.0).await?;
    Ok(HttpResponse::Created().json(member))
}

/// List a workshop's staff (manager).
#[utoipa::path(
    tag = "workshops",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), PageQuery),
    responses(
        (status = 200, body = Page<MemberView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/members")]
async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<MemberView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::list_members(&state.db, workshop_id, query.resolve()?).await?,
    ))
}

/// Remove one membership (manager). The last manager cannot be removed.
#[utoipa::path(
    tag = "workshops",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("member_id" = i64, Path)),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/workshops/{workshop_id}/members/{member_id}")]
async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, member_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    service::remove_member(&state, workshop_id, member_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
