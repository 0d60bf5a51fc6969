//! `/healthz` (process up) and `/readyz` (database and cache reachable).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::platform::db;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers (the cache is optional); `starting`
    /// while demo data loads.
    pub status: &'static str,
    /// What the instance loads before it is ready, in words: `demo data: in
    /// progress`, `demo data: retrying after: …`, `demo data: done` or
    /// `demo data: failed: …` (it then serves without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup: Option<String>,
    /// `up` or `down`.
    pub database: &'static str,
    /// `up` or `down`.
    pub cache: &'static str,
    /// `redis` or `in_process`.
    pub cache_kind: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "system", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Database and cache reachability: 503 when the database is down or the
/// instance is still starting, 200 with `cache: down` when only the cache is.
#[utoipa::path(
    tag = "system",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness))
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (database_up, cache_up) = tokio::join!(db::is_up(&state.db), state.cache.is_up());
    let warmup = state.warmup.report();
    let starting = warmup.waiting;
    let ready = database_up && !starting;
    let body = Readiness {
        status: match (ready, starting) {
            (true, _) => "ready",
            (false, true) => "starting",
            (false, false) => "not_ready",
        },
        database: up_down(database_up),
        cache: up_down(cache_up),
        cache_kind: state.cache.kind(),
        warmup: warmup.detail,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "2"))
            .json(body)
    }
}

fn up_down(up: bool) -> &'static str {
    if up { "up" } else { "down" }
}
