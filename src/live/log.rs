//! Each session's event log: ids that only grow, and the last few minutes kept
//! for `Last-Event-ID` replay. Redis (one atomic script) or an in-process ring.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::future::Cache as Moka;

use super::events::Frame;
use crate::config::LiveSettings;
use crate::platform::redis_backend::RedisBackend;

/// Assigns the id, stores the entry, trims by age and count, and publishes it,
/// all at once: every instance sees a session's events in id order.
/// An id is `max(previous id + 1, now in ms × 1000)`: it keeps growing across a
/// Redis flush or a process restart, and trimming by age is a score range.
const APPEND_SCRIPT: &str = r#"
local prev = tonumber(redis.call('GET', KEYS[1]) or '0')
local id = prev + 1
local floor = tonumber(ARGV[3])
if floor > id then id = floor end
local sid = string.format('%d', id)
redis.call('SET', KEYS[1], sid, 'EX', ARGV[6])
local entry = sid .. '|' .. string.format('%d', prev) .. '|' .. ARGV[1] .. '|' .. ARGV[2]
redis.call('ZADD', KEYS[2], sid, entry)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[9])
redis.call('PUBLISH', ARGV[7], ARGV[8] .. '|' .. entry)
return sid
"#;

/// How long a session's last id is kept (ids still grow after it expires).
const SEQ_TTL_SECS: u64 = 7 * 24 * 3600;

pub struct EventLog {
    redis: Option<RedisBackend>,
    rings: Moka<i64, Arc<Mutex<Ring>>>,
    window: Duration,
    max_events: usize,
}

#[derive(Default)]
struct Ring {
    last_id: i64,
    frames: VecDeque<Arc<Frame>>,
}

impl EventLog {
    pub fn new(redis: Option<RedisBackend>, settings: &LiveSettings) -> Self {
        let window = Duration::from_secs(settings.replay_secs.max(1));
        Self {
            redis,
            rings: Moka::builder()
                .max_capacity(10_000)
                .time_to_idle(window * 2)
                .build(),
            window,
            max_events: settings.replay_max_events.max(1),
        }
    }

    /// The channel the relay listens to.
    pub fn channel(redis: &RedisBackend) -> String {
        redis.key("live:events")
    }

    /// Appends an event and returns its id. When Redis takes it, every instance
    /// (this one too) hears it through the relay; else it is kept in this
    /// process and handed to `deliver` under the ring's lock, so concurrent
    /// publishers' frames reach local streams in id order.
    pub async fn append(
        &self,
        session_id: i64,
        kind: &str,
        json: &str,
        deliver: impl FnOnce(Arc<Frame>),
    ) -> i64 {
        if let Some(redis) = &self.redis
            && let Some(id) = self.append_redis(redis, session_id, kind, json).await
        {
            return id;
        }
        let ring = self.ring(session_id).await;
        let mut ring = ring.lock().unwrap_or_else(|e| e.into_inner());
        let prev = ring.last_id;
        let id = (prev + 1).max(time_floor(0));
        ring.last_id = id;
        let frame = Arc::new(Frame::logged(id, prev, kind, json));
        ring.frames.push_back(frame.clone());
        let cutoff = time_floor(self.window.as_millis() as i64);
        while ring.frames.len() > self.max_events
            || ring.frames.front().is_some_and(|f| f.id < cutoff)
        {
            ring.frames.pop_front();
        }
        deliver(frame);
        id
    }

    async fn append_redis(
        &self,
        redis: &RedisBackend,
        session_id: i64,
        kind: &str,
        json: &str,
    ) -> Option<i64> {
        let mut pipe = redis::pipe();
        pipe.cmd("EVAL")
            .arg(APPEND_SCRIPT)
            .arg(2)
            .arg(seq_key(redis, session_id))
            .arg(log_key(redis, session_id))
            .arg(kind)
            .arg(json)
            .arg(time_floor(0))
            .arg(time_floor(self.window.as_millis() as i64))
            .arg(self.max_events)
            .arg(SEQ_TTL_SECS)
            .arg(Self::channel(redis))
            .arg(session_id)
            .arg(self.window.as_secs().max(1));
        let (id,): (String,) = redis.query(&pipe).await?;
        id.parse().ok()
    }

    /// Events with `after < id < before` (before: None = no upper bound), in order.
    pub async fn range(&self, session_id: i64, after: i64, before: Option<i64>) -> Vec<Arc<Frame>> {
        if let Some(redis) = &self.redis {
            let upper = before.map_or_else(|| "+inf".to_owned(), |b| format!("({b}"));
            let mut pipe = redis::pipe();
            pipe.cmd("ZRANGEBYSCORE")
                .arg(log_key(redis, session_id))
                .arg(format!("({after}"))
                .arg(upper);
            if let Some((entries,)) = redis.query::<(Vec<String>,)>(&pipe).await {
                return entries
                    .iter()
                    .filter_map(|e| Frame::parse_entry(e))
                    .map(Arc::new)
                    .collect();
            }
        }
        let Some(ring) = self.rings.get(&session_id).await else {
            return Vec::new();
        };
        let ring = ring.lock().unwrap_or_else(|e| e.into_inner());
        let start = ring.frames.partition_point(|f| f.id <= after);
        ring.frames
            .iter()
            .skip(start)
            .take_while(|f| before.is_none_or(|b| f.id < b))
            .cloned()
            .collect()
    }

    async fn ring(&self, session_id: i64) -> Arc<Mutex<Ring>> {
        self.rings
            .get_with(session_id, async { Arc::new(Mutex::new(Ring::default())) })
            .await
    }
}

/// `{id}` is a hash tag: a session's keys share one Redis Cluster slot.
fn seq_key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:seq"))
}

fn log_key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:log"))
}

/// The smallest id an event published `ago_ms` milliseconds ago can have.
fn time_floor(ago_ms: i64) -> i64 {
    (chrono::Utc::now().timestamp_millis() - ago_ms).saturating_mul(1000)
}
