//! Ready-to-send response bodies held in process, each with a strong `ETag`.
//! A ticket taken before the data is read keeps stale bodies out of the cache.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

/// One serialised answer. `stamp` is the caller's own validity mark (e.g. the
/// month it was built in); `get` callers compare it with the current one.
pub struct CachedBody {
    pub body: Bytes,
    pub etag: HeaderValue,
    pub stamp: u32,
}

/// Taken before reading the data a body is built from: a body whose data may
/// predate an invalidation is answered but not stored.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    epoch: u64,
    generation: u64,
}

/// Keys are stored with the generation current when their data was read, so
/// `clear` hides every older entry at once, even one stored a moment later.
#[derive(Clone)]
pub struct ResponseCache<K: Hash + Eq + Clone + Send + Sync + 'static> {
    entries: Option<Cache<(u64, K), Arc<CachedBody>>>,
    epoch: Arc<AtomicU64>,
    generation: Arc<AtomicU64>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> ResponseCache<K> {
    /// A disabled cache stores nothing, so every read builds its body afresh.
    pub fn new(enabled: bool, capacity: u64, ttl: Duration) -> Self {
        let entries = enabled.then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build()
        });
        Self {
            entries,
            epoch: Arc::new(AtomicU64::new(0)),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn get(&self, key: &K) -> Option<Arc<CachedBody>> {
        let generation = self.generation.load(Ordering::SeqCst);
        self.entries.as_ref()?.get(&(generation, key.clone()))
    }

    pub fn ticket(&self) -> Ticket {
        Ticket {
            epoch: self.epoch.load(Ordering::SeqCst),
            generation: self.generation.load(Ordering::SeqCst),
        }
    }

    /// Wraps `body` with its ETag and keeps it unless something was invalidated
    /// since `ticket` was taken (checked again after the insert, closing the race).
    pub fn store(&self, ticket: Ticket, key: K, body: Vec<u8>, stamp: u32) -> Arc<CachedBody> {
        let entry = Arc::new(CachedBody::new(body, stamp));
        let Some(entries) = &self.entries else {
            return entry;
        };
        if self.epoch.load(Ordering::SeqCst) != ticket.epoch {
            return entry;
        }
        let full_key = (ticket.generation, key);
        entries.insert(full_key.clone(), entry.clone());
        if self.epoch.load(Ordering::SeqCst) != ticket.epoch {
            entries.invalidate(&full_key);
        }
        entry
    }

    pub fn invalidate(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            let generation = self.generation.load(Ordering::SeqCst);
            entries.invalidate(&(generation, key.clone()));
        }
    }

    /// Hides every entry; the old ones age out of the capacity and TTL.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl CachedBody {
    pub fn new(body: Vec<u8>, stamp: u32) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        Self {
            body: Bytes::from(body),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            stamp,
        }
    }

    /// 304 when `If-None-Match` names this body, else 200 with the JSON body.
    /// Clients must revalidate (`no-cache`), so a changed price is seen at once.
    pub fn respond(&self, if_none_match: Option<&HeaderValue>) -> HttpResponse {
        let unchanged = if_none_match.is_some_and(|v| self.matches(v));
        let mut response = if unchanged {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        response
            .insert_header((header::ETAG, self.etag.clone()))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
        if unchanged {
            return response.finish();
        }
        response
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ))
            .body(self.body.clone())
    }

    /// Weak comparison, as RFC 9110 prescribes for `If-None-Match`.
    fn matches(&self, header: &HeaderValue) -> bool {
        let ours = self.etag.as_bytes();
        if header.as_bytes() == ours {
            return true;
        }
        let Ok(text) = header.to_str() else {
            return false;
        };
        text.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == ours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ResponseCache<i64> {
        ResponseCache::new(true, 100, Duration::from_secs(60))
    }

    #[test]
    fn a_body_read_before_an_invalidation_is_not_kept() {
        let cache = cache();
        let ticket = cache.ticket();
        cache.invalidate(&1);
        cache.store(ticket, 1, b"old".to_vec(), 0);
        assert!(cache.get(&1).is_none());
        let ticket = cache.ticket();
        cache.store(ticket, 1, b"new".to_vec(), 0);
        assert_eq!(cache.get(&1).unwrap().body.as_ref(), b"new");
    }

    #[test]
    fn clear_hides_bodies_stored_under_an_older_generation() {
        let cache = cache();
        let ticket = cache.ticket();
        cache.store(ticket, 7, b"x".to_vec(), 0);
        cache.clear();
        assert!(cache.get(&7).is_none());
        cache.store(ticket, 7, b"late".to_vec(), 0);
        assert!(cache.get(&7).is_none());
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let body = CachedBody::new(b"{}".to_vec(), 0);
        let tag = body.etag.to_str().unwrap().to_owned();
        for header in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"a\", {tag}"),
            "*".into(),
        ] {
            assert!(
                body.matches(&HeaderValue::from_str(&header).unwrap()),
                "{header}"
            );
        }
        assert!(!body.matches(&HeaderValue::from_static("\"other\"")));
    }
}
