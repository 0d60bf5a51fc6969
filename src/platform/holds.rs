//! Caps on what a client holds at once (open event streams per address, say).
//! Each hold is a lease in one Redis sorted set per key, so every instance
//! counts the same holds and a crashed instance's leases lapse on their own;
//! this process renews its leases while they are held. Without Redis (or
//! while it does not answer) the caps hold per process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::redis_backend::RedisBackend;

/// Drops leases that lapsed, refuses when a key is at its cap (answers its
/// 1-based index), else leases the member under every key. Redis's own clock,
/// so instances with skewed clocks agree.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[1])
  redis.call('PEXPIRE', key, lease * 2)
end
return 0
";

/// Extends the leases named in ARGV (lease, then key/member pairs) that still exist.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('ZADD', ARGV[i], 'XX', now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', ARGV[i], lease * 2)
end
return 0
";

/// Leases renewed per Redis call.
const RENEW_BATCH: usize = 500;

/// At most `max` holds under `key` at once.
#[derive(Debug, Clone)]
pub struct Cap {
    pub key: String,
    pub max: u64,
}

#[derive(Clone)]
pub struct HoldCaps {
    inner: Arc<Inner>,
}

struct Inner {
    redis: Option<RedisBackend>,
    lease: Duration,
    instance: String,
    next: AtomicU64,
    /// Holds per key in this process: the caps while Redis cannot answer.
    local: Mutex<HashMap<String, u64>>,
    /// This process's holds (member → Redis keys), renewed while held.
    leased: Mutex<HashMap<String, Vec<String>>>,
}

/// One hold under each of its keys, released when dropped.
pub struct Hold {
    inner: Arc<Inner>,
    member: String,
    keys: Vec<String>,
}

impl HoldCaps {
    pub fn new(redis: Option<RedisBackend>, lease: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                redis,
                lease: lease.max(Duration::from_secs(3)),
                instance: uuid::Uuid::new_v4().simple().to_string(),
                next: AtomicU64::new(0),
                local: Mutex::new(HashMap::new()),
                leased: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A hold under every cap, or the first cap that is full.
    pub async fn acquire(&self, caps: &[Cap]) -> Result<Hold, Cap> {
        let member = format!(
            "{}:{}",
            self.inner.instance,
            self.inner.next.fetch_add(1, Ordering::Relaxed)
        );
        if let Some(redis) = &self.inner.redis
            && let Some(full) = self.acquire_shared(redis, &member, caps).await
        {
            return match full {
                0 => Ok(self.hold(member, caps, true)),
                i => Err(caps[i - 1].clone()),
            };
        }
        self.acquire_local(member, caps)
    }

    /// The answer of the shared count: 0 held, else the full cap's 1-based
    /// index; None when Redis did not answer.
    async fn acquire_shared(
        &self,
        redis: &RedisBackend,
        member: &str,
        caps: &[Cap],
    ) -> Option<usize> {
        let mut pipe = redis::pipe();
        let eval = pipe.cmd("EVAL").arg(ACQUIRE).arg(caps.len());
        for cap in caps {
            eval.arg(redis.key(&cap.key));
        }
        eval.arg(member).arg(self.inner.lease.as_millis() as u64);
        for cap in caps {
            eval.arg(cap.max);
        }
        let (answer,): (usize,) = redis.query(&pipe).await?;
        Some(answer)
    }

    fn acquire_local(&self, member: String, caps: &[Cap]) -> Result<Hold, Cap> {
        let mut local = lock(&self.inner.local);
        if let Some(full) = caps
            .iter()
            .find(|cap| local.get(&cap.key).copied().unwrap_or(0) >= cap.max)
        {
            return Err(full.clone());
        }
        for cap in caps {
            *local.entry(cap.key.clone()).or_default() += 1;
        }
        drop(local);
        Ok(self.hold(member, caps, false))
    }

    fn hold(&self, member: String, caps: &[Cap], shared: bool) -> Hold {
        let keys: Vec<String> = caps.iter().map(|c| c.key.clone()).collect();
        if shared {
            lock(&self.inner.leased).insert(member.clone(), keys.clone());
            // Counted locally too, so a Redis outage keeps the caps per process.
            let mut local = lock(&self.inner.local);
            for key in &keys {
                *local.entry(key.clone()).or_default() += 1;
            }
        }
        Hold {
            inner: self.inner.clone(),
            member,
            keys,
        }
    }

    /// Renews this process's leases until shutdown (a third of the lease apart).
    pub async fn run_renewal(self) {
        let Some(redis) = self.inner.redis.clone() else {
            return std::future::pending().await;
        };
        let mut ticker = tokio::time::interval(self.inner.lease / 3);
        loop {
            ticker.tick().await;
            self.renew(&redis).await;
        }
    }

    async fn renew(&self, redis: &RedisBackend) {
        let pairs: Vec<(String, String)> = lock(&self.inner.leased)
            .iter()
            .flat_map(|(member, keys)| keys.iter().map(|k| (redis.key(k), member.clone())))
            .collect();
        for batch in pairs.chunks(RENEW_BATCH) {
            let mut pipe = redis::pipe();
            let eval = pipe.cmd("EVAL").arg(RENEW).arg(0);
            eval.arg(self.inner.lease.as_millis() as u64);
            for (key, member) in batch {
                eval.arg(key).arg(member);
            }
            let _: Option<(i64,)> = redis.query(&pipe).await;
        }
    }

    /// Holds of `key` in this process (tests and metrics).
    pub fn local_count(&self, key: &str) -> u64 {
        lock(&self.inner.local).get(key).copied().unwrap_or(0)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        {
            let mut local = lock(&self.inner.local);
            for key in &self.keys {
                if let Some(count) = local.get_mut(key) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        local.remove(key);
                    }
                }
            }
        }
        let shared = lock(&self.inner.leased).remove(&self.member).is_some();
        if !shared {
            return;
        }
        let Some(redis) = self.inner.redis.clone() else {
            return;
        };
        let (member, keys) = (
            std::mem::take(&mut self.member),
            std::mem::take(&mut self.keys),
        );
        // A release that fails leaves a lease that lapses on its own.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.zrem(redis.key(key), &member).ignore();
                }
                let _: Option<()> = redis.query(&pipe).await;
            });
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
