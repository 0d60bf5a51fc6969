//! Logging (pretty in development, JSON in production) and the request-id
//! middleware that puts `X-Request-Id` on the response and in every log line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if settings.format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

pub async fn request_id(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = match incoming_id(&req) {
        Some(id) => id,
        None => req.app_data::<web::Data<RequestIds>>().map_or_else(
            || uuid::Uuid::new_v4().simple().to_string(),
            |ids| ids.next(),
        ),
    };
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    // The sandbox providers are this instance talking to itself (the demo
    // load makes over a thousand such calls); they log at debug, not info.
    let sandbox_call = req.path().starts_with("/sandbox/");
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    res.headers_mut().insert(REQUEST_ID, value);
    let status = res.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    span.in_scope(|| {
        if sandbox_call {
            tracing::debug!(status, latency_us, "request finished");
        } else {
            tracing::info!(status, latency_us, "request finished");
        }
    });
    Ok(res)
}

/// Fresh request ids: this process's random prefix and a counter, unique
/// without drawing a random number per request.
pub struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        Self {
            prefix: uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
            next: AtomicU64::new(0),
        }
    }
}

impl RequestIds {
    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}{n:016x}", self.prefix)
    }
}

/// A caller's id is kept if it is short printable ASCII; anything else is replaced.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let raw = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let ok = !raw.is_empty() && raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| raw.to_owned())
}
