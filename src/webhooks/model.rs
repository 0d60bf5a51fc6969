//! Request and response types for webhook endpoints, deliveries and events,
//! and the event body every delivery carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::events::parse_patterns;
use crate::entity::{outbox, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::platform::pagination::PageQuery;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointRequest {
    /// https URL (http and loopback only outside production).
    #[schema(example = "https://partner.example.com/gongfang/hooks")]
    pub url: String,
    /// Event types to receive: exact (`order.paid`), a family (`order.*`) or `*`.
    #[schema(example = json!(["order.*", "webhook.endpoint_disabled"]))]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// Absent fields stay as they are. Enabling again resets the failure count.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointRequest {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// How long the old secret keeps signing beside the new one (default from
    /// configuration, 0 to 604800 seconds).
    pub overlap_secs: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: i64,
    pub workshop_id: i64,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Failed attempts in a row; at the configured threshold the endpoint is disabled.
    pub consecutive_failures: i32,
    /// Why the endpoint was disabled (by a manager, or after continuous failures).
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until then deliveries also carry a signature made with the previous secret.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret: shown only when created.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// HMAC-SHA256 key for `Gongfang-Signature`; store it now, it is not shown again.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    /// The new secret, shown once.
    pub secret: String,
    /// The old secret keeps signing (as a second `v1=`) until then.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (or for an earlier event of the same resource).
    Pending,
    Delivered,
    /// Undeliverable within the maximum age; can be redelivered by hand.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "dead" => Self::Dead,
            _ => Self::Pending,
        }
    }
}

/// The JSON body of every delivery (and of the event list).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookEvent {
    /// Event id, also in `Gongfang-Event-Id`; redeliveries keep it: deduplicate on it.
    pub id: i64,
    #[serde(rename = "type")]
    #[schema(example = "order.paid")]
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    pub workshop_id: i64,
    pub data: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    #[serde(flatten)]
    pub event: WebhookEvent,
    /// The resource the event is about (`order:42`); its events arrive in order.
    pub resource_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub resource_key: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_excerpt: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// The event as sent.
    pub event: WebhookEvent,
    /// Most recent first (at most 50).
    pub attempt_log: Vec<AttemptView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryStatus>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this exact type (e.g. `order.paid`).
    #[serde(rename = "type")]
    #[param(
        rename = "type",
        pattern = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
        max_length = 64
    )]
    pub event_type: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub fn page_of(limit: Option<u64>, cursor: &Option<String>) -> PageQuery {
    PageQuery {
        limit,
        cursor: cursor.clone(),
    }
}

impl From<webhook_endpoint::Model> for EndpointView {
    fn from(e: webhook_endpoint::Model) -> Self {
        Self {
            event_types: parse_patterns(&e.event_types),
            id: e.id,
            workshop_id: e.workshop_id,
            url: e.url,
            description: e.description,
            enabled: e.enabled,
            consecutive_failures: e.consecutive_failures,
            disabled_reason: e.disabled_reason,
            disabled_at: e.disabled_at,
            previous_secret_expires_at: e.previous_secret_expires_at,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

impl From<webhook_delivery::Model> for DeliveryView {
    fn from(d: webhook_delivery::Model) -> Self {
        let status = DeliveryStatus::parse(&d.status);
        Self {
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: d.outbox_id,
            event_type: d.event_type,
            resource_key: d.resource_key,
            status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_latency_ms: d.last_latency_ms,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

impl From<webhook_attempt::Model> for AttemptView {
    fn from(a: webhook_attempt::Model) -> Self {
        Self {
            id: a.id,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
        }
    }
}

impl From<&outbox::Model> for WebhookEvent {
    fn from(o: &outbox::Model) -> Self {
        Self {
            id: o.id,
            event_type: o.event_type.clone(),
            created_at: o.created_at,
            workshop_id: o.workshop_id,
            data: serde_json::from_str(&o.payload).unwrap_or(Value::Null),
        }
    }
}

impl From<outbox::Model> for EventView {
    fn from(o: outbox::Model) -> Self {
        Self {
            event: WebhookEvent::from(&o),
            resource_key: o.resource_key,
        }
    }
}
