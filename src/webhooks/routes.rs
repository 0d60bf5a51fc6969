//! HTTP endpoints for managing a workshop's webhook endpoints (manager role):
//! register, list, read, update (enable/disable), delete, rotate the secret.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    CreateEndpointRequest, EndpointView, EndpointWithSecret, RotateSecretRequest, SecretView,
    UpdateEndpointRequest,
};
use super::{log_routes, service};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_endpoint)
        .service(list_endpoints)
        .service(get_endpoint)
        .service(update_endpoint)
        .service(delete_endpoint)
        .service(rotate_secret);
    log_routes::configure(cfg);
}

/// Register a webhook endpoint (manager); the answer holds its secret, shown only now.
///
/// Events are POSTed as JSON `{id, type, created_at, workshop_id, data}` with headers
/// `Gongfang-Event-Id`, `Gongfang-Timestamp` (Unix seconds) and
/// `Gongfang-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`
/// (two `v1=` values, new secret first, while a rotated secret overlaps).
/// To verify: recompute the HMAC over the raw body bytes and compare in constant time
/// with any `v1=` value; reject a timestamp more than 5 minutes from your clock and an
/// event id already processed (deliveries are at least once; redeliveries keep the id).
/// Answer 2xx within the timeout; anything else (redirects included) is retried with
/// exponential backoff for up to 3 days. Events of one resource (`order:42`) arrive in order.
/// In production the URL must be https to a public address (checked again at delivery).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = CreateEndpointRequest,
    responses(
        (status = 201, body = EndpointWithSecret),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/webhooks")]
async fn create_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreateEndpointRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let created = service::create_endpoint(&state, workshop_id, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// List the workshop's webhook endpoints (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), PageQuery),
    responses(
        (status = 200, body = Page<EndpointView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/webhooks")]
async fn list_endpoints(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<EndpointView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::list_endpoints(&state.db, workshop_id, query.resolve()?).await?,
    ))
}

/// One webhook endpoint (manager): whether it is enabled, and why not.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path)),
    responses(
        (status = 200, body = EndpointView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/webhooks/{endpoint_id}")]
async fn get_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<EndpointView>> {
    let (workshop_id, id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::get_endpoint(&state.db, workshop_id, id).await?,
    ))
}

/// Change an endpoint's URL, event types, description, or enable/disable it (manager).
/// Enabling again resets its failure count; events raised while it was disabled are not sent.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path)),
    request_body = UpdateEndpointRequest,
    responses(
        (status = 200, body = EndpointView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/workshops/{workshop_id}/webhooks/{endpoint_id}")]
async fn update_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateEndpointRequest>,
) -> AppResult<web::Json<EndpointView>> {
    let (workshop_id, id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::update_endpoint(&state, workshop_id, id, body.0).await?,
    ))
}

/// Delete an endpoint with its delivery log (manager).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path)),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/workshops/{workshop_id}/webhooks/{endpoint_id}")]
async fn delete_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    service::delete_endpoint(&state.db, workshop_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate the signing secret (manager). The new secret is shown once; the old one
/// keeps signing beside it (a second `v1=`) for `overlap_secs` (default one day).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("endpoint_id" = i64, Path)),
    request_body = RotateSecretRequest,
    responses(
        (status = 200, body = SecretView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/webhooks/{endpoint_id}/rotate-secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<RotateSecretRequest>,
) -> AppResult<web::Json<SecretView>> {
    let (workshop_id, id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    Ok(web::Json(
        service::rotate_secret(&state, workshop_id, id, body.0).await?,
    ))
}
