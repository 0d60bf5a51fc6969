//! The process's Prometheus registry: the HTTP middleware's metrics and every
//! domain's collectors register here and are served together on `/metrics`.

use prometheus::Registry;
use prometheus::core::Collector;

/// Registers a collector and hands it back for use.
pub fn register<C: Collector + Clone + 'static>(
    registry: &Registry,
    collector: C,
) -> anyhow::Result<C> {
    registry.register(Box::new(collector.clone()))?;
    Ok(collector)
}
