//! The per-customer and per-address limits on buying (`rate_limits` in the
//! config): one call at the top of each buying handler, before any work.

use std::time::Duration;

use crate::auth::Caller;
use crate::config::Limit;
use crate::error::AppResult;
use crate::platform::rate_limit::ClientIp;
use crate::state::AppState;

/// Buy now and cart checkout.
pub fn placing_order(state: &AppState, caller: &Caller, ip: &ClientIp) -> AppResult<()> {
    let limits = &state.settings.rate_limits;
    within(state, "orders", &limits.orders, caller, ip)
}

/// Flash-deal purchases.
pub fn buying_deal(state: &AppState, caller: &Caller, ip: &ClientIp) -> AppResult<()> {
    let limits = &state.settings.rate_limits;
    within(state, "deals", &limits.deals, caller, ip)
}

fn within(
    state: &AppState,
    name: &str,
    limit: &Limit,
    caller: &Caller,
    ip: &ClientIp,
) -> AppResult<()> {
    let window = Duration::from_secs(state.settings.rate_limits.window_secs.max(1));
    state
        .limits
        .check(name, limit, window, caller.account_id, &ip.0)
}
