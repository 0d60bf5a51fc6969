//! The order pipeline on `/metrics`: jobs per batch, batch duration (lock to
//! commit), orders written and jobs refused because a writer's queue was full.

use prometheus::{Histogram, HistogramOpts, IntCounter, Opts, Registry};

use crate::platform::metrics::register;

#[derive(Clone)]
pub struct PipelineMetrics {
    pub batch_jobs: Histogram,
    pub queued: Histogram,
    pub batch_seconds: Histogram,
    pub orders: IntCounter,
    pub overloaded: IntCounter,
}

impl PipelineMetrics {
    pub fn register(registry: &Registry) -> anyhow::Result<Self> {
        let metrics = Self::new()?;
        register(registry, metrics.batch_jobs.clone())?;
        register(registry, metrics.queued.clone())?;
        register(registry, metrics.batch_seconds.clone())?;
        register(registry, metrics.orders.clone())?;
        register(registry, metrics.overloaded.clone())?;
        Ok(metrics)
    }

    fn new() -> prometheus::Result<Self> {
        let jobs = HistogramOpts::new(
            "gongfang_order_batch_jobs",
            "Order jobs written per transaction by the order writers",
        )
        .buckets(vec![
            1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0,
        ]);
        let seconds = HistogramOpts::new(
            "gongfang_order_batch_seconds",
            "Duration of one order batch, from BEGIN to COMMIT",
        )
        .buckets(vec![
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
        ]);
        let queued = HistogramOpts::new(
            "gongfang_order_writer_queued_jobs",
            "Jobs waiting for a writer when it starts a batch",
        )
        .buckets(vec![0.0, 1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0]);
        Ok(Self {
            batch_jobs: Histogram::with_opts(jobs)?,
            queued: Histogram::with_opts(queued)?,
            batch_seconds: Histogram::with_opts(seconds)?,
            orders: IntCounter::with_opts(Opts::new(
                "gongfang_orders_written_total",
                "Orders written by this instance's order writers",
            ))?,
            overloaded: IntCounter::with_opts(Opts::new(
                "gongfang_order_writer_overloaded_total",
                "Order jobs refused with 429 because a writer's queue was full",
            ))?,
        })
    }
}
