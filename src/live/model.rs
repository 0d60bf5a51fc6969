//! Request and response types of live sessions and pinned items, the payloads
//! of the events they publish, and the live price the orders code asks for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::tally::SessionTally;
use super::viewers::ViewerStats;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Scheduled,
    Live,
    Ended,
    Cancelled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Live => "live",
            Self::Ended => "ended",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Scheduled, Self::Live, Self::Ended, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    /// Whether the showcase can still change and viewers can still watch.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Scheduled | Self::Live)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSessionRequest {
    #[schema(example = "红颜草莓现摘直播")]
    pub title: String,
    #[schema(example = "https://img.example.com/live/cover.jpg")]
    pub cover_url: String,
    pub scheduled_start_at: DateTime<Utc>,
    #[serde(default)]
    pub description: String,
    /// The streamer the session's sales go to (a streamer or manager of the
    /// workshop); defaults to the caller.
    pub streamer_account_id: Option<i64>,
}

/// Changes a scheduled session; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionRequest {
    pub title: Option<String>,
    pub cover_url: Option<String>,
    pub scheduled_start_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub streamer_account_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinItemRequest {
    pub sku_id: i64,
    /// Below the SKU's price; a common-prosperity SKU stays within its workshop's band.
    pub live_price_fen: Option<i64>,
    /// Most units this session may sell of the SKU.
    pub live_stock_cap: Option<i64>,
}

/// Changes a pinned item; an absent field stays, `null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItemRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub live_price_fen: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub live_stock_cap: Option<Option<i64>>,
}

/// Every pinned item of the session, in the new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderItemsRequest {
    pub item_ids: Vec<i64>,
}

/// The item being explained now (讲解中); `null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainingRequest {
    pub item_id: Option<i64>,
}

/// One struct per listing with its page fields, so an unknown query
/// parameter is refused (two extractors over one query string cannot).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SessionFilter {
    /// Only this workshop's sessions.
    pub workshop_id: Option<i64>,
    /// Only sessions in this status.
    pub status: Option<SessionStatus>,
    /// Items per page (default 20, at most 100; larger values are clamped).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatusFilter {
    /// Only sessions in this status.
    pub status: Option<SessionStatus>,
    /// Items per page (default 20, at most 100; larger values are clamped).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// An anonymous viewer's stable id (1-64 of A-Z a-z 0-9 - _), for unique-viewer counts.
    pub device_id: Option<String>,
    /// Same as the `Last-Event-ID` header, for clients that cannot set it.
    pub last_event_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub workshop_id: i64,
    pub workshop_name: String,
    pub streamer_account_id: i64,
    pub streamer_name: String,
    pub title: String,
    pub cover_url: String,
    pub description: String,
    pub status: SessionStatus,
    pub scheduled_start_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub explaining_item_id: Option<i64>,
    /// Saved figures; a live session's current figures are in `viewers`.
    pub peak_viewers: i64,
    /// `signed_in_viewers + anonymous_viewers`.
    pub unique_viewers: i64,
    /// Distinct signed-in accounts that watched.
    pub signed_in_viewers: i64,
    /// Distinct anonymous devices, at most a few per client address.
    pub anonymous_viewers: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A session with its showcase and its viewers right now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub session: SessionView,
    pub items: Vec<PinnedItemView>,
    pub viewers: ViewerStats,
    /// The session's running sales (orders placed in it, paid or not).
    pub tally: SessionTally,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PinnedItemView {
    pub id: i64,
    pub session_id: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub product_title: String,
    pub sku_name: String,
    pub unit: String,
    pub image_url: Option<String>,
    /// The SKU's normal price.
    pub normal_price_fen: i64,
    pub live_price_fen: Option<i64>,
    /// What a viewer pays in this session: the live price, else the normal price.
    pub price_fen: i64,
    pub is_common_prosperity: bool,
    pub live_stock_cap: Option<i64>,
    pub sold_units: i64,
    pub position: i32,
    /// Being explained now (讲解中).
    pub explaining: bool,
    pub pinned_at: DateTime<Utc>,
}

/// `session_started`, `session_ended` and `session_cancelled`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionChanged {
    pub session_id: i64,
    pub status: SessionStatus,
    pub at: DateTime<Utc>,
    pub peak_viewers: i64,
    pub unique_viewers: i64,
    pub signed_in_viewers: i64,
    pub anonymous_viewers: i64,
}

/// `item_unpinned`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemUnpinned {
    pub session_id: i64,
    pub item_id: i64,
    pub sku_id: i64,
}

/// `items_reordered`: every pinned item, first to last.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsReordered {
    pub session_id: i64,
    pub item_ids: Vec<i64>,
}

/// `explaining`: the item now explained, or nulls when none is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Explaining {
    pub session_id: i64,
    pub item_id: Option<i64>,
    pub sku_id: Option<i64>,
}

/// `price_changed`: what a viewer pays for the item now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceChanged {
    pub session_id: i64,
    pub item_id: i64,
    pub sku_id: i64,
    pub previous_price_fen: i64,
    pub price_fen: i64,
    pub live_price_fen: Option<i64>,
}

/// The price an order placed in a live session pays, and whom it is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePrice {
    pub session_id: i64,
    pub workshop_id: i64,
    pub streamer_account_id: i64,
    pub item_id: i64,
    pub sku_id: i64,
    /// The live price if set, else the SKU's normal price.
    pub price_fen: i64,
    pub live_price_fen: Option<i64>,
    pub normal_price_fen: i64,
    pub live_stock_cap: Option<i64>,
    pub sold_units: i64,
}

/// Tells an absent field (None) from an explicit `null` (Some(None)).
fn present<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(de).map(Some)
}
