//! Request limits per customer and per client address: fixed windows counted
//! in process memory, so a check costs no round trip, and exchanged with the
//! other instances through Redis four times a second, so together they hold
//! the limit within what each lets through in a quarter second.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::redis_backend::RedisBackend;
use crate::config::Limit;
use crate::error::{AppError, AppResult};

/// Windows start on multiples of their length (UNIX time), so every
/// instance counts the same window under the same key.
#[derive(Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
}

struct Inner {
    redis: Option<RedisBackend>,
    windows: Mutex<HashMap<String, Count>>,
}

/// One key's count in its current window: this instance's hits, how many of
/// them Redis has, and the other instances' hits as last heard.
#[derive(Debug, Clone, Copy, Default)]
struct Count {
    window: i64,
    window_secs: i64,
    local: u64,
    shared: u64,
    others: u64,
}

/// How often counts are exchanged with Redis: another instance's hits are at
/// most this late, so each instance may let through that much more.
pub const SYNC_EVERY: Duration = Duration::from_millis(250);

impl Limiter {
    pub fn new(redis: Option<RedisBackend>) -> Self {
        Self {
            inner: Arc::new(Inner {
                redis,
                windows: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Counts this request against `limit` for the customer and for the
    /// address, from memory (no round trip); 429 `rate_limited` with
    /// `Retry-After` once either is over. 0 means no limit.
    pub fn check(
        &self,
        name: &str,
        limit: &Limit,
        window: Duration,
        customer_id: i64,
        ip: &str,
    ) -> AppResult<()> {
        let secs = window.as_secs().max(1) as i64;
        let now = chrono::Utc::now().timestamp();
        let keys = [
            (format!("rl:{name}:c:{customer_id}"), limit.per_customer),
            (format!("rl:{name}:ip:{ip}"), limit.per_ip),
        ];
        let mut windows = lock(&self.inner.windows);
        for (key, allowed) in &keys {
            if *allowed == 0 {
                continue;
            }
            let count = current(&mut windows, key, secs, now);
            if count.local + count.others >= *allowed {
                let resets_in = (count.window + 1) * secs - now;
                return Err(AppError::rate_limited(resets_in.max(1) as u64));
            }
        }
        for (key, allowed) in keys {
            if allowed > 0 {
                current(&mut windows, &key, secs, now).local += 1;
            }
        }
        Ok(())
    }

    /// Exchanges counts with Redis every `SYNC_EVERY` until shutdown.
    pub async fn run_sync(self) {
        let Some(redis) = self.inner.redis.clone() else {
            return std::future::pending().await;
        };
        let mut ticker = tokio::time::interval(SYNC_EVERY);
        loop {
            ticker.tick().await;
            self.sync(&redis).await;
        }
    }

    /// Adds this instance's new hits and learns the others' for every key it
    /// counted in the current window (a key with nothing new adds 0).
    async fn sync(&self, redis: &RedisBackend) {
        let now = chrono::Utc::now().timestamp();
        let due: Vec<(String, Count)> = {
            let mut windows = lock(&self.inner.windows);
            windows.retain(|_, c| (c.window + 1) * c.window_secs > now);
            windows
                .iter()
                .filter(|(_, c)| c.local > 0)
                .map(|(k, c)| (k.clone(), *c))
                .collect()
        };
        if due.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for (key, count) in &due {
            let full = redis.key(&format!("{key}:{}", count.window));
            pipe.incr(&full, count.local - count.shared)
                .expire(&full, count.window_secs * 2)
                .ignore();
        }
        let Some(totals) = redis.query::<Vec<u64>>(&pipe).await else {
            return;
        };
        let mut windows = lock(&self.inner.windows);
        for ((key, sent), total) in due.iter().zip(totals) {
            if let Some(count) = windows.get_mut(key)
                && count.window == sent.window
            {
                count.shared = sent.local;
                count.others = total.saturating_sub(sent.local);
            }
        }
    }
}

fn current<'a>(
    windows: &'a mut HashMap<String, Count>,
    key: &str,
    secs: i64,
    now: i64,
) -> &'a mut Count {
    let window = now.div_euclid(secs);
    let count = windows.entry(key.to_owned()).or_default();
    if count.window != window || count.window_secs != secs {
        *count = Count {
            window,
            window_secs: secs,
            ..Count::default()
        };
    }
    count
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether `X-Forwarded-For` names the client (behind a trusted proxy);
/// registered as app data so [`ClientIp`] can read it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIpPolicy {
    pub trust_forwarded_for: bool,
}

/// The client's address as the limits count it, taken from the request by
/// the HTTP layer so that no service needs the request itself.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequest for ClientIp {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust = req
            .app_data::<web::Data<ClientIpPolicy>>()
            .is_some_and(|policy| policy.trust_forwarded_for);
        ready(Ok(ClientIp(client_ip(req, trust))))
    }
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when the
/// service runs behind its own proxy (`server.trust_forwarded_for`).
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let info = req.connection_info();
        return info.realip_remote_addr().unwrap_or("unknown").to_owned();
    }
    // The peer alone needs none of the header parsing `connection_info` does.
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
}
