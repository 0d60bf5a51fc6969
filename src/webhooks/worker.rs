//! The delivery worker that runs beside the HTTP server in every instance: it
//! polls (or is woken over the bus), fans out, claims, sends, records, until stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

use super::metrics::WebhookMetrics;
use super::record::{self, Outcome};
use super::service::target_policy;
use super::store;
use super::{fanout, send};
use crate::config::WebhookSettings;
use crate::error::AppResult;
use crate::platform::bus::BusMessage;
use crate::platform::outbound::{OutboundClient, OutboundConfig};
use crate::platform::outbox::COMMITTED_TOPIC;
use crate::state::AppState;

/// A woken worker starts its next round at least this long after the last one.
const WAKE_GAP: Duration = Duration::from_millis(25);

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
        Ok(Self {
            metrics: WebhookMetrics::register(&state.metrics)?,
            state,
            client,
            hooks: Arc::new(hooks),
        })
    }

    /// Works until `stop` turns true, then lets attempts in flight finish and
    /// be recorded. Up to `concurrency` attempts run at once, each in its own
    /// task, so a slow endpoint holds only its own slots; one recorder writes
    /// their outcomes, many per transaction. Dropping this future aborts all.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if !self.hooks.worker_enabled {
            let _ = stop.wait_for(|stopped| *stopped).await;
            return;
        }
        let (outcomes, queue) = mpsc::channel(self.hooks.concurrency * 2);
        let mut recorder = JoinSet::new();
        recorder.spawn(record_loop(
            self.state.db.clone(),
            queue,
            self.metrics.clone(),
            self.hooks.clone(),
        ));
        let mut running: JoinSet<()> = JoinSet::new();
        self.work(&mut stop, &mut running, &outcomes).await;
        while running.join_next().await.is_some() {}
        drop(outcomes);
        while recorder.join_next().await.is_some() {}
    }

    async fn work(
        &self,
        stop: &mut watch::Receiver<bool>,
        running: &mut JoinSet<()>,
        outcomes: &mpsc::Sender<Outcome>,
    ) {
        let mut wake = self.state.bus.subscribe();
        let poll = Duration::from_millis(self.hooks.poll_interval_ms);
        let mut last_housekeeping: Option<Instant> = None;
        loop {
            if last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING_EVERY.min(poll * 10)) {
                self.housekeeping().await;
                last_housekeeping = Some(Instant::now());
            }
            while running.try_join_next().is_some() {}
            let more = match self.round(running, outcomes).await {
                Ok(more) => more,
                Err(err) => {
                    tracing::warn!(error = %err, "webhook worker round failed");
                    false
                }
            };
            if *stop.borrow() {
                return;
            }
            if more {
                continue;
            }
            let round_ended = tokio::time::Instant::now();
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(poll) => {}
                () = woken(&mut wake) => {
                    // Commits arrive hundreds of times a second under load:
                    // one round takes every event they wrote meanwhile.
                    tokio::time::sleep_until(round_ended + WAKE_GAP).await;
                }
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
    }

    /// Fans out new events and starts attempts in the free slots (claimed in
    /// batches, not one by one); true when more work is waiting right now.
    async fn round(
        &self,
        running: &mut JoinSet<()>,
        outcomes: &mpsc::Sender<Outcome>,
    ) -> AppResult<bool> {
        let hooks = &self.hooks;
        let fan_batch = hooks.batch_size * 4;
        let fanned = fanout::fan_out(&self.state.db, hooks.max_age_secs, fan_batch).await?;
        let free = hooks.concurrency.saturating_sub(running.len());
        if free == 0 || (free < hooks.concurrency.div_ceil(2) && !running.is_empty()) {
            return Ok(false);
        }
        let want = (free as u64).min(hooks.batch_size);
        let now = Utc::now();
        let lease_until = now + chrono::Duration::milliseconds(hooks.lease_ms as i64);
        let jobs = store::claim(&self.state.db, now, lease_until, want).await?;
        let claimed = jobs.len() as u64;
        for job in jobs {
            let (client, outcomes) = (self.client.clone(), outcomes.clone());
            running.spawn(async move {
                let attempt = send::attempt(&client, &job).await;
                let _ = outcomes.send(Outcome { job, attempt }).await;
            });
        }
        Ok(fanned as u64 == fan_batch || claimed == want)
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

/// Writes outcomes as they come, everything waiting in one transaction: one
/// commit per burst instead of one per attempt, and no cost when idle.
async fn record_loop(
    db: DatabaseConnection,
    mut queue: mpsc::Receiver<Outcome>,
    metrics: WebhookMetrics,
    hooks: Arc<WebhookSettings>,
) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, 256).await > 0 {
        match record::record(&db, &batch, &hooks).await {
            Ok(finished) => {
                for (outcome, state) in batch.iter().zip(finished) {
                    metrics.attempt(outcome.job.endpoint.id, &outcome.attempt, state);
                }
            }
            // The leases run out and the deliveries are retried: at least once, never lost.
            Err(err) => tracing::warn!(error = %err, count = batch.len(),
                "webhook attempts not recorded"),
        }
        batch.clear();
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
