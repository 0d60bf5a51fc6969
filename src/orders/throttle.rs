//! The per-customer and per-address limits on buying (`rate_limits` in the
//! config): one call at the top of each buying handler, before any work.

use std::time::Duration;

use actix_web::HttpRequest;

use crate::auth::Caller;
use crate::config::Limit;
use crate::error::AppResult;
use crate::platform::rate_limit;
use crate::state::AppState;

/// Buy now and cart checkout.
pub async fn placing_order(state: &AppState, caller: &Caller, req: &HttpRequest) -> AppResult<()> {
    let limits = &state.settings.rate_limits;
    within(state, "orders", &limits.orders, caller, req).await
}

/// Flash-deal purchases.
pub async fn buying_deal(state: &AppState, caller: &Caller, req: &HttpRequest) -> AppResult<()> {
    let limits = &state.settings.rate_limits;
    within(state, "deals", &limits.deals, caller, req).await
}

async fn within(
    state: &AppState,
    name: &str,
    limit: &Limit,
    caller: &Caller,
    req: &HttpRequest,
) -> AppResult<()> {
    let window = Duration::from_secs(state.settings.rate_limits.window_secs.max(1));
    let ip = rate_limit::client_ip(req, state.settings.server.trust_forwarded_for);
    state
        .limits
        .check(name, limit, window, caller.account_id, &ip)
}
