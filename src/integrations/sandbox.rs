//! The sandbox providers this service runs itself (demo and tests): a payment
//! provider and a carrier, each serving the JSON API its adapter speaks, with
//! bearer-key auth, idempotent refunds and bookings, and signed notifications
//! sent back over HTTP. They keep their state in memory, per instance, and are
//! mounted under `/sandbox` only when enabled (never in production). They are
//! third-party stand-ins, so they are not part of Gongfang's OpenAPI document.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use rand::Rng;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::logistics::{Advance, Booking, CarrierUpdate, ShipmentRequest, Tracking, TrackingEvent};
use super::payments::{
    ApprovePayment, Approved, CreatePayment, CreateRefund, CreatedPayment, CreatedRefund,
};
use crate::config::{LogisticsSettings, PaymentSettings};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::model::ProviderEvent;
use crate::platform::crypto::hmac_sha256_hex;
use crate::platform::json::Json;
use crate::platform::outbound::{OutboundClient, OutboundConfig, TargetPolicy};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/sandbox")
            .route("/payments/v1/payments", web::post().to(create_payment))
            .route(
                "/payments/v1/payments/{provider_ref}/approve",
                web::post().to(approve_payment),
            )
            .route("/payments/v1/refunds", web::post().to(create_refund))
            .route("/logistics/v1/shipments", web::post().to(book_shipment))
            .route(
                "/logistics/v1/shipments/{tracking_number}",
                web::get().to(tracking),
            )
            .route(
                "/logistics/v1/shipments/{tracking_number}/advance",
                web::post().to(advance),
            ),
    );
}

/// Who may call a sandbox: its own key, like a real provider's API key.
struct Credentials {
    api_key: SecretString,
    secret: SecretString,
    signature_header: String,
}

impl Credentials {
    fn check(&self, req: &HttpRequest) -> AppResult<()> {
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if presented == Some(self.api_key.expose_secret()) {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::Unauthorized,
                "wrong or missing provider API key",
            ))
        }
    }

    /// Posts a signed JSON notification to the merchant; answers its status.
    async fn notify(
        &self,
        client: &OutboundClient,
        url: &str,
        payload: &impl Serialize,
    ) -> AppResult<u16> {
        let body = serde_json::to_vec(payload).map_err(AppError::internal)?;
        let url = Url::parse(url).map_err(|_| AppError::invalid("notify_url", "not a URL"))?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let name =
            HeaderName::from_bytes(self.signature_header.as_bytes()).map_err(AppError::internal)?;
        let signature = HeaderValue::from_str(&hmac_sha256_hex(
            self.secret.expose_secret().as_bytes(),
            &body,
        ))
        .map_err(AppError::internal)?;
        headers.insert(name, signature);
        let response = client
            .send(Method::POST, &url, headers, body)
            .await
            .map_err(|e| {
                AppError::new(
                    ErrorCode::ProviderUnavailable,
                    format!("notification failed: {e}"),
                )
            })?;
        Ok(response.status)
    }
}

fn notifier() -> anyhow::Result<OutboundClient> {
    OutboundClient::new(OutboundConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
        max_response_bytes: 16 * 1024,
        policy: TargetPolicy {
            allow_insecure_local: true,
        },
    })
}

/// The sandbox payment provider's server side.
pub struct SandboxPayments {
    credentials: Credentials,
    merchant_id: String,
    refunds: Mutex<HashMap<String, String>>,
    refunds_made: AtomicU64,
    client: Option<OutboundClient>,
}

impl SandboxPayments {
    pub fn new(settings: &PaymentSettings) -> Self {
        Self {
            credentials: Credentials {
                api_key: settings.api_key.clone(),
                secret: settings.webhook_secret.clone(),
                signature_header: settings.signature_header.clone(),
            },
            merchant_id: settings.merchant_id.clone(),
            refunds: Mutex::new(HashMap::new()),
            refunds_made: AtomicU64::new(0),
            client: notifier().ok(),
        }
    }

    /// Distinct refunds carried out (a repeated refund number is not a new refund).
    pub fn refunds_made(&self) -> u64 {
        self.refunds_made.load(Ordering::SeqCst)
    }

    fn refund(&self, request: &CreateRefund) -> String {
        let mut refunds = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        refunds
            .entry(request.out_refund_no.clone())
            .or_insert_with(|| {
                self.refunds_made.fetch_add(1, Ordering::SeqCst);
                tracing::info!(provider_ref = %request.provider_ref, amount_fen = request.amount_fen, "sandbox refund");
                format!("sbx_rf_{}", uuid::Uuid::new_v4().simple())
            })
            .clone()
    }
}

fn payments_sandbox(state: &AppState) -> AppResult<&SandboxPayments> {
    state
        .payments
        .sandbox()
        .map(|s| s.as_ref())
        .ok_or_else(|| AppError::not_found("sandbox"))
}

async fn create_payment(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<CreatePayment>,
) -> AppResult<HttpResponse> {
    let sandbox = payments_sandbox(&state)?;
    sandbox.credentials.check(&req)?;
    if body.merchant_id != sandbox.merchant_id {
        return Err(AppError::invalid("merchant_id", "unknown merchant"));
    }
    if body.amount_fen <= 0 {
        return Err(AppError::invalid("amount_fen", "must be positive"));
    }
    let provider_ref = format!("sbx_{}", uuid::Uuid::new_v4().simple());
    let client_params = serde_json::json!({
        "sandbox": true,
        "out_trade_no": body.out_trade_no,
        "amount_fen": body.amount_fen,
        "succeed_url": format!("/api/v1/payments/sandbox/{provider_ref}/succeed"),
    });
    Ok(HttpResponse::Created().json(CreatedPayment {
        provider_ref,
        client_params,
    }))
}

async fn approve_payment(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<ApprovePayment>,
) -> AppResult<HttpResponse> {
    let sandbox = payments_sandbox(&state)?;
    sandbox.credentials.check(&req)?;
    let event = ProviderEvent {
        event_id: format!("evt_{}", uuid::Uuid::new_v4().simple()),
        kind: "payment.succeeded".into(),
        provider_ref: path.into_inner(),
        amount_fen: body.amount_fen,
        occurred_at: Utc::now(),
    };
    let client = sandbox
        .client
        .as_ref()
        .ok_or_else(|| AppError::not_found("sandbox"))?;
    let notify_status = sandbox
        .credentials
        .notify(client, &body.notify_url, &event)
        .await?;
    Ok(HttpResponse::Ok().json(Approved { notify_status }))
}

async fn create_refund(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<CreateRefund>,
) -> AppResult<HttpResponse> {
    let sandbox = payments_sandbox(&state)?;
    sandbox.credentials.check(&req)?;
    if body.amount_fen <= 0
        || !body.provider_ref.starts_with("sbx_")
        || body.out_refund_no.is_empty()
    {
        return Err(AppError::invalid(
            "refund",
            "needs a sandbox payment, a refund number and a positive amount",
        ));
    }
    let refund_ref = sandbox.refund(&body);
    Ok(HttpResponse::Ok().json(CreatedRefund { refund_ref }))
}

/// The sandbox carrier's server side.
pub struct SandboxLogistics {
    credentials: Credentials,
    provider: String,
    parcels: Mutex<Parcels>,
    client: Option<OutboundClient>,
}

#[derive(Default)]
struct Parcels {
    by_tracking: HashMap<String, Parcel>,
    by_reference: HashMap<String, String>,
}

struct Parcel {
    tracking: Tracking,
    notify_url: String,
}

const CARRIER_STATUSES: [&str; 3] = ["in_transit", "delivered", "exception"];

impl SandboxLogistics {
    pub fn new(settings: &LogisticsSettings) -> Self {
        Self {
            credentials: Credentials {
                api_key: settings.api_key.clone(),
                secret: settings.webhook_secret.clone(),
                signature_header: settings.signature_header.clone(),
            },
            provider: settings.provider.clone(),
            parcels: Mutex::new(Parcels::default()),
            client: notifier().ok(),
        }
    }

    fn book(&self, request: &ShipmentRequest) -> Booking {
        let mut parcels = self.parcels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = parcels.by_reference.get(&request.reference) {
            let tracking = &parcels.by_tracking[existing].tracking;
            return Booking {
                carrier: tracking.carrier.clone(),
                tracking_number: tracking.tracking_number.clone(),
            };
        }
        let carrier = request
            .carrier
            .clone()
            .unwrap_or_else(|| self.provider.clone());
        let tracking_number = format!(
            "SBX{:012}",
            rand::rng().random_range(0..1_000_000_000_000u64)
        );
        let tracking = Tracking {
            carrier: carrier.clone(),
            tracking_number: tracking_number.clone(),
            status: "booked".into(),
            events: vec![TrackingEvent {
                status: "booked".into(),
                detail: format!("{} package(s), {} g", request.packages, request.weight_g),
                occurred_at: Utc::now(),
            }],
        };
        parcels
            .by_reference
            .insert(request.reference.clone(), tracking_number.clone());
        parcels.by_tracking.insert(
            tracking_number.clone(),
            Parcel {
                tracking,
                notify_url: request.notify_url.clone(),
            },
        );
        Booking {
            carrier,
            tracking_number,
        }
    }

    fn tracking(&self, tracking_number: &str) -> AppResult<Tracking> {
        let parcels = self.parcels.lock().unwrap_or_else(|p| p.into_inner());
        parcels
            .by_tracking
            .get(tracking_number)
            .map(|p| p.tracking.clone())
            .ok_or_else(|| AppError::not_found("shipment"))
    }

    /// Records the new status; answers the update to send and where to send it.
    fn advance(
        &self,
        tracking_number: &str,
        advance: &Advance,
    ) -> AppResult<(CarrierUpdate, String, Tracking)> {
        let mut parcels = self.parcels.lock().unwrap_or_else(|p| p.into_inner());
        let parcel = parcels
            .by_tracking
            .get_mut(tracking_number)
            .ok_or_else(|| AppError::not_found("shipment"))?;
        let now = Utc::now();
        parcel.tracking.status = advance.status.clone();
        parcel.tracking.events.push(TrackingEvent {
            status: advance.status.clone(),
            detail: advance.detail.clone(),
            occurred_at: now,
        });
        let update = CarrierUpdate {
            event_id: format!("cev_{}", uuid::Uuid::new_v4().simple()),
            carrier: parcel.tracking.carrier.clone(),
            tracking_number: tracking_number.into(),
            status: advance.status.clone(),
            detail: advance.detail.clone(),
            occurred_at: now,
        };
        Ok((update, parcel.notify_url.clone(), parcel.tracking.clone()))
    }
}

fn logistics_sandbox(state: &AppState) -> AppResult<&SandboxLogistics> {
    state
        .logistics
        .sandbox()
        .map(|s| s.as_ref())
        .ok_or_else(|| AppError::not_found("sandbox"))
}

async fn book_shipment(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ShipmentRequest>,
) -> AppResult<HttpResponse> {
    let sandbox = logistics_sandbox(&state)?;
    sandbox.credentials.check(&req)?;
    if body.reference.is_empty() || body.packages < 1 || body.weight_g < 1 {
        return Err(AppError::invalid(
            "shipment",
            "needs a reference, packages and a weight",
        ));
    }
    Ok(HttpResponse::Created().json(sandbox.book(&body)))
}

async fn tracking(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let sandbox = logistics_sandbox(&state)?;
    sandbox.credentials.check(&req)?;
    Ok(HttpResponse::Ok().json(sandbox.tracking(&path)?))
}

async fn advance(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<Advance>,
) -> AppResult<HttpResponse> {
    let sandbox = logistics_sandbox(&state)?;
    sandbox.credentials.check(&req)?;
    if !CARRIER_STATUSES.contains(&body.status.as_str()) {
        return Err(AppError::invalid(
            "status",
            format!("one of {CARRIER_STATUSES:?}"),
        ));
    }
    let (update, notify_url, tracking) = sandbox.advance(&path, &body)?;
    let client = sandbox
        .client
        .as_ref()
        .ok_or_else(|| AppError::not_found("sandbox"))?;
    let status = sandbox
        .credentials
        .notify(client, &notify_url, &update)
        .await?;
    if !(200..300).contains(&status) {
        tracing::warn!(status, tracking_number = %update.tracking_number, "merchant refused a carrier update");
    }
    Ok(HttpResponse::Ok().json(tracking))
}
