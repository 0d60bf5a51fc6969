//! Event bus across instances: Redis pub/sub when configured, else in-process.
//! Local subscribers always hear local events at once, even while Redis is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

impl BusMessage {
    /// The instance that published it.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

#[derive(Clone)]
pub struct Bus {
    instance_id: String,
    local: broadcast::Sender<BusMessage>,
    redis: Option<RedisBackend>,
    relay_subscribed: Arc<AtomicBool>,
}

impl Bus {
    pub fn new(redis: Option<RedisBackend>) -> Self {
        let (local, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            instance_id: uuid::Uuid::new_v4().to_string(),
            local,
            redis,
            relay_subscribed: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Whether this instance's relay currently listens on Redis (and so is
    /// itself among the receivers `publish` counts).
    pub fn relay_subscribed(&self) -> bool {
        self.relay_subscribed.load(Ordering::SeqCst)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.local.subscribe()
    }

    /// Sends to local subscribers and, through Redis, to every instance's relay.
    /// Returns how many relays (this one included) Redis handed it to; `None`
    /// without Redis or when Redis did not answer.
    pub async fn publish(&self, topic: &str, payload: serde_json::Value) -> Option<u64> {
        let message = BusMessage {
            topic: topic.to_owned(),
            payload,
            origin: self.instance_id.clone(),
        };
        let mut receivers = None;
        if let Some(redis) = &self.redis {
            match serde_json::to_string(&message) {
                Ok(text) => {
                    let channel = redis.key("bus");
                    receivers = redis
                        .query::<(u64,)>(redis::pipe().publish(channel, text))
                        .await
                        .map(|(n,)| n);
                }
                Err(err) => tracing::error!(%err, "bus message not serialisable"),
            }
        }
        let _ = self.local.send(message);
        receivers
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
            self.relay_subscribed.store(false, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn relay_once(&self, redis: &RedisBackend) -> anyhow::Result<()> {
        let connect = redis.client().get_async_pubsub();
        let mut pubsub = tokio::time::timeout(Duration::from_secs(2), connect).await??;
        pubsub.subscribe(redis.key("bus")).await?;
        tracing::info!("bus relay subscribed");
        self.relay_subscribed.store(true, Ordering::SeqCst);
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
