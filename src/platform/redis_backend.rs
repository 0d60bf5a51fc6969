//! A Redis connection that never makes a request wait long: every call has a
//! short timeout, and after a failure Redis is skipped for a moment (breaker).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, FromRedisValue, Pipeline};

use crate::config::CacheSettings;

/// How long Redis is bypassed after a failed call before it is tried again.
const BREAKER_OPEN_MS: i64 = 1000;

#[derive(Clone)]
pub struct RedisBackend {
    client: Client,
    manager: ConnectionManager,
    prefix: String,
    timeout: Duration,
    open_until_ms: Arc<AtomicI64>,
}

impl RedisBackend {
    /// Connects lazily: start-up succeeds even while Redis is down.
    pub fn new(settings: &CacheSettings) -> anyhow::Result<Self> {
        let client = Client::open(settings.url.as_str())?;
        let timeout = Duration::from_millis(settings.response_timeout_ms);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(settings.connect_timeout_ms)))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            manager,
            prefix: settings.key_prefix.clone(),
            timeout,
            open_until_ms: Arc::new(AtomicI64::new(0)),
        })
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a pipeline unless the breaker is open; errors and timeouts open it.
    pub async fn query<T: FromRedisValue>(&self, pipe: &Pipeline) -> Option<T> {
        if now_ms() < self.open_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        self.query_now(pipe).await
    }

    /// Runs a pipeline even if the breaker is open (readiness probes).
    pub async fn query_now<T: FromRedisValue>(&self, pipe: &Pipeline) -> Option<T> {
        let mut conn = self.manager.clone();
        let result = tokio::time::timeout(self.timeout * 2, pipe.query_async::<T>(&mut conn)).await;
        match result {
            Ok(Ok(value)) => {
                self.open_until_ms.store(0, Ordering::Relaxed);
                Some(value)
            }
            Ok(Err(err)) => self.trip(&err.to_string()),
            Err(_) => self.trip("timed out"),
        }
    }

    /// Hands every message published on `channel` to `on_message`, forever:
    /// after a lost connection it subscribes again (messages meanwhile are lost).
    pub async fn listen(&self, channel: &str, mut on_message: impl FnMut(&[u8])) {
        loop {
            if let Err(err) = self.listen_once(channel, &mut on_message).await {
                tracing::debug!(%err, channel, "redis subscription lost; retrying");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn listen_once(
        &self,
        channel: &str,
        on_message: &mut impl FnMut(&[u8]),
    ) -> anyhow::Result<()> {
        let connect = self.client.get_async_pubsub();
        let mut pubsub = tokio::time::timeout(Duration::from_secs(2), connect).await??;
        pubsub.subscribe(channel).await?;
        tracing::info!(channel, "redis subscription active");
        let mut messages = pubsub.into_on_message();
        while let Some(msg) = messages.next().await {
            on_message(msg.get_payload_bytes());
        }
        anyhow::bail!("pubsub stream ended")
    }

    fn trip<T>(&self, reason: &str) -> Option<T> {
        let was_closed = self
            .open_until_ms
            .swap(now_ms() + BREAKER_OPEN_MS, Ordering::Relaxed)
            == 0;
        if was_closed {
            tracing::warn!(reason, "redis call failed; bypassing redis for a moment");
        }
        None
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
