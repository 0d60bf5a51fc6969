//! HTTP endpoints for registration, login, logout and the caller's profile.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::caller::Caller;
use super::model::{LoginRequest, MeResponse, RegisterRequest, TokenResponse};
use super::service;
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(logout)
        .service(me);
}

/// Register a storefront customer account and receive a token.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 409, description = "phone already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    body: Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let token = service::register(&state, body.0).await?;
    Ok(HttpResponse::Created().json(token))
}

/// Log in with phone and password. Failures are rate-limited per account and per address.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: Json<LoginRequest>,
) -> AppResult<web::Json<TokenResponse>> {
    Ok(web::Json(service::login(&state, body.0, &ip.0).await?))
}

/// Revoke the token used for this request, on every instance, at once.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    service::logout(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account and roles.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<MeResponse>> {
    Ok(web::Json(service::me(&state, &caller).await?))
}
