//! The logistics provider adapter: book a shipment (the carrier assigns the
//! tracking number), read its tracking, and verify the carrier's signed status
//! updates. The sandbox carrier in `super::sandbox` serves the same API.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::endpoint::{ProviderEndpoint, SelfAddress, callback_url};
use super::sandbox::SandboxLogistics;
use crate::config::LogisticsSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::crypto::verify_hmac_sha256_hex;

/// Where carrier updates for this service arrive (relative to its base URL).
pub const UPDATES_PATH: &str = "/api/v1/logistics/updates";

/// `POST /v1/shipments`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShipmentRequest {
    /// Our reference, e.g. `order-42`; booking twice with it returns the same shipment.
    pub reference: String,
    /// A carrier code the provider knows (e.g. `sf`, `zto`), or none for its default.
    pub carrier: Option<String>,
    pub cold_chain: bool,
    pub packages: i32,
    pub weight_g: i64,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub notify_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Booking {
    pub carrier: String,
    pub tracking_number: String,
}

/// `GET /v1/shipments/{tracking_number}`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Tracking {
    pub carrier: String,
    pub tracking_number: String,
    pub status: String,
    pub events: Vec<TrackingEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackingEvent {
    pub status: String,
    pub detail: String,
    pub occurred_at: DateTime<Utc>,
}

/// What a carrier posts to [`UPDATES_PATH`], signed over the raw body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CarrierUpdate {
    pub event_id: String,
    pub carrier: String,
    pub tracking_number: String,
    /// `in_transit`, `delivered` or `exception`.
    pub status: String,
    pub detail: String,
    pub occurred_at: DateTime<Utc>,
}

/// Sandbox only: `POST /v1/shipments/{tracking_number}/advance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Advance {
    pub status: String,
    pub detail: String,
}

#[derive(Clone)]
pub struct Logistics {
    provider: String,
    webhook_secret: SecretString,
    signature_header: String,
    notify_base_url: String,
    own: SelfAddress,
    uses_sandbox: bool,
    endpoint: ProviderEndpoint,
    sandbox: Option<Arc<SandboxLogistics>>,
}

impl Logistics {
    pub fn new(
        settings: &LogisticsSettings,
        own: SelfAddress,
        production: bool,
    ) -> anyhow::Result<Self> {
        let uses_sandbox = settings.base_url.is_empty() && settings.sandbox_enabled;
        let endpoint = ProviderEndpoint::new(
            "logistics",
            &settings.base_url,
            "/sandbox/logistics",
            if uses_sandbox {
                own.clone()
            } else {
                SelfAddress::default()
            },
            &settings.api_key,
            settings.timeout_ms,
            production,
        )?;
        Ok(Self {
            provider: settings.provider.clone(),
            webhook_secret: settings.webhook_secret.clone(),
            signature_header: settings.signature_header.clone(),
            notify_base_url: settings.notify_base_url.trim_end_matches('/').into(),
            own,
            uses_sandbox,
            endpoint,
            sandbox: settings
                .sandbox_enabled
                .then(|| Arc::new(SandboxLogistics::new(settings))),
        })
    }

    pub fn provider(&self) -> &str {
        &self.provider
    }

    pub fn signature_header(&self) -> &str {
        &self.signature_header
    }

    pub fn sandbox(&self) -> Option<&Arc<SandboxLogistics>> {
        self.sandbox.as_ref()
    }

    /// Books a shipment; the answer carries the carrier's tracking number.
    pub async fn book(&self, mut request: ShipmentRequest) -> AppResult<Booking> {
        request.notify_url = self.notify_url()?;
        self.endpoint.post("/v1/shipments", &request).await
    }

    pub async fn track(&self, tracking_number: &str) -> AppResult<Tracking> {
        self.endpoint
            .get(&format!("/v1/shipments/{}", path_segment(tracking_number)?))
            .await
    }

    /// Verifies a carrier update's signature over the raw body, then parses it.
    pub fn parse_update(&self, signature: Option<&str>, body: &[u8]) -> AppResult<CarrierUpdate> {
        let valid = signature.is_some_and(|sig| {
            verify_hmac_sha256_hex(self.webhook_secret.expose_secret().as_bytes(), body, sig)
        });
        if !valid {
            return Err(AppError::new(
                ErrorCode::InvalidSignature,
                "carrier update signature does not verify",
            ));
        }
        serde_json::from_slice(body)
            .map_err(|e| AppError::new(ErrorCode::InvalidBody, format!("carrier update: {e}")))
    }

    /// Sandbox only: the carrier moves a parcel on and notifies us, over HTTP.
    pub async fn advance_in_sandbox(
        &self,
        tracking_number: &str,
        status: &str,
        detail: &str,
    ) -> AppResult<Tracking> {
        if !self.uses_sandbox {
            return Err(AppError::not_found("sandbox logistics provider"));
        }
        let path = format!("/v1/shipments/{}/advance", path_segment(tracking_number)?);
        let body = Advance {
            status: status.into(),
            detail: detail.into(),
        };
        self.endpoint.post(&path, &body).await
    }

    fn notify_url(&self) -> AppResult<String> {
        callback_url(&self.notify_base_url, &self.own, UPDATES_PATH)
    }
}

/// Tracking numbers go into URL paths: letters, digits and dashes only.
fn path_segment(tracking_number: &str) -> AppResult<&str> {
    let ok = !tracking_number.is_empty()
        && tracking_number.len() <= 40
        && tracking_number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(tracking_number)
    } else {
        Err(AppError::invalid(
            "tracking_number",
            "letters, digits and dashes, at most 40",
        ))
    }
}
