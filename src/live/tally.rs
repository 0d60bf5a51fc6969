//! A live session's running sales tally (orders, units, GMV of the orders
//! placed in it), added to after every committed batch: in Redis, so every
//! instance adds to and reads the same figures, in process without it. The
//! orders are the record; the tally is what the room ticks with.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::redis_backend::RedisBackend;

const TTL_SECS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionTally {
    /// Orders placed in the session (paid or not).
    pub orders: i64,
    pub units: i64,
    /// Their totals, in fen.
    pub gmv_fen: i64,
}

impl SessionTally {
    fn add(&mut self, more: SessionTally) {
        self.orders += more.orders;
        self.units += more.units;
        self.gmv_fen += more.gmv_fen;
    }
}

pub struct Tallies {
    redis: Option<RedisBackend>,
    local: Mutex<HashMap<i64, SessionTally>>,
}

impl Tallies {
    pub fn new(redis: Option<RedisBackend>) -> Self {
        Self {
            redis,
            local: Mutex::new(HashMap::new()),
        }
    }

    /// Adds `more` to the session's tally; the tally after it.
    pub async fn add(&self, session_id: i64, more: SessionTally) -> SessionTally {
        if let Some(redis) = &self.redis {
            let key = key(redis, session_id);
            let mut pipe = redis::pipe();
            pipe.hincr(&key, "orders", more.orders)
                .hincr(&key, "units", more.units)
                .hincr(&key, "gmv_fen", more.gmv_fen)
                .expire(&key, TTL_SECS)
                .ignore();
            if let Some((orders, units, gmv_fen)) = redis.query::<(i64, i64, i64)>(&pipe).await {
                return SessionTally {
                    orders,
                    units,
                    gmv_fen,
                };
            }
        }
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        let tally = local.entry(session_id).or_default();
        tally.add(more);
        *tally
    }

    /// The session's tally, if anything was counted for it.
    pub async fn get(&self, session_id: i64) -> Option<SessionTally> {
        if let Some(redis) = &self.redis {
            let mut pipe = redis::pipe();
            pipe.cmd("HMGET")
                .arg(key(redis, session_id))
                .arg("orders")
                .arg("units")
                .arg("gmv_fen");
            let found: Option<(Vec<Option<i64>>,)> = redis.query(&pipe).await;
            if let Some((values,)) = found {
                return match values.as_slice() {
                    [Some(orders), Some(units), Some(gmv_fen)] => Some(SessionTally {
                        orders: *orders,
                        units: *units,
                        gmv_fen: *gmv_fen,
                    }),
                    _ => None,
                };
            }
        }
        let local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        local.get(&session_id).copied()
    }
}

fn key(redis: &RedisBackend, session_id: i64) -> String {
    redis.key(&format!("live:{{{session_id}}}:tally"))
}
