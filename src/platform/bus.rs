//! Event bus across instances: Redis pub/sub when configured, else in-process.
//! Local subscribers always hear local events at once, even while Redis is down.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::redis_backend::RedisBackend;

/// Sent to local subscribers each time the relay (re)subscribes to Redis:
/// messages published while it was away are lost, so caches should drop everything.
pub const RELAY_CONNECTED: &str = "bus.relay_connected";

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
        loop {
            if let Err(err) = self.relay_once(&redis).await {
                tracing::debug!(%err, "bus relay disconnected; retrying");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn relay_once(&self, redis: &RedisBackend) -> anyhow::Result<()> {
        let connect = redis.client().get_async_pubsub();
        let mut pubsub = tokio::time::timeout(Duration::from_secs(2), connect).await??;
        pubsub.subscribe(redis.key("bus")).await?;
        tracing::info!("bus relay subscribed");
        let _ = self.local.send(BusMessage {
            topic: RELAY_CONNECTED.to_owned(),
            payload: serde_json::Value::Null,
            origin: self.instance_id.clone(),
        });
        let mut messages = pubsub.into_on_message();
        while let Some(msg) = messages.next().await {
            match serde_json::from_slice::<BusMessage>(msg.get_payload_bytes()) {
                Ok(message) if message.origin != self.instance_id => {
                    let _ = self.local.send(message);
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "undecodable bus message"),
            }
        }
        anyhow::bail!("pubsub stream ended")
    }
}
