//! Dropping cached catalog answers on every instance. The writer drops its own
//! entries, publishes on the bus, and waits (briefly) until every other
//! instance confirms it dropped them too: the next read anywhere is fresh.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::sync::mpsc;

use super::cache::CatalogCache;
use crate::platform::bus::{Bus, BusMessage, RELAY_CONNECTED};
use crate::state::AppState;

/// Bus topic carrying `Invalidation`s between instances.
pub const TOPIC: &str = "catalog.invalidate";
/// Bus topic on which an instance confirms it applied an invalidation.
pub const DONE_TOPIC: &str = "catalog.invalidated";
/// A peer that has not confirmed by then is left to the cache TTL.
const CONFIRM_TIMEOUT: Duration = Duration::from_millis(250);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Invalidation {
    id: String,
    #[serde(default)]
    products: Vec<i64>,
    #[serde(default)]
    all: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Done {
    id: String,
}

/// Drops the products' cached answers here at once, then on every other
/// instance. Call after the change is committed.
pub async fn invalidate_products(state: &AppState, ids: &[i64]) {
    state.catalog.drop_products(ids);
    let message = Invalidation {
        products: ids.to_vec(),
        ..Default::default()
    };
    publish(state, message).await;
}

/// Drops every cached catalog answer everywhere (a workshop policy changed).
pub async fn invalidate_all(state: &AppState) {
    state.catalog.drop_all();
    let message = Invalidation {
        all: true,
        ..Default::default()
    };
    publish(state, message).await;
}

/// Publishes and waits for one confirmation per other instance Redis
/// delivered the message to (none without Redis: there are no others).
async fn publish(state: &AppState, mut message: Invalidation) {
    message.id = uuid::Uuid::new_v4().simple().to_string();
    let payload = match serde_json::to_value(&message) {
        Ok(payload) => payload,
        Err(err) => return tracing::error!(%err, "catalog invalidation not serialisable"),
    };
    let (done, mut confirmations) = mpsc::unbounded_channel();
    waiters(&state.catalog).insert(message.id.clone(), done);
    let receivers = state.bus.publish(TOPIC, payload).await.unwrap_or(0);
    let peers = receivers.saturating_sub(u64::from(state.bus.relay_subscribed()));
    let confirmed = tokio::time::timeout(CONFIRM_TIMEOUT, async {
        for _ in 0..peers {
            confirmations.recv().await;
        }
    })
    .await;
    waiters(&state.catalog).remove(&message.id);
    if confirmed.is_err() {
        tracing::warn!(
            peers,
            "not every instance confirmed a catalog invalidation in time"
        );
    }
}

fn waiters(
    cache: &CatalogCache,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, mpsc::UnboundedSender<()>>> {
    cache
        .waiters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Subscribed when the app is built, so no invalidation published after that is missed.
pub struct Listener {
    messages: Receiver<BusMessage>,
    cache: CatalogCache,
    bus: Bus,
}

impl Listener {
    pub fn subscribe(state: &AppState) -> Self {
        Self {
            messages: state.bus.subscribe(),
            cache: state.catalog.clone(),
            bus: state.bus.clone(),
        }
    }

    /// Applies invalidations until shutdown. A lagging listener has missed some,
    /// so it drops everything rather than guess.
    pub async fn run(mut self) {
        loop {
            match self.messages.recv().await {
                Ok(message) => self.apply(&message).await,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "catalog listener lagged; dropping all entries");
                    self.cache.drop_all();
                }
                Err(RecvError::Closed) => return std::future::pending().await,
            }
        }
    }

    async fn apply(&self, message: &BusMessage) {
        match message.topic.as_str() {
            TOPIC => {
                let parsed = serde_json::from_value::<Invalidation>(message.payload.clone());
                match &parsed {
                    Ok(inv) if !inv.all => self.cache.drop_products(&inv.products),
                    _ => self.cache.drop_all(),
                }
                // The publisher dropped its own entries before publishing.
                if let Ok(inv) = parsed
                    && message.origin() != self.bus.instance_id()
                    && let Ok(done) = serde_json::to_value(Done { id: inv.id })
                {
                    self.bus.publish(DONE_TOPIC, done).await;
                }
            }
            DONE_TOPIC => {
                if let Ok(done) = serde_json::from_value::<Done>(message.payload.clone())
                    && let Some(waiter) = waiters(&self.cache).get(&done.id)
                {
                    let _ = waiter.send(());
                }
            }
            RELAY_CONNECTED => self.cache.drop_all(),
            _ => {}
        }
    }
}
