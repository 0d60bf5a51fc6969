//! Request limits per customer and per client address: fixed windows counted in
//! Redis, so every instance shares them, and in process while Redis cannot answer.

use std::time::Duration;

use actix_web::HttpRequest;

use super::cache::Cache;
use crate::config::Limit;
use crate::error::{AppError, AppResult};

/// Counts this request against `limit` for the customer and for the address;
/// 429 `rate_limited` with `Retry-After` once either is over. 0 means no limit.
pub async fn check(
    cache: &Cache,
    name: &str,
    limit: &Limit,
    window: Duration,
    customer_id: i64,
    ip: &str,
) -> AppResult<()> {
    let customer = format!("rl:{name}:c:{customer_id}");
    let address = format!("rl:{name}:ip:{ip}");
    let (by_customer, by_address) = tokio::join!(
        count(cache, &customer, limit.per_customer, window),
        count(cache, &address, limit.per_ip, window),
    );
    by_customer.and(by_address)
}

async fn count(cache: &Cache, key: &str, allowed: u64, window: Duration) -> AppResult<()> {
    if allowed == 0 {
        return Ok(());
    }
    let hits = cache.hit(key, window).await;
    if hits.count > allowed {
        return Err(AppError::rate_limited(hits.resets_in_secs));
    }
    Ok(())
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when the
/// service runs behind its own proxy (`server.trust_forwarded_for`).
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let info = req.connection_info();
    let addr = if trust_forwarded_for {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    addr.unwrap_or("unknown").to_owned()
}
