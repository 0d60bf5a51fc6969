//! HTTP endpoints for a customer's addresses and cart, and cart checkout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    AddressRequest, AddressView, CartLineRequest, CartView, CheckoutRequest, CheckoutResponse,
};
use super::routes::idempotency_key;
use super::{addresses, cart};
use crate::auth::Caller;
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_addresses)
        .service(add_address)
        .service(update_address)
        .service(delete_address)
        .service(view_cart)
        .service(set_cart_line)
        .service(remove_cart_line)
        .service(checkout);
}

/// The caller's delivery addresses.
#[utoipa::path(tag = "cart", security(("bearer" = [])), responses((status = 200, body = Vec<AddressView>)))]
#[get("/me/addresses")]
async fn list_addresses(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<Vec<AddressView>>> {
    Ok(web::Json(
        addresses::list_addresses(&state.db, caller.account_id).await?,
    ))
}

/// Add a delivery address (at most 20).
#[utoipa::path(tag = "cart", security(("bearer" = [])), request_body = AddressRequest,
    responses((status = 201, body = AddressView), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/me/addresses")]
async fn add_address(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<AddressRequest>,
) -> AppResult<HttpResponse> {
    caller.require_customer()?;
    let view = addresses::add_address(&state.db, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Replace one of the caller's addresses.
#[utoipa::path(tag = "cart", security(("bearer" = [])), params(("address_id" = i64, Path)), request_body = AddressRequest,
    responses((status = 200, body = AddressView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[put("/me/addresses/{address_id}")]
async fn update_address(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<AddressRequest>,
) -> AppResult<web::Json<AddressView>> {
    Ok(web::Json(
        addresses::update_address(&state.db, caller.account_id, *path, body.0).await?,
    ))
}

/// Delete one of the caller's addresses.
#[utoipa::path(tag = "cart", security(("bearer" = [])), params(("address_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/me/addresses/{address_id}")]
async fn delete_address(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    addresses::delete_address(&state.db, caller.account_id, *path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's cart with current prices and availability.
#[utoipa::path(tag = "cart", security(("bearer" = [])), responses((status = 200, body = CartView)))]
#[get("/cart")]
async fn view_cart(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<CartView>> {
    Ok(web::Json(
        cart::view_cart(&state.db, caller.account_id).await?,
    ))
}

/// Put a SKU in the cart with this quantity (replaces the line's quantity).
#[utoipa::path(tag = "cart", security(("bearer" = [])), params(("sku_id" = i64, Path)), request_body = CartLineRequest,
    responses((status = 200, body = CartView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
#[put("/cart/lines/{sku_id}")]
async fn set_cart_line(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CartLineRequest>,
) -> AppResult<web::Json<CartView>> {
    caller.require_customer()?;
    Ok(web::Json(
        cart::set_line(&state.db, caller.account_id, *path, body.quantity).await?,
    ))
}

/// Take a SKU out of the cart.
#[utoipa::path(tag = "cart", security(("bearer" = [])), params(("sku_id" = i64, Path)), responses((status = 200, body = CartView)))]
#[delete("/cart/lines/{sku_id}")]
async fn remove_cart_line(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<CartView>> {
    Ok(web::Json(
        cart::remove_line(&state.db, caller.account_id, *path).await?,
    ))
}

/// Check out the cart: one order per workshop, all placed or none.
#[utoipa::path(tag = "cart", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries return the first answer")),
    request_body = CheckoutRequest,
    responses((status = 201, body = CheckoutResponse), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited: too many orders from this customer or address; retry after the given seconds", body = Problem, content_type = "application/problem+json"),))]
#[post("/cart/checkout")]
async fn checkout(
    state: web::Data<AppState>,
    caller: Caller,
    ip: ClientIp,
    req: HttpRequest,
    body: Json<CheckoutRequest>,
) -> AppResult<HttpResponse> {
    caller.require_customer()?;
    super::throttle::placing_order(&state, &caller, &ip)?;
    let key = idempotency_key(&req);
    let (state, caller, body) = (&state, &caller, &body.0);
    super::idempotency::run(
        state,
        caller.account_id,
        "cart.checkout",
        key.as_deref(),
        body,
        move |claim| async move {
            let buyer = super::service::Buyer {
                customer_id: caller.account_id,
                name: &caller.name,
            };
            let response = cart::checkout(state, buyer, body.address_id, claim).await?;
            Ok((StatusCode::CREATED, response))
        },
    )
    .await
}
