//! The catalog's in-process response cache (product detail by id, list pages by
//! normalised query) and its invalidation on every instance through the bus.

use std::time::Duration;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::rules;
use crate::config::CatalogSettings;
use crate::platform::bus::{BusMessage, RELAY_CONNECTED};
use crate::platform::response_cache::ResponseCache;
use crate::state::AppState;

/// Bus topic carrying `Invalidation`s between instances.
pub const TOPIC: &str = "catalog.invalidate";

#[derive(Clone)]
pub struct CatalogCache {
    pub details: ResponseCache<i64>,
    pub lists: ResponseCache<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Invalidation {
    #[serde(default)]
    products: Vec<i64>,
    #[serde(default)]
    all: bool,
}

impl CatalogCache {
    pub fn new(settings: &CatalogSettings) -> Self {
        let ttl = Duration::from_secs(settings.cache_ttl_secs.max(1));
        Self {
            details: ResponseCache::new(settings.cache, settings.cache_capacity, ttl),
            lists: ResponseCache::new(settings.cache, settings.cache_capacity, ttl),
        }
    }

    /// Every list page can show any product, so lists are dropped with it.
    pub fn drop_products(&self, ids: &[i64]) {
        for id in ids {
            self.details.invalidate(id);
        }
        self.lists.clear();
    }

    pub fn drop_all(&self) {
        self.details.clear();
        self.lists.clear();
    }

    fn apply(&self, message: &BusMessage) {
        match message.topic.as_str() {
            TOPIC => match serde_json::from_value::<Invalidation>(message.payload.clone()) {
                Ok(inv) if !inv.all => self.drop_products(&inv.products),
                _ => self.drop_all(),
            },
            RELAY_CONNECTED => self.drop_all(),
            _ => {}
        }
    }
}

/// Entries are stamped with the month they were built in: `in_season` changes
/// with the calendar, not only with writes.
pub fn current_stamp() -> u32 {
    rules::today().month()
}

/// Drops the products' cached answers here at once, then on every other
/// instance through the bus. Call after the change is committed.
pub async fn invalidate_products(state: &AppState, ids: &[i64]) {
    state.catalog.drop_products(ids);
    let message = Invalidation {
        products: ids.to_vec(),
        all: false,
    };
    publish(state, &message).await;
}

/// Drops every cached catalog answer everywhere (a workshop policy changed).
pub async fn invalidate_all(state: &AppState) {
    state.catalog.drop_all();
    publish(
        state,
        &Invalidation {
            products: vec![],
            all: true,
        },
    )
    .await;
}

async fn publish(state: &AppState, message: &Invalidation) {
    match serde_json::to_value(message) {
        Ok(payload) => state.bus.publish(TOPIC, payload).await,
        Err(err) => tracing::error!(%err, "catalog invalidation not serialisable"),
    }
}

/// Subscribed when the app is built, so no invalidation published after that is missed.
pub struct Listener {
    messages: Receiver<BusMessage>,
    cache: CatalogCache,
}

impl Listener {
    pub fn subscribe(state: &AppState) -> Self {
        Self {
            messages: state.bus.subscribe(),
            cache: state.catalog.clone(),
        }
    }

    /// Applies invalidations until shutdown. A lagging listener has missed some,
    /// so it drops everything rather than guess.
    pub async fn run(mut self) {
        loop {
            match self.messages.recv().await {
                Ok(message) => self.cache.apply(&message),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "catalog cache listener lagged; dropping all entries"
                    );
                    self.cache.drop_all();
                }
                Err(RecvError::Closed) => return std::future::pending().await,
            }
        }
    }
}
