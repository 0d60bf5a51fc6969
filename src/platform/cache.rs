//! The cache: Redis when configured, else in-process. Failures are logged and
//! treated as misses, so losing the cache never fails a request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache as Moka;
use tokio::sync::Mutex;

use super::redis_backend::RedisBackend;
use crate::config::CacheSettings;

#[derive(Clone)]
pub struct Cache {
    redis: Option<RedisBackend>,
    local: Moka<String, Arc<LocalEntry>>,
    /// Window counters used without Redis, or while Redis is unreachable.
    counters: Moka<String, Arc<Mutex<Window>>>,
}

struct LocalEntry {
    value: Vec<u8>,
    expires_at: Instant,
}

struct Window {
    count: u64,
    ends_at: Instant,
}

/// A fixed-window count: how many hits so far and when the window closes.
#[derive(Debug, Clone, Copy)]
pub struct WindowCount {
    pub count: u64,
    pub resets_in_secs: u64,
}

impl Cache {
    pub fn new(settings: &CacheSettings, redis: Option<RedisBackend>) -> Self {
        Self {
            redis,
            local: Moka::builder()
                .max_capacity(settings.local_capacity)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            counters: Moka::builder()
                .max_capacity(settings.local_capacity)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    pub fn kind(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "in_process"
        }
    }

    /// Whether every instance sees the same entries (Redis).
    pub fn is_shared(&self) -> bool {
        self.redis.is_some()
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        match &self.redis {
            Some(redis) => {
                redis
                    .query::<(Option<Vec<u8>>,)>(redis::pipe().get(redis.key(key)))
                    .await?
                    .0
            }
            None => {
                let entry = self.local.get(key).await?;
                (entry.expires_at > Instant::now()).then(|| entry.value.clone())
            }
        }
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        match &self.redis {
            Some(redis) => {
                let secs = ttl.as_secs().max(1);
                let _: Option<()> = redis
                    .query(redis::pipe().set_ex(redis.key(key), value, secs).ignore())
                    .await;
            }
            None => {
                let entry = LocalEntry {
                    value: value.to_vec(),
                    expires_at: Instant::now() + ttl,
                };
                self.local.insert(key.to_owned(), Arc::new(entry)).await;
            }
        }
    }

    pub async fn delete(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        match &self.redis {
            Some(redis) => {
                let full: Vec<String> = keys.iter().map(|k| redis.key(k)).collect();
                let _: Option<()> = redis.query(redis::pipe().del(full).ignore()).await;
            }
            None => {
                for key in keys {
                    self.local.invalidate(key).await;
                }
            }
        }
    }

    /// Counts a hit in a fixed window shared by every instance (through Redis),
    /// falling back to this process's own count when Redis cannot answer.
    pub async fn hit(&self, key: &str, window: Duration) -> WindowCount {
        if let Some(redis) = &self.redis {
            let full = redis.key(key);
            let secs = window.as_secs().max(1) as i64;
            let mut pipe = redis::pipe();
            pipe.incr(&full, 1u64)
                .cmd("EXPIRE")
                .arg(&full)
                .arg(secs)
                .arg("NX")
                .ignore()
                .ttl(&full);
            if let Some((count, ttl)) = redis.query::<(u64, i64)>(&pipe).await {
                return WindowCount {
                    count,
                    resets_in_secs: ttl.max(1) as u64,
                };
            }
        }
        self.local_hit(key, window).await
    }

    /// The current count without adding a hit.
    pub async fn peek(&self, key: &str, window: Duration) -> WindowCount {
        if let Some(redis) = &self.redis {
            let full = redis.key(key);
            let mut pipe = redis::pipe();
            pipe.get(&full).ttl(&full);
            if let Some((count, ttl)) = redis.query::<(Option<u64>, i64)>(&pipe).await {
                return WindowCount {
                    count: count.unwrap_or(0),
                    resets_in_secs: ttl.max(1) as u64,
                };
            }
        }
        let window_state = self.counter(key, window).await;
        let state = window_state.lock().await;
        WindowCount {
            count: state.count,
            resets_in_secs: secs_until(state.ends_at),
        }
    }

    pub async fn reset(&self, key: &str) {
        self.counters.invalidate(key).await;
        self.delete(&[key.to_owned()]).await;
    }

    async fn local_hit(&self, key: &str, window: Duration) -> WindowCount {
        let window_state = self.counter(key, window).await;
        let mut state = window_state.lock().await;
        state.count += 1;
        WindowCount {
            count: state.count,
            resets_in_secs: secs_until(state.ends_at),
        }
    }

    async fn counter(&self, key: &str, window: Duration) -> Arc<Mutex<Window>> {
        let entry = self
            .counters
            .get_with(key.to_owned(), async {
                Arc::new(Mutex::new(Window::starting(window)))
            })
            .await;
        {
            let mut state = entry.lock().await;
            if state.ends_at <= Instant::now() {
                *state = Window::starting(window);
            }
        }
        entry
    }

    /// Whether the cache backend answers right now (readiness).
    pub async fn is_up(&self) -> bool {
        match &self.redis {
            Some(redis) => redis
                .query_now::<(String,)>(redis::pipe().cmd("PING"))
                .await
                .is_some(),
            None => true,
        }
    }
}

impl Window {
    fn starting(window: Duration) -> Self {
        Self {
            count: 0,
            ends_at: Instant::now() + window,
        }
    }
}

fn secs_until(at: Instant) -> u64 {
    at.saturating_duration_since(Instant::now())
        .as_secs()
        .max(1)
}
