//! HTTP endpoints for live analytics (streamers and managers of the workshop).

use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::analytics::{self, RangeQuery, SessionAnalytics, WorkshopLiveAnalytics};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::query::Query;
use crate::state::AppState;

const READERS: &[Role] = &[Role::Streamer, Role::Manager];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(session_analytics).service(workshop_analytics);
}

/// A session's sales: GMV, orders, units, unique buyers, conversion, per item,
/// per deal and per minute. Live during the session, final after it.
#[utoipa::path(tag = "live", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    responses((status = 200, body = SessionAnalytics), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/live/sessions/{session_id}/analytics")]
async fn session_analytics(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<SessionAnalytics>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, READERS)?;
    Ok(web::Json(
        analytics::session_analytics(&state, workshop_id, session_id).await?,
    ))
}

/// The workshop's live figures: broadcasts, viewers, units, sales, per
/// streamer and per month (the figures the seed report quotes).
#[utoipa::path(tag = "live", security(("bearer" = [])), params(("workshop_id" = i64, Path), RangeQuery),
    responses((status = 200, body = WorkshopLiveAnalytics), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/live/analytics")]
async fn workshop_analytics(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    range: Query<RangeQuery>,
) -> AppResult<web::Json<WorkshopLiveAnalytics>> {
    caller.require_role(*path, READERS)?;
    Ok(web::Json(
        analytics::workshop_analytics(&state.db, *path, &range).await?,
    ))
}
