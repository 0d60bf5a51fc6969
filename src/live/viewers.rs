//! Viewer figures: current (open streams on every instance), peak and unique,
//! unique split into signed-in accounts and anonymous devices (at most
//! `devices_per_address` per address, so a loop of made-up device ids counts
//! a few times, not thousands). With Redis: per-instance counts in a hash
//! (stale instances ignored), a max-only sorted set for the peak, a set of
//! devices per address and HyperLogLogs for the unique viewers (±0.81 %,
//! 12 KB each per session). Without Redis: this process's exact figures.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::future::Cache as Moka;
use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::redis_backend::RedisBackend;

/// Keys of ended rooms expire on their own after this long.
const FIGURES_TTL_SECS: u64 = 7 * 24 * 3600;
/// The in-process set of unique viewers stops growing here (memory bound).
const LOCAL_UNIQUE_CAP: usize = 1_000_000;

/// Counts a device of an address unless the address has `ARGV[2]` devices
/// already (KEYS[1] the address's set, KEYS[2] the anonymous HyperLogLog).
const ADD_DEVICE: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  redis.call('SADD', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
redis.call('PFADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
";

/// Who watches: a signed-in account, or an anonymous device at an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Viewer {
    Account(i64),
    /// `device` is the client's `device_id`, if it sent one.
    Device {
        address: String,
        device: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ViewerStats {
    /// Open event streams on every instance.
    pub current: i64,
    pub peak: i64,
    /// `signed_in + anonymous`.
    pub unique: i64,
    /// Distinct signed-in accounts.
    pub signed_in: i64,
    /// Distinct anonymous devices, at most a few per client address.
    pub anonymous: i64,
}

impl ViewerStats {
    /// The peak is never below the current count (a report may not have landed yet).
    fn of(current: i64, peak: Option<f64>, signed_in: i64, anonymous: i64) -> Self {
        Self {
            current,
            peak: (peak.unwrap_or(0.0) as i64).max(current),
            unique: signed_in + anonymous,
            signed_in,
            anonymous,
        }
    }
}

/// This process's unique viewers of one session (without Redis).
#[derive(Default)]
struct LocalUniques {
    accounts: HashSet<i64>,
    devices: HashSet<(String, String)>,
    per_address: HashMap<String, usize>,
}

/// Per-instance counts from Redis: (instance id, "count:reported-at-ms").
type Counts = Vec<(String, String)>;

pub struct Viewers {
    redis: Option<RedisBackend>,
    instance_id: String,
    /// An instance that has not reported for this long no longer counts.
    stale_after: Duration,
    devices_per_address: u64,
    peaks: Moka<i64, i64>,
    uniques: Moka<i64, Arc<Mutex<LocalUniques>>>,
}

impl Viewers {
    pub fn new(redis: Option<RedisBackend>, interval: Duration, devices_per_address: u64) -> Self {
        let ttl = Duration::from_secs(FIGURES_TTL_SECS);
        Self {
            redis,
            instance_id: uuid::Uuid::new_v4().simple().to_string(),
            stale_after: (interval * 3).max(Duration::from_secs(5)),
            devices_per_address: devices_per_address.max(1),
            peaks: Moka::builder().time_to_idle(ttl).build(),
            uniques: Moka::builder()
                .max_capacity(10_000)
                .time_to_idle(ttl)
                .build(),
        }
    }

    /// Records that `viewer` watched the session: an account always counts
    /// once; a device only while its address has room for another device.
    pub async fn add_unique(&self, session_id: i64, viewer: &Viewer) {
        if let Some(redis) = &self.redis
            && self.add_shared(redis, session_id, viewer).await.is_some()
        {
            return;
        }
        let set = self
            .uniques
            .get_with(session_id, async { Arc::default() })
            .await;
        let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
        if set.accounts.len() + set.devices.len() >= LOCAL_UNIQUE_CAP {
            return;
        }
        match viewer {
            Viewer::Account(id) => {
                set.accounts.insert(*id);
            }
            Viewer::Device { address, device } => {
                let key = (address.clone(), device.clone().unwrap_or_default());
                if set.devices.contains(&key) {
                    return;
                }
                let count = set.per_address.entry(address.clone()).or_default();
                if (*count as u64) < self.devices_per_address {
                    *count += 1;
                    set.devices.insert(key);
                }
            }
        }
    }

    async fn add_shared(
        &self,
        redis: &RedisBackend,
        session_id: i64,
        viewer: &Viewer,
    ) -> Option<()> {
        let mut pipe = redis::pipe();
        match viewer {
            Viewer::Account(id) => {
                let key = accounts_key(redis, session_id);
                pipe.pfadd(&key, id)
                    .ignore()
                    .expire(&key, FIGURES_TTL_SECS as i64)
                    .ignore();
            }
            Viewer::Device { address, device } => {
                let device = device.as_deref().unwrap_or("");
                pipe.cmd("EVAL")
                    .arg(ADD_DEVICE)
                    .arg(2)
                    .arg(redis.key(&format!("live:{{{session_id}}}:dev:{address}")))
                    .arg(devices_key(redis, session_id))
                    .arg(device)
                    .arg(self.devices_per_address)
                    .arg(format!("{address}|{device}"))
                    .arg(FIGURES_TTL_SECS)
                    .ignore();
            }
        }
        redis.query::<()>(&pipe).await
    }

    /// Reports this instance's open streams and answers the figures across instances.
    pub async fn report(&self, session_id: i64, local: i64) -> ViewerStats {
        if let Some(redis) = &self.redis
            && let Some(stats) = self.report_redis(redis, session_id, local).await
        {
            return stats;
        }
        self.local_stats(session_id, local).await
    }

    async fn report_redis(
        &self,
        redis: &RedisBackend,
        session_id: i64,
        local: i64,
    ) -> Option<ViewerStats> {
        let key = count_key(redis, session_id);
        let mut pipe = redis::pipe();
        if local > 0 {
            let value = format!("{local}:{}", now_ms());
            pipe.hset(&key, &self.instance_id, value).ignore();
        } else {
            pipe.hdel(&key, &self.instance_id).ignore();
        }
        pipe.pexpire(&key, self.stale_after.as_millis() as i64)
            .ignore()
            .hgetall(&key);
        let (counts,): (Counts,) = redis.query(&pipe).await?;
        let current = self.sum_fresh(redis, &key, counts).await;
        let peak_key = peak_key(redis, session_id);
        let mut pipe = redis::pipe();
        pipe.cmd("ZADD")
            .arg(&peak_key)
            .arg("GT")
            .arg(current)
            .arg("peak")
            .ignore()
            .expire(&peak_key, FIGURES_TTL_SECS as i64)
            .ignore()
            .zscore(&peak_key, "peak")
            .pfcount(accounts_key(redis, session_id))
            .pfcount(devices_key(redis, session_id));
        let (peak, signed_in, anonymous): (Option<f64>, i64, i64) = redis.query(&pipe).await?;
        Some(ViewerStats::of(current, peak, signed_in, anonymous))
    }

    /// Answers the figures without reporting (a session page).
    pub async fn stats(&self, session_id: i64, local: i64) -> ViewerStats {
        if let Some(redis) = &self.redis {
            let key = count_key(redis, session_id);
            let mut pipe = redis::pipe();
            pipe.hgetall(&key)
                .zscore(peak_key(redis, session_id), "peak")
                .pfcount(accounts_key(redis, session_id))
                .pfcount(devices_key(redis, session_id));
            let answer: Option<(Counts, Option<f64>, i64, i64)> = redis.query(&pipe).await;
            if let Some((counts, peak, signed_in, anonymous)) = answer {
                let current = self.sum_fresh(redis, &key, counts).await;
                return ViewerStats::of(current, peak, signed_in, anonymous);
            }
        }
        self.local_stats(session_id, local).await
    }

    async fn local_stats(&self, session_id: i64, local: i64) -> ViewerStats {
        let peak = self
            .peaks
            .entry(session_id)
            .and_upsert_with(|old| async move { old.map_or(local, |e| (*e.value()).max(local)) })
            .await
            .into_value();
        let (signed_in, anonymous) = match self.uniques.get(&session_id).await {
            Some(set) => {
                let set = set.lock().unwrap_or_else(|e| e.into_inner());
                (set.accounts.len() as i64, set.devices.len() as i64)
            }
            None => (0, 0),
        };
        ViewerStats::of(local, Some(peak as f64), signed_in, anonymous)
    }

    /// Sums the instances that reported recently; forgets the others.
    async fn sum_fresh(&self, redis: &RedisBackend, key: &str, counts: Counts) -> i64 {
        let now = now_ms();
        let stale_ms = self.stale_after.as_millis() as i64;
        let mut total = 0i64;
        let mut stale = Vec::new();
        for (instance, value) in counts {
            let parsed = value
                .split_once(':')
                .and_then(|(c, t)| Some((c.parse::<i64>().ok()?, t.parse::<i64>().ok()?)));
            match parsed {
                Some((count, at)) if now - at <= stale_ms => total = total.saturating_add(count),
                _ => stale.push(instance),
            }
        }
        if !stale.is_empty() {
            let _: Option<()> = redis.query(redis::pipe().hdel(key, stale).ignore()).await;
        }
        total
    }
}

fn count_key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:viewers"))
}

fn peak_key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:peak"))
}

fn accounts_key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:uv:a"))
}

fn devices_key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:uv:d"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
