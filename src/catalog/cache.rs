//! The catalog's in-process response cache: product detail by id and list
//! pages by normalised query, dropped on every write (see `invalidation`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Datelike;
use tokio::sync::mpsc::UnboundedSender;

use super::rules;
use crate::config::CatalogSettings;
use crate::platform::response_cache::ResponseCache;

#[derive(Clone)]
pub struct CatalogCache {
    pub details: ResponseCache<i64>,
    pub lists: ResponseCache<String>,
    /// Invalidations this instance published and awaits peers' confirmations of.
    pub(super) waiters: Arc<Mutex<HashMap<String, UnboundedSender<()>>>>,
}

impl CatalogCache {
    pub fn new(settings: &CatalogSettings) -> Self {
        let ttl = Duration::from_secs(settings.cache_ttl_secs.max(1));
        Self {
            details: ResponseCache::new(settings.cache, settings.cache_capacity, ttl),
            lists: ResponseCache::new(settings.cache, settings.cache_capacity, ttl),
            waiters: Arc::default(),
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
}

/// Entries are stamped with the month they were built in: `in_season` changes
/// with the calendar, not only with writes.
pub fn current_stamp() -> u32 {
    rules::today().month()
}
