//! HTTP endpoints for pick waves, pick lists, packing, shipping, dispatch to
//! pickup points, carrier updates and traceability (manager, fulfilment).

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    CancelWaveRequest, CarrierUpdate, CreateWaveRequest, LineTrace, LotRecall, PackRequest,
    PackingView, PickList, ShipRequest, ShipmentView, WaveQuery, WaveSummary, WaveView,
};
use super::signature::CARRIER_SIGNATURE;
use super::{cancel, picklist, shipping, trace, waves};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::{Json, OptionalJson};
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

pub const STAFF: &[Role] = &[Role::Manager, Role::Fulfilment];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_wave)
        .service(list_waves)
        .service(get_wave)
        .service(cancel_wave)
        .service(pick_list)
        .service(pick_list_html)
        .service(pack_order)
        .service(ship_order)
        .service(dispatch_order)
        .service(get_shipment)
        .service(packing_slip)
        .service(order_trace)
        .service(lot_recall)
        .service(carrier_update)
        .service(logistics_update);
}

/// Create a pick wave from paid orders (filters: ship-by date, storage class,
/// destination). Orders move to `picking` with their lines allocated to lots
/// first-expiry-first-out; an order the lots cannot cover is listed in
/// `shortages` and stays paid. An order joins at most one wave.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = CreateWaveRequest,
    responses(
        (status = 201, body = WaveView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/waves")]
async fn create_wave(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreateWaveRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let wave = waves::create_wave(&state, workshop_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(wave))
}

/// The workshop's waves, newest first.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), WaveQuery),
    responses(
        (status = 200, body = Page<WaveSummary>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/waves")]
async fn list_waves(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<WaveQuery>,
) -> AppResult<web::Json<Page<WaveSummary>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let page = waves::list_waves(&state.db, workshop_id, query.into_inner()).await?;
    Ok(web::Json(page))
}

/// One wave: its orders (with their current status) and lines by SKU.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("wave_id" = i64, Path)),
    responses(
        (status = 200, body = WaveView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/waves/{wave_id}")]
async fn get_wave(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<WaveView>> {
    let (workshop_id, wave_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        waves::get_wave(&state.db, workshop_id, wave_id).await?,
    ))
}

/// Cancel an open wave none of whose orders is packed yet (the truck did not
/// come, the wrong filter): its picking orders go back to `paid` (ready for a
/// new wave), every allocated lot unit back to its lot, and the ledger writes
/// reversing splits; `wave.cancelled` is emitted. The body is optional. An
/// order already packed or further, or a wave no longer open: 409
/// `wave_not_cancellable`, and nothing changes.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("wave_id" = i64, Path)),
    request_body = Option<CancelWaveRequest>,
    responses(
        (status = 200, body = WaveView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "wave_not_cancellable", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/waves/{wave_id}/cancel")]
async fn cancel_wave(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: OptionalJson<CancelWaveRequest>,
) -> AppResult<web::Json<WaveView>> {
    let (workshop_id, wave_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let wave = cancel::cancel_wave(&state, workshop_id, wave_id, caller.account_id, body.0).await?;
    Ok(web::Json(wave))
}

/// A wave's pick list: per SKU the lots to take (code, farmer, harvest and
/// expiry, units), then per order what goes in its package.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("wave_id" = i64, Path)),
    responses(
        (status = 200, body = PickList),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/waves/{wave_id}/pick-list")]
async fn pick_list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<PickList>> {
    let (workshop_id, wave_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        picklist::pick_list(&state.db, workshop_id, wave_id).await?,
    ))
}

/// The pick list as a printable HTML page.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("wave_id" = i64, Path)),
    responses(
        (status = 200, description = "Printable HTML page", content_type = "text/html"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/waves/{wave_id}/pick-list.html")]
async fn pick_list_html(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, wave_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let list = picklist::pick_list(&state.db, workshop_id, wave_id).await?;
    Ok(html(picklist::pick_list_html(&list)))
}

/// Mark a picked order packed (package count, weight). Chilled or frozen
/// lines need `cold_chain: true`, else 422 `cold_chain_required`.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    request_body = PackRequest,
    responses(
        (status = 200, body = PackingView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed, cold_chain_required", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/orders/{order_id}/pack")]
async fn pack_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<PackRequest>,
) -> AppResult<web::Json<PackingView>> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let packed = shipping::pack(&state, workshop_id, order_id, caller.account_id, body.0).await?;
    Ok(web::Json(packed))
}

/// Hand a packed address order to a carrier with its tracking number.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    request_body = ShipRequest,
    responses(
        (status = 201, body = ShipmentView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition, wrong_destination, already_exists (tracking number)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/orders/{order_id}/ship")]
async fn ship_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<ShipRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let shipment = shipping::ship(&state, workshop_id, order_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(shipment))
}

/// Dispatch a packed group-buy order to its pickup point: the order becomes
/// `shipped`, and `order.shipped` and `order.ready_for_pickup` are emitted.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses(
        (status = 201, body = ShipmentView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition, wrong_destination", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/orders/{order_id}/dispatch")]
async fn dispatch_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    let shipment = shipping::dispatch(&state, workshop_id, order_id, caller.account_id).await?;
    Ok(HttpResponse::Created().json(shipment))
}

/// An order's shipment with its tracking events.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses(
        (status = 200, body = ShipmentView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/orders/{order_id}/shipment")]
async fn get_shipment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<ShipmentView>> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        shipping::get_shipment(&state.db, workshop_id, order_id).await?,
    ))
}

/// An order's packing slip as a printable HTML page (items and their lots).
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses(
        (status = 200, description = "Printable HTML page", content_type = "text/html"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/orders/{order_id}/packing-slip")]
async fn packing_slip(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(html(
        picklist::packing_slip(&state.db, workshop_id, order_id).await?,
    ))
}

/// Traceability: each line of an order with the lots and farmers it came from.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses(
        (status = 200, body = Vec<LineTrace>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/orders/{order_id}/trace")]
async fn order_trace(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<Vec<LineTrace>>> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        trace::order_trace(&state.db, workshop_id, order_id).await?,
    ))
}

/// Recall: every order that received units of a lot.
#[utoipa::path(
    tag = "fulfilment",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("lot_id" = i64, Path)),
    responses(
        (status = 200, body = LotRecall),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/lots/{lot_id}/recipients")]
async fn lot_recall(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<LotRecall>> {
    let (workshop_id, lot_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        trace::lot_recall(&state.db, workshop_id, lot_id).await?,
    ))
}

/// A carrier's tracking update, signed: `Carrier-Signature` is the hex
/// HMAC-SHA256 of the raw body under the carrier's configured secret (bad
/// signature: 401, nothing changes). `delivered` delivers the order once.
#[utoipa::path(
    tag = "fulfilment",
    params(("carrier" = String, Path), ("Carrier-Signature" = String, Header)),
    request_body = CarrierUpdate,
    responses(
        (status = 200, body = ShipmentView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown carrier or tracking number", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/carriers/{carrier}/updates")]
async fn carrier_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<web::Json<ShipmentView>> {
    let signature = req
        .headers()
        .get(CARRIER_SIGNATURE)
        .and_then(|v| v.to_str().ok());
    Ok(web::Json(
        shipping::carrier_update(&state, &path, signature, &body).await?,
    ))
}

/// A tracking update relayed by the logistics provider, signed with its
/// webhook secret in its configured header (`Carrier-Signature` for the
/// sandbox); verified by the logistics adapter. `delivered` delivers the order once.
#[utoipa::path(
    tag = "fulfilment",
    request_body = crate::integrations::logistics::CarrierUpdate,
    responses(
        (status = 200, body = ShipmentView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown tracking number", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/logistics/updates")]
async fn logistics_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<web::Json<ShipmentView>> {
    let signature = req
        .headers()
        .get(state.logistics.signature_header())
        .and_then(|v| v.to_str().ok());
    Ok(web::Json(
        shipping::provider_update(&state, signature, &body).await?,
    ))
}

fn html(page: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(page)
}
