//! HTTP endpoints of live sessions: public listings, pages and the event
//! stream, and the streamer's schedule, update, go-live, end and cancel.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    EventsQuery, ScheduleSessionRequest, SessionDetail, SessionFilter, SessionView, StatusFilter,
    UpdateSessionRequest,
};
use super::{item_routes, service, stream};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;

/// Roles that run a workshop's live sessions.
pub const HOSTS: [Role; 2] = [Role::Streamer, Role::Manager];

/// Flash-deal buying, the hottest path of the room (see `orders::routes::configure_buying`).
pub fn configure_buying(cfg: &mut ServiceConfig) {
    super::deal_routes::configure_buying(cfg);
}

pub fn configure(cfg: &mut ServiceConfig) {
    super::deal_routes::configure(cfg);
    cfg.service(list_open)
        .service(show)
        .service(events)
        .service(schedule)
        .service(list_for_workshop)
        .service(update)
        .service(start)
        .service(end)
        .service(cancel);
    item_routes::configure(cfg);
    super::analytics_routes::configure(cfg);
}

/// Sessions live now and upcoming, soonest start first (public).
#[utoipa::path(
    tag = "live",
    params(SessionFilter),
    responses(
        (status = 200, body = Page<SessionView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/live/sessions")]
async fn list_open(
    state: web::Data<AppState>,
    filter: Query<SessionFilter>,
) -> AppResult<web::Json<Page<SessionView>>> {
    let mut filter = filter.into_inner();
    let page = PageQuery {
        limit: filter.limit,
        cursor: filter.cursor.take(),
    };
    let listed = service::list_open(&state.db, filter, page).await?;
    Ok(web::Json(listed))
}

/// One session with its pinned items and viewers right now (public).
#[utoipa::path(
    tag = "live",
    params(("session_id" = i64, Path)),
    responses(
        (status = 200, body = SessionDetail),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/live/sessions/{session_id}")]
async fn show(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<web::Json<SessionDetail>> {
    Ok(web::Json(service::detail(&state, path.into_inner()).await?))
}

/// The live room as Server-Sent Events (public; a bearer token or `device_id`
/// counts the viewer once among unique viewers).
///
/// Each frame has `event:` one of `session_started`, `session_ended`,
/// `session_cancelled`, `item_pinned`, `item_updated` (a pinned item view),
/// `item_unpinned`, `items_reordered`, `explaining`, `price_changed`,
/// `deal_started`, `deal_stock`, `deal_sold_out`, `deal_ended`, `purchase`,
/// with an `id:` that grows per session, and `data:` one JSON object. `viewers`
/// (`{session_id, current, peak, unique}`) comes every few seconds without an
/// id. Reconnect with `Last-Event-ID` to get what was missed in the last few
/// minutes, in order. Comment lines are heartbeats. A client that cannot keep
/// up is disconnected (and resumes). Streams close shortly after the session
/// ends; a closed session with nothing missed answers 204.
#[utoipa::path(
    tag = "live",
    params(
        ("session_id" = i64, Path),
        ("Last-Event-ID" = Option<i64>, Header, description = "The last event id received"),
        EventsQuery,
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 204, description = "The session is over and nothing was missed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many event streams open for this address, account or instance (`too_many_streams`, with `Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/live/sessions/{session_id}/events")]
async fn events(
    state: web::Data<AppState>,
    req: HttpRequest,
    address: ClientIp,
    caller: Option<Caller>,
    path: web::Path<i64>,
    query: Query<EventsQuery>,
) -> AppResult<HttpResponse> {
    let last_event_id = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(query.last_event_id);
    let address = address.0;
    let client = stream::Client {
        address: &address,
        account_id: caller.map(|c| c.account_id),
        device_id: query.device_id.as_deref(),
    };
    let opened = stream::open(&state, path.into_inner(), last_event_id, client).await?;
    Ok(match opened {
        Some(opening) => stream::respond(&state.live, opening),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Schedule a session (streamer or manager).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = ScheduleSessionRequest,
    responses(
        (status = 201, body = SessionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/live/sessions")]
async fn schedule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<ScheduleSessionRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    let created = service::schedule(&state, workshop_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// A workshop's sessions in any status, by scheduled start (streamer or manager).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), StatusFilter),
    responses(
        (status = 200, body = Page<SessionView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/live/sessions")]
async fn list_for_workshop(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    filter: Query<StatusFilter>,
) -> AppResult<web::Json<Page<SessionView>>> {
    let filter = filter.into_inner();
    let page = PageQuery {
        limit: filter.limit,
        cursor: filter.cursor,
    };
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    let listed = service::list_for_workshop(&state.db, workshop_id, filter.status, page).await?;
    Ok(web::Json(listed))
}

/// Change a scheduled session (streamer or manager); 409 `session_not_scheduled` after.
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    request_body = UpdateSessionRequest,
    responses(
        (status = 200, body = SessionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/workshops/{workshop_id}/live/sessions/{session_id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateSessionRequest>,
) -> AppResult<web::Json<SessionView>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    Ok(web::Json(
        service::update(&state, workshop_id, session_id, body.0).await?,
    ))
}

/// Go live: `scheduled → live` (409 `session_not_scheduled` otherwise).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    responses(
        (status = 200, body = SessionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/live/sessions/{session_id}/start")]
async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<SessionView>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    Ok(web::Json(
        service::start(&state, workshop_id, session_id).await?,
    ))
}

/// End: `live → ended`, saving peak and unique viewers (409 `session_not_live` otherwise).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    responses(
        (status = 200, body = SessionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/live/sessions/{session_id}/end")]
async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<SessionView>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    Ok(web::Json(
        service::end(&state, workshop_id, session_id).await?,
    ))
}

/// Cancel: `scheduled → cancelled` (409 `session_not_scheduled` otherwise).
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("session_id" = i64, Path)),
    responses(
        (status = 200, body = SessionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/live/sessions/{session_id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<SessionView>> {
    let (workshop_id, session_id) = path.into_inner();
    caller.require_role(workshop_id, &HOSTS)?;
    Ok(web::Json(
        service::cancel(&state, workshop_id, session_id).await?,
    ))
}
