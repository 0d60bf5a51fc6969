//! The delivery worker that runs beside the HTTP server in every instance: it
//! polls (or is woken over the bus), fans out, claims, sends, records, until stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};

use super::metrics::WebhookMetrics;
use super::service::target_policy;
use super::store::{self, Job};
use super::{fanout, send};
use crate::config::WebhookSettings;
use crate::error::AppResult;
use crate::platform::bus::BusMessage;
use crate::platform::outbound::{OutboundClient, OutboundConfig};
use crate::platform::outbox::COMMITTED_TOPIC;
use crate::state::AppState;

/// How often pending deliveries past their maximum age are swept, and depth measured.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(5);

pub struct Worker {
    state: AppState,
    client: OutboundClient,
    metrics: WebhookMetrics,
    hooks: Arc<WebhookSettings>,
}

impl Worker {
    pub fn new(state: AppState) -> anyhow::Result<Self> {
        let hooks = state.settings.webhooks.clone();
        let client = OutboundClient::new(OutboundConfig {
            connect_timeout: Duration::from_millis(hooks.connect_timeout_ms),
            timeout: Duration::from_millis(hooks.attempt_timeout_ms),
            max_response_bytes: hooks.max_response_bytes,
            policy: target_policy(&state.settings),
        })?;
        let metrics = WebhookMetrics::register(&state.metrics)?;
        Ok(Self {
            state,
            client,
            metrics,
            hooks: Arc::new(hooks),
        })
    }

    /// Works until `stop` turns true; a round in progress finishes first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if !self.hooks.worker_enabled {
            let _ = stop.wait_for(|stopped| *stopped).await;
            return;
        }
        let mut wake = self.state.bus.subscribe();
        let poll = Duration::from_millis(self.hooks.poll_interval_ms);
        let mut last_housekeeping: Option<Instant> = None;
        loop {
            if last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING_EVERY.min(poll * 10)) {
                self.housekeeping().await;
                last_housekeeping = Some(Instant::now());
            }
            let more = match self.round().await {
                Ok(more) => more,
                Err(err) => {
                    tracing::warn!(error = %err, "webhook worker round failed");
                    false
                }
            };
            if *stop.borrow() {
                break;
            }
            if more {
                continue;
            }
            tokio::select! {
                _ = stop.changed() => break,
                () = tokio::time::sleep(poll) => {}
                () = woken(&mut wake) => {}
            }
        }
    }

    /// Fans out new events and delivers one batch; true when more work is waiting.
    async fn round(&self) -> AppResult<bool> {
        let batch = self.hooks.batch_size;
        let fanned = fanout::fan_out(&self.state.db, self.hooks.max_age_secs, batch * 4).await?;
        let now = Utc::now();
        let lease_until = now + chrono::Duration::milliseconds(self.hooks.lease_ms as i64);
        let jobs = store::claim(&self.state.db, now, lease_until, batch).await?;
        let claimed = jobs.len() as u64;
        futures_util::stream::iter(jobs)
            .for_each_concurrent(self.hooks.concurrency, |job| self.deliver(job))
            .await;
        Ok(fanned as u64 == batch * 4 || claimed == batch)
    }

    async fn deliver(&self, job: Job) {
        let attempt = send::attempt(&self.client, &job).await;
        match store::finish(&self.state.db, &job, &attempt, &self.hooks).await {
            Ok(finished) => self.metrics.attempt(job.endpoint.id, &attempt, finished),
            // The lease runs out and another round retries: at least once, never lost.
            Err(err) => tracing::warn!(error = %err, delivery_id = job.delivery.id,
                "webhook attempt not recorded"),
        }
    }

    async fn housekeeping(&self) {
        match store::sweep_expired(&self.state.db, Utc::now()).await {
            Ok(count) => self.metrics.dead_lettered(count),
            Err(err) => tracing::warn!(error = %err, "dead-letter sweep failed"),
        }
        match store::depth(&self.state.db).await {
            Ok((unrouted, pending)) => self.metrics.depth(unrouted, &pending),
            Err(err) => tracing::debug!(error = %err, "queue depth not measured"),
        }
    }
}

/// Resolves when an instance announces committed outbox events.
async fn woken(bus: &mut broadcast::Receiver<BusMessage>) {
    loop {
        match bus.recv().await {
            Ok(message) if message.topic == COMMITTED_TOPIC => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}
