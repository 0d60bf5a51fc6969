//! Live events: the kinds a live room streams, each rendered once as an SSE
//! frame, and `publish`, the one way any domain sends an event to a session's viewers.

use actix_web::web::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::AppState;

/// The `event:` field of every frame on `/live/sessions/{id}/events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SessionStarted,
    SessionEnded,
    SessionCancelled,
    ItemPinned,
    ItemUnpinned,
    ItemUpdated,
    ItemsReordered,
    Explaining,
    PriceChanged,
    DealStarted,
    DealStock,
    DealSoldOut,
    DealEnded,
    Purchase,
    /// A capped pinned item's live units left.
    ItemStock,
    /// The session's running sales: orders, units and GMV.
    Tally,
    /// Not in the replayable log: a snapshot each instance sends every few seconds.
    Viewers,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        use EventKind::*;
        match self {
            SessionStarted => "session_started",
            SessionEnded => "session_ended",
            SessionCancelled => "session_cancelled",
            ItemPinned => "item_pinned",
            ItemUnpinned => "item_unpinned",
            ItemUpdated => "item_updated",
            ItemsReordered => "items_reordered",
            Explaining => "explaining",
            PriceChanged => "price_changed",
            DealStarted => "deal_started",
            DealStock => "deal_stock",
            DealSoldOut => "deal_sold_out",
            DealEnded => "deal_ended",
            Purchase => "purchase",
            ItemStock => "item_stock",
            Tally => "tally",
            Viewers => "viewers",
        }
    }
}

/// Publishes one event to every viewer of `session_id` on every instance and
/// keeps it replayable for a few minutes. Returns the event's id (strictly
/// increasing per session), or None when `data` cannot be serialised.
/// Never fails the caller: with Redis down, local viewers still get it.
pub async fn publish(
    state: &AppState,
    session_id: i64,
    kind: EventKind,
    data: &impl Serialize,
) -> Option<i64> {
    state.live.publish(session_id, kind, data).await
}

/// One event, rendered once and shared by every stream that sends it.
#[derive(Debug)]
pub struct Frame {
    /// 0 for transient frames (`viewers`), which carry no `id:` line.
    pub id: i64,
    /// The id of the event published just before this one in the session
    /// (0 if unknown): a stream that last sent something else missed events.
    pub prev: i64,
    pub kind: String,
    pub bytes: Bytes,
}

impl Frame {
    pub fn logged(id: i64, prev: i64, kind: &str, json: &str) -> Self {
        Self {
            id,
            prev,
            kind: kind.to_owned(),
            bytes: Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {json}\n\n")),
        }
    }

    pub fn transient(kind: EventKind, json: &str) -> Self {
        let kind = kind.as_str();
        Self {
            id: 0,
            prev: 0,
            kind: kind.to_owned(),
            bytes: Bytes::from(format!("event: {kind}\ndata: {json}\n\n")),
        }
    }

    /// The stored form: `id|prev|kind|json` (JSON last, so it may hold `|`).
    pub fn entry(id: i64, prev: i64, kind: &str, json: &str) -> String {
        format!("{id}|{prev}|{kind}|{json}")
    }

    pub fn parse_entry(entry: &str) -> Option<Self> {
        let mut parts = entry.splitn(4, '|');
        let id = parts.next()?.parse().ok()?;
        let prev = parts.next()?.parse().ok()?;
        let kind = parts.next()?;
        let json = parts.next()?;
        Some(Self::logged(id, prev, kind, json))
    }

    pub fn ends_session(&self) -> bool {
        self.kind == EventKind::SessionEnded.as_str()
            || self.kind == EventKind::SessionCancelled.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_entry_reads_back_with_pipes_in_its_json() {
        let json = r#"{"buyer":"张**","note":"a|b"}"#;
        let entry = Frame::entry(
            1_700_000_000_000_001,
            1_700_000_000_000_000,
            "purchase",
            json,
        );
        let frame = Frame::parse_entry(&entry).expect("parses");
        assert_eq!(
            (frame.id, frame.prev, frame.kind.as_str()),
            (1_700_000_000_000_001, 1_700_000_000_000_000, "purchase")
        );
        let text = String::from_utf8(frame.bytes.to_vec()).expect("utf-8");
        assert_eq!(
            text,
            format!("id: 1700000000000001\nevent: purchase\ndata: {json}\n\n")
        );
        assert!(Frame::parse_entry("12|x|purchase|{}").is_none());
    }
}
