//! HTTP endpoints for orders, payments and refunds (customers and staff).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    CreateOrderRequest, OrderEventView, OrderView, PaymentView, RefundRequest, RefundView,
    StaffOrderFilter, StartPaymentRequest,
};
use super::queries::{self, Viewer};
use super::{payments, refunds, service};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::query::Query;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;

const STAFF: &[Role] = &[Role::Manager, Role::Fulfilment, Role::Streamer];

/// Buying and paying: registered ahead of every other route under `/api/v1`
/// (the router tries routes in order, a regex match per dynamic one).
pub fn configure_buying(cfg: &mut ServiceConfig) {
    cfg.service(create_order)
        .service(start_payment)
        .service(payment_webhook);
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_my_orders)
        .service(get_my_order)
        .service(my_order_events)
        .service(cancel_order)
        .service(my_order_refunds)
        .service(sandbox_succeed)
        .service(list_workshop_orders)
        .service(get_workshop_order)
        .service(workshop_order_events)
        .service(refund_order);
}

pub fn idempotency_key(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("Idempotency-Key")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Buy now: place an order from explicit lines (one workshop), reserving stock.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first answer")),
    request_body = CreateOrderRequest,
    responses(
        (status = 201, body = OrderView),
        (status = 409, description = "out_of_stock, limit_exceeded, not_in_season, unavailable, idempotency_in_progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited: too many orders from this customer or address; retry after the given seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders")]
async fn create_order(
    state: web::Data<AppState>,
    caller: Caller,
    ip: ClientIp,
    req: HttpRequest,
    body: Json<CreateOrderRequest>,
) -> AppResult<HttpResponse> {
    caller.require_customer()?;
    super::throttle::placing_order(&state, &caller, &ip)?;
    let (body, key) = (body.0, idempotency_key(&req));
    let (state, caller, body) = (&state, &caller, &body);
    super::idempotency::run(
        state,
        caller.account_id,
        "orders.create",
        key.as_deref(),
        body,
        move |claim| async move {
            let buyer = service::Buyer {
                customer_id: caller.account_id,
                name: &caller.name,
            };
            let order = service::buy_now(state, buyer, body, claim).await?;
            Ok((StatusCode::CREATED, order))
        },
    )
    .await
}

/// The caller's orders, newest first.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<OrderView>)))]
#[get("/orders")]
async fn list_my_orders(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> AppResult<web::Json<Page<OrderView>>> {
    Ok(web::Json(
        queries::list_for_customer(&state.db, caller.account_id, query.resolve()?).await?,
    ))
}

/// One of the caller's orders (another customer's order is 404).
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("order_id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/orders/{order_id}")]
async fn get_my_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<OrderView>> {
    Ok(web::Json(
        queries::get_order(&state.db, Viewer::Customer(caller.account_id), *path).await?,
    ))
}

/// The order's history: every status change with who, when and why.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("order_id" = i64, Path)),
    responses((status = 200, body = Vec<OrderEventView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/orders/{order_id}/events")]
async fn my_order_events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<Vec<OrderEventView>>> {
    Ok(web::Json(
        queries::order_history(&state.db, Viewer::Customer(caller.account_id), *path).await?,
    ))
}

/// Cancel an unpaid order, or refund a paid one that is not yet being picked.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("order_id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/orders/{order_id}/cancel")]
async fn cancel_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<OrderView>> {
    Ok(web::Json(
        refunds::cancel_order(&state, caller.account_id, *path).await?,
    ))
}

/// Start paying an order; the answer tells the client how to pay.
#[utoipa::path(tag = "payments", security(("bearer" = [])),
    params(("order_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retries return the first answer")),
    request_body = StartPaymentRequest,
    responses((status = 201, body = PaymentView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/orders/{order_id}/payments")]
async fn start_payment(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<StartPaymentRequest>,
) -> AppResult<HttpResponse> {
    let order_id = *path;
    let key = idempotency_key(&req);
    let scope = format!("orders.pay.{order_id}");
    let (state, caller, body) = (&state, &caller, &body.0);
    super::idempotency::run(
        state,
        caller.account_id,
        &scope,
        key.as_deref(),
        body,
        move |claim| async move {
            let view = payments::start_payment(
                state,
                caller.account_id,
                order_id,
                body.provider
                    .as_deref()
                    .unwrap_or(state.payments.default_provider()),
                claim.as_ref(),
            )
            .await?;
            Ok((StatusCode::CREATED, view))
        },
    )
    .await
}

/// Refunds of one of the caller's orders.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("order_id" = i64, Path)),
    responses((status = 200, body = Vec<RefundView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/orders/{order_id}/refunds")]
async fn my_order_refunds(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<Vec<RefundView>>> {
    Ok(web::Json(
        refunds::list_refunds(&state.db, Viewer::Customer(caller.account_id), *path).await?,
    ))
}

/// Payment provider callback. The sandbox signs the raw body with HMAC-SHA256
/// (hex) in `Sandbox-Signature`; a bad signature is 401 and changes nothing.
#[utoipa::path(tag = "payments", params(("provider" = String, Path)),
    request_body(content = super::model::ProviderEvent, content_type = "application/json"),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/payments/webhooks/{provider}")]
async fn payment_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let header = state
        .payments
        .get(&path)
        .map(|p| p.signature_header().to_owned())
        .unwrap_or_default();
    let signature = req
        .headers()
        .get(header.as_str())
        .and_then(|v| v.to_str().ok());
    payments::handle_webhook(&state, &path, signature, &body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sandbox only: the payer approves, and the sandbox sends its signed webhook.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("provider_ref" = String, Path)),
    responses((status = 200, body = PaymentView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/payments/sandbox/{provider_ref}/succeed")]
async fn sandbox_succeed(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<PaymentView>> {
    Ok(web::Json(
        payments::sandbox_succeed(&state, Viewer::Customer(caller.account_id), &path).await?,
    ))
}

/// A workshop's orders with filters, newest first (manager, fulfilment, streamer).
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("workshop_id" = i64, Path), StaffOrderFilter),
    responses((status = 200, body = Page<OrderView>), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/orders")]
async fn list_workshop_orders(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    filter: Query<StaffOrderFilter>,
) -> AppResult<web::Json<Page<OrderView>>> {
    caller.require_role(*path, STAFF)?;
    let page = PageQuery::resolve_parts(filter.limit, filter.cursor.clone())?;
    Ok(web::Json(
        queries::list_for_workshop(&state.db, *path, &filter, page).await?,
    ))
}

/// One order of the workshop.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/orders/{order_id}")]
async fn get_workshop_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<OrderView>> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        queries::get_order(&state.db, Viewer::Workshop(workshop_id), order_id).await?,
    ))
}

/// An order's history, for staff.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses((status = 200, body = Vec<OrderEventView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/workshops/{workshop_id}/orders/{order_id}/events")]
async fn workshop_order_events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<Vec<OrderEventView>>> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, STAFF)?;
    Ok(web::Json(
        queries::order_history(&state.db, Viewer::Workshop(workshop_id), order_id).await?,
    ))
}

/// Refund a paid order in full or by line and quantity (manager). Unshipped
/// units go back to stock; refunds never exceed what was paid.
#[utoipa::path(tag = "orders", security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retries return the first answer")),
    request_body = RefundRequest,
    responses((status = 201, body = RefundView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/workshops/{workshop_id}/orders/{order_id}/refunds")]
async fn refund_order(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
    body: Json<RefundRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let key = idempotency_key(&req);
    let scope = format!("orders.refund.{order_id}");
    let (state, caller, body) = (&state, &caller, &body.0);
    super::idempotency::run(
        state,
        caller.account_id,
        &scope,
        key.as_deref(),
        body,
        move |claim| async move {
            let view = refunds::refund_order(
                state,
                workshop_id,
                order_id,
                body.clone(),
                caller.account_id,
                claim.as_ref(),
            )
            .await?;
            Ok((StatusCode::CREATED, view))
        },
    )
    .await
}
