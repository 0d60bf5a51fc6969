//! HTTP endpoints for leaders, pickup points, campaigns and joining them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    AppointLeaderRequest, CampaignProgress, CampaignView, CreateCampaignRequest,
    CreatePickupPointRequest, JoinRequest, LeaderView, NearbyQuery, PickupPointView,
};
use super::{campaigns, join, points, progress};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::orders::model::OrderView;
use crate::orders::routes::idempotency_key;
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;
use crate::workshops::model::MemberView;

const MANAGERS: &[Role] = &[Role::Manager];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(appoint_leader)
        .service(list_leaders)
        .service(create_point)
        .service(list_points)
        .service(nearby_points)
        .service(create_campaign)
        .service(list_campaigns)
        .service(open_campaign)
        .service(cut_off_campaign)
        .service(cancel_campaign)
        .service(complete_campaign)
        .service(get_campaign)
        .service(campaign_progress)
        .service(join_campaign);
}

/// Appoint a leader (团长): the account (created if the phone is new) gets the `leader` role (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path)),
    request_body = AppointLeaderRequest,
    responses((status = 201, body = MemberView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already a leader here", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/leaders")]
async fn appoint_leader(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<AppointLeaderRequest>,
) -> AppResult<HttpResponse> {
    caller.require_role(*path, MANAGERS)?;
    let member = points::appoint_leader(&state, *path, body.0).await?;
    Ok(HttpResponse::Created().json(member))
}

/// A workshop's leaders and their pickup points (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path)),
    responses((status = 200, body = Vec<LeaderView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/groupbuys/leaders")]
async fn list_leaders(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<Vec<LeaderView>>> {
    caller.require_role(*path, MANAGERS)?;
    Ok(web::Json(points::list_leaders(&state.db, *path).await?))
}

/// Add a pickup point (自提点) run by one of the workshop's leaders (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path)),
    request_body = CreatePickupPointRequest,
    responses((status = 201, body = PickupPointView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/pickup-points")]
async fn create_point(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreatePickupPointRequest>,
) -> AppResult<HttpResponse> {
    caller.require_role(*path, MANAGERS)?;
    let point = points::create_point(&state, *path, body.0).await?;
    Ok(HttpResponse::Created().json(point))
}

/// The workshop's pickup points: all of them for a manager, a leader's own for a leader.
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path)),
    responses((status = 200, body = Vec<PickupPointView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/groupbuys/pickup-points")]
async fn list_points(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<Vec<PickupPointView>>> {
    let workshop_id = *path;
    caller.require_role(workshop_id, &[Role::Manager, Role::Leader])?;
    let only = (caller.require_role(workshop_id, MANAGERS).is_err()).then_some(caller.account_id);
    Ok(web::Json(
        points::list_points(&state.db, workshop_id, only).await?,
    ))
}

/// Pickup points near a location, nearest first, within a radius (public).
#[utoipa::path(tag = "groupbuys", params(NearbyQuery),
    responses((status = 200, body = Vec<PickupPointView>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/groupbuys/pickup-points/nearby")]
async fn nearby_points(
    state: web::Data<AppState>,
    query: Query<NearbyQuery>,
) -> AppResult<web::Json<Vec<PickupPointView>>> {
    Ok(web::Json(points::nearby(&state.db, &query).await?))
}

/// Create a campaign as a draft: items with base and tier prices, minimum,
/// per-buyer limit, opening, cut-off, pickup day, commission, pickup points (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path)),
    request_body = CreateCampaignRequest,
    responses((status = 201, body = CampaignView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "tiers not strictly decreasing, cut-off before opening, unknown SKU or pickup point, ...", body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/campaigns")]
async fn create_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreateCampaignRequest>,
) -> AppResult<HttpResponse> {
    caller.require_role(*path, MANAGERS)?;
    let campaign = campaigns::create(&state, *path, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(campaign))
}

/// The workshop's campaigns, oldest first (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path), PageQuery),
    responses((status = 200, body = Page<CampaignView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/groupbuys/campaigns")]
async fn list_campaigns(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<CampaignView>>> {
    caller.require_role(*path, MANAGERS)?;
    Ok(web::Json(
        campaigns::list(&state.db, *path, query.resolve()?).await?,
    ))
}

/// Open a draft: each item's units are set aside from its SKU; emits `groupbuy.opened` (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not a draft, out_of_stock, campaign_closed", body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/open")]
async fn open_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<CampaignView>> {
    let (workshop_id, campaign_id) = path.into_inner();
    caller.require_role(workshop_id, MANAGERS)?;
    Ok(web::Json(
        campaigns::open(&state, workshop_id, campaign_id).await?,
    ))
}

/// Cut an open campaign off now and settle it (manager). If the settlement job
/// got to it first, waits up to 10 s for that settlement and answers the outcome
/// (`settling` if it is still running then).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not open", body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/cut-off")]
async fn cut_off_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<CampaignView>> {
    let (workshop_id, campaign_id) = path.into_inner();
    caller.require_role(workshop_id, MANAGERS)?;
    Ok(web::Json(
        campaigns::cut_off_now(&state, workshop_id, campaign_id).await?,
    ))
}

/// Cancel a draft or open campaign: unpaid orders cancelled, paid ones refunded in full (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "neither draft nor open", body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/cancel")]
async fn cancel_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<CampaignView>> {
    let (workshop_id, campaign_id) = path.into_inner();
    caller.require_role(workshop_id, MANAGERS)?;
    Ok(web::Json(
        campaigns::cancel(&state, workshop_id, campaign_id).await?,
    ))
}

/// Archive a failed campaign, or a succeeded one after its pickup day (manager).
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/complete")]
async fn complete_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<CampaignView>> {
    let (workshop_id, campaign_id) = path.into_inner();
    caller.require_role(workshop_id, MANAGERS)?;
    Ok(web::Json(
        campaigns::complete(&state, workshop_id, campaign_id).await?,
    ))
}

/// One campaign with its items, tiers and pickup points (public; drafts are 404).
#[utoipa::path(tag = "groupbuys", params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/groupbuys/campaigns/{campaign_id}")]
async fn get_campaign(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<web::Json<CampaignView>> {
    Ok(web::Json(campaigns::get_published(&state.db, *path).await?))
}

/// Progress: units sold, current tier, units to the next tier, time left (public, cached).
#[utoipa::path(tag = "groupbuys", params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignProgress), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/groupbuys/campaigns/{campaign_id}/progress")]
async fn campaign_progress(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<web::Json<CampaignProgress>> {
    Ok(web::Json(progress::progress(&state, *path).await?))
}

/// Join an open campaign: an order at the item's base price for collection at
/// one of its pickup points, paid like any order; tier differences are refunded at settlement.
#[utoipa::path(tag = "groupbuys", security(("bearer" = [])),
    params(("campaign_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retries return the first answer")),
    request_body = JoinRequest,
    responses((status = 201, body = OrderView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "campaign_closed, campaign_not_started, sold_out, limit_exceeded, pickup_point_full", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited: too many orders from this customer or address; retry after the given seconds", body = Problem, content_type = "application/problem+json")))]
#[post("/groupbuys/campaigns/{campaign_id}/orders")]
async fn join_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    ip: ClientIp,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<JoinRequest>,
) -> AppResult<HttpResponse> {
    caller.require_customer()?;
    // A join is an order: it counts against the same limit as buy now.
    crate::orders::throttle::placing_order(&state, &caller, &ip)?;
    let (campaign_id, key) = (*path, idempotency_key(&req));
    let scope = format!("groupbuys.join.{campaign_id}");
    let (state, caller, body) = (&state, &caller, &body.0);
    crate::orders::idempotency::run(
        state,
        caller.account_id,
        &scope,
        key.as_deref(),
        body,
        move |claim| async move {
            let view = join::join(state, buyer(caller), campaign_id, body, claim).await?;
            Ok((StatusCode::CREATED, view))
        },
    )
    .await
}

fn buyer(caller: &Caller) -> crate::orders::service::Buyer<'_> {
    crate::orders::service::Buyer {
        customer_id: caller.account_id,
        name: &caller.name,
    }
}
