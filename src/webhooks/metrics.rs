//! Webhook delivery metrics on `/metrics`: outbox depth, pending deliveries,
//! attempts, failures and latency per endpoint, dead letters, disabled endpoints.

use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

use super::record::Finished;
use super::send::Attempt;
use crate::platform::metrics::register;

#[derive(Clone)]
pub struct WebhookMetrics {
    outbox_unrouted: IntGauge,
    pending: IntGaugeVec,
    attempts: IntCounterVec,
    latency: HistogramVec,
    dead: IntCounter,
}

impl WebhookMetrics {
    pub fn register(registry: &Registry) -> anyhow::Result<Self> {
        let outbox_unrouted = IntGauge::with_opts(Opts::new(
            "gongfang_outbox_undelivered_events",
            "Outbox events not yet turned into webhook deliveries",
        ))?;
        let pending = IntGaugeVec::new(
            Opts::new(
                "gongfang_webhook_pending_deliveries",
                "Webhook deliveries waiting to be delivered, per endpoint",
            ),
            &["endpoint"],
        )?;
        let attempts = IntCounterVec::new(
            Opts::new(
                "gongfang_webhook_attempts_total",
                "Webhook delivery attempts by this instance, per endpoint and outcome",
            ),
            &["endpoint", "outcome"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "gongfang_webhook_attempt_duration_seconds",
                "Duration of webhook delivery attempts, per endpoint",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["endpoint"],
        )?;
        let dead = IntCounter::with_opts(Opts::new(
            "gongfang_webhook_dead_lettered_total",
            "Webhook deliveries given up (maximum age reached) by this instance",
        ))?;
        Ok(Self {
            outbox_unrouted: register(registry, outbox_unrouted)?,
            pending: register(registry, pending)?,
            attempts: register(registry, attempts)?,
            latency: register(registry, latency)?,
            dead: register(registry, dead)?,
        })
    }

    pub fn attempt(&self, endpoint_id: i64, attempt: &Attempt, finished: Finished) {
        let endpoint = endpoint_id.to_string();
        let outcome = if attempt.succeeded() {
            "success"
        } else {
            "failure"
        };
        self.attempts
            .with_label_values(&[endpoint.as_str(), outcome])
            .inc();
        self.latency
            .with_label_values(&[endpoint.as_str()])
            .observe(f64::from(attempt.latency_ms) / 1000.0);
        if finished == Finished::Dead {
            self.dead.inc();
        }
    }

    pub fn dead_lettered(&self, count: u64) {
        self.dead.inc_by(count);
    }

    pub fn depth(&self, unrouted: i64, pending: &[(i64, i64)]) {
        self.outbox_unrouted.set(unrouted);
        self.pending.reset();
        for (endpoint, count) in pending {
            self.pending
                .with_label_values(&[endpoint.to_string().as_str()])
                .set(*count);
        }
    }
}
