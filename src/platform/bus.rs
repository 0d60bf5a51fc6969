//! Event bus across instances: Redis pub/sub when configured, else in-process.
//! Local subscribers always hear local events at once, even while Redis is down.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::redis_backend::RedisBackend;

/// Bounded: a subscriber that lags skips messages instead of blocking publishers.
const CHANNEL_CAPACITY: usize = 4096;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BusMessage {
    pub topic: String,
    pub payload: serde_json::Value,
    origin: String,
}

#[derive(Clone)]
pub struct Bus {
    instance_id: String,
    local: broadcast::Sender<BusMessage>,
    redis: Option<RedisBackend>,
}

impl Bus {
    pub fn new(redis: Option<RedisBackend>) -> Self {
        let (local, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            instance_id: uuid::Uuid::new_v4().to_string(),
            local,
            redis,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.local.subscribe()
    }

    pub async fn publish(&self, topic: &str, payload: serde_json::Value) {
        let message = BusMessage {
            topic: topic.to_owned(),
            payload,
            origin: self.instance_id.clone(),
        };
        if let Some(redis) = &self.redis {
            match serde_json::to_string(&message) {
                Ok(text) => {
                    let channel = redis.key("bus");
                    let _: Option<()> = redis
                        .query(redis::pipe().publish(channel, text).ignore())
                        .await;
                }
                Err(err) => tracing::error!(%err, "bus message not serialisable"),
            }
        }
        let _ = self.local.send(message);
    }

    /// Forwards messages from other instances until shutdown; reconnects forever.
    pub async fn run_relay(self) {
        let Some(redis) = self.redis.clone() else {
            return std::future::pending().await;
        };
        redis
            .listen(&redis.key("bus"), |payload| {
                match serde_json::from_slice::<BusMessage>(payload) {
                    Ok(message) if message.origin != self.instance_id => {
                        let _ = self.local.send(message);
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%err, "undecodable bus message"),
                }
            })
            .await
    }
}
