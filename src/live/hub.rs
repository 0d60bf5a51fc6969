//! The live hub: per-session rooms of this instance's open streams, the relay
//! that brings every instance's events in from Redis, and each room's ticker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio::sync::{Notify, broadcast};

use super::events::{EventKind, Frame};
use super::gate::StreamGate;
use super::log::EventLog;
use super::service::record_viewer_figures;
use super::tally::{SessionTally, Tallies};
use super::viewers::{Viewer, ViewerStats, Viewers};
use crate::config::LiveSettings;
use crate::platform::redis_backend::RedisBackend;

/// Frames a room holds for its slowest stream; one further behind is dropped.
const ROOM_CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

struct Inner {
    log: EventLog,
    viewers: Viewers,
    gate: StreamGate,
    tallies: Tallies,
    rooms: Mutex<HashMap<i64, Arc<Room>>>,
    settings: LiveSettings,
    redis: Option<RedisBackend>,
    db: DatabaseConnection,
}

/// This instance's viewers of one session.
struct Room {
    tx: broadcast::Sender<Arc<Frame>>,
    local: AtomicI64,
    changed: Notify,
}

/// An open stream's place in a room: frames to forward, and a viewer counted
/// until it is dropped.
pub struct Subscription {
    pub rx: broadcast::Receiver<Arc<Frame>>,
    _watching: Watching,
}

struct Watching(Arc<Room>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.local.fetch_sub(1, Ordering::Relaxed);
        self.0.changed.notify_one();
    }
}

impl LiveHub {
    pub fn new(
        redis: Option<RedisBackend>,
        settings: &LiveSettings,
        db: DatabaseConnection,
    ) -> Self {
        let interval = Duration::from_millis(settings.viewers_interval_ms.max(100));
        Self {
            inner: Arc::new(Inner {
                log: EventLog::new(redis.clone(), settings),
                viewers: Viewers::new(redis.clone(), interval, settings.devices_per_address),
                gate: StreamGate::new(redis.clone(), settings),
                tallies: Tallies::new(redis.clone()),
                rooms: Mutex::new(HashMap::new()),
                settings: settings.clone(),
                redis,
                db,
            }),
        }
    }

    pub fn settings(&self) -> &LiveSettings {
        &self.inner.settings
    }

    /// Adds to a session's running sales tally; the tally after it.
    pub async fn add_tally(&self, session_id: i64, more: SessionTally) -> SessionTally {
        self.inner.tallies.add(session_id, more).await
    }

    /// A session's running sales tally, if anything was counted for it.
    pub async fn tally(&self, session_id: i64) -> Option<SessionTally> {
        self.inner.tallies.get(session_id).await
    }

    /// The caps on open event streams.
    pub fn gate(&self) -> &StreamGate {
        &self.inner.gate
    }

    /// See [`super::events::publish`].
    pub async fn publish(
        &self,
        session_id: i64,
        kind: EventKind,
        data: &impl Serialize,
    ) -> Option<i64> {
        let json = serde_json::to_string(data)
            .map_err(
                |err| tracing::error!(%err, kind = kind.as_str(), "live event not serialisable"),
            )
            .ok()?;
        let id = self
            .inner
            .log
            .append(session_id, kind.as_str(), &json, |frame| {
                self.deliver(session_id, frame)
            })
            .await;
        Some(id)
    }

    /// Joins a session's room: counts a viewer until the subscription is dropped.
    pub async fn join(&self, session_id: i64, viewer: Option<&Viewer>) -> Subscription {
        let (rx, room) = {
            let mut rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
            let room = rooms
                .entry(session_id)
                .or_insert_with(|| {
                    let room = Arc::new(Room {
                        tx: broadcast::channel(ROOM_CAPACITY).0,
                        local: AtomicI64::new(0),
                        changed: Notify::new(),
                    });
                    tokio::spawn(self.clone().run_room(session_id, room.clone()));
                    room
                })
                .clone();
            room.local.fetch_add(1, Ordering::Relaxed);
            (room.tx.subscribe(), room)
        };
        room.changed.notify_one();
        if let Some(viewer) = viewer {
            self.inner.viewers.add_unique(session_id, viewer).await;
        }
        Subscription {
            rx,
            _watching: Watching(room),
        }
    }

    /// Logged events with `after < id < before`, in id order.
    pub async fn replay(
        &self,
        session_id: i64,
        after: i64,
        before: Option<i64>,
    ) -> Vec<Arc<Frame>> {
        self.inner.log.range(session_id, after, before).await
    }

    pub async fn viewer_stats(&self, session_id: i64) -> ViewerStats {
        self.inner
            .viewers
            .stats(session_id, self.local_viewers(session_id))
            .await
    }

    fn local_viewers(&self, session_id: i64) -> i64 {
        let rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms
            .get(&session_id)
            .map_or(0, |r| r.local.load(Ordering::Relaxed))
    }

    fn deliver(&self, session_id: i64, frame: Arc<Frame>) {
        let rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(room) = rooms.get(&session_id) {
            let _ = room.tx.send(frame);
        }
    }

    /// Reports the room's viewers when they change, and every interval sends
    /// `viewers` to its streams and saves a new peak; ends once the room is empty.
    async fn run_room(self, session_id: i64, room: Arc<Room>) {
        let interval = Duration::from_millis(self.inner.settings.viewers_interval_ms.max(100));
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut saved = ViewerStats::default();
        loop {
            let ticked = tokio::select! {
                _ = ticker.tick() => true,
                () = room.changed.notified() => false,
            };
            let local = room.local.load(Ordering::Relaxed);
            let stats = self.inner.viewers.report(session_id, local).await;
            if ticked {
                let data = serde_json::json!({
                    "session_id": session_id,
                    "current": stats.current,
                    "peak": stats.peak,
                    "unique": stats.unique,
                    "signed_in": stats.signed_in,
                    "anonymous": stats.anonymous,
                });
                let frame = Frame::transient(EventKind::Viewers, &data.to_string());
                let _ = room.tx.send(Arc::new(frame));
                saved = self.save_figures(session_id, stats, saved).await;
            }
            if local == 0 && self.remove_if_idle(session_id, &room) {
                let stats = self.inner.viewers.report(session_id, 0).await;
                self.save_figures(session_id, stats, saved).await;
                return;
            }
        }
    }

    async fn save_figures(
        &self,
        session_id: i64,
        stats: ViewerStats,
        saved: ViewerStats,
    ) -> ViewerStats {
        if stats.peak <= saved.peak
            && stats.signed_in <= saved.signed_in
            && stats.anonymous <= saved.anonymous
        {
            return saved;
        }
        match record_viewer_figures(&self.inner.db, session_id, &stats).await {
            Ok(()) => stats,
            Err(err) => {
                tracing::warn!(error = %err.detail, session_id, "viewer figures not saved");
                saved
            }
        }
    }

    fn remove_if_idle(&self, session_id: i64, room: &Arc<Room>) -> bool {
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let idle = room.local.load(Ordering::Relaxed) == 0 && room.tx.receiver_count() == 0;
        if idle && rooms.get(&session_id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&session_id);
            return true;
        }
        false
    }

    /// Forwards every instance's events (this one's too) from Redis to local
    /// rooms until shutdown. Events missed while reconnecting are filled in from
    /// the log by each stream when the next one arrives. Without Redis, waits forever.
    pub async fn run_relay(self) {
        let Some(redis) = self.inner.redis.clone() else {
            return std::future::pending().await;
        };
        redis
            .listen(&EventLog::channel(&redis), |payload| {
                let text = String::from_utf8_lossy(payload);
                let parsed = text.split_once('|').and_then(|(sid, entry)| {
                    Some((sid.parse::<i64>().ok()?, Frame::parse_entry(entry)?))
                });
                match parsed {
                    Some((session_id, frame)) => self.deliver(session_id, Arc::new(frame)),
                    None => tracing::warn!("undecodable live event"),
                }
            })
            .await
    }
}
