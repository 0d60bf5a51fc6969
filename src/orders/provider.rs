//! Payment providers behind one small enum (a real boundary: WeChat Pay or
//! Alipay adapters join `PaymentProvider` later). The built-in `sandbox`
//! confirms through the same signed webhook path a real provider would use.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use serde_json::json;
use tokio::sync::Mutex;

use super::model::ProviderEvent;
use crate::config::PaymentSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::crypto::{hmac_sha256_hex, verify_hmac_sha256_hex};

pub const SANDBOX: &str = "sandbox";
pub const SANDBOX_SIGNATURE_HEADER: &str = "Sandbox-Signature";

/// A payment as the provider created it.
pub struct StartedPayment {
    pub provider_ref: String,
    pub client_params: serde_json::Value,
}

#[derive(Clone)]
pub enum PaymentProvider {
    Sandbox(SandboxProvider),
}

#[derive(Clone)]
pub struct SandboxProvider {
    secret: String,
    refund_calls: Arc<AtomicU64>,
    /// Refunds by idempotency key (WeChat Pay's out_refund_no): a repeated key
    /// answers the first refund again without paying out twice.
    keyed_refunds: Arc<Mutex<HashMap<String, String>>>,
}

/// The providers this instance can use.
#[derive(Clone)]
pub struct Providers {
    sandbox: Option<SandboxProvider>,
}

impl Providers {
    pub fn new(settings: &PaymentSettings) -> Self {
        let sandbox = settings.sandbox_enabled.then(|| SandboxProvider {
            secret: settings.sandbox_secret.clone(),
            refund_calls: Arc::new(AtomicU64::new(0)),
            keyed_refunds: Arc::default(),
        });
        Self { sandbox }
    }

    pub fn get(&self, name: &str) -> AppResult<PaymentProvider> {
        match (name, &self.sandbox) {
            (SANDBOX, Some(sandbox)) => Ok(PaymentProvider::Sandbox(sandbox.clone())),
            _ => Err(AppError::invalid(
                "provider",
                format!("unknown or disabled payment provider {name:?}"),
            )),
        }
    }

    /// Refunds the sandbox has been asked for (tests count them).
    pub fn sandbox_refund_calls(&self) -> u64 {
        self.sandbox
            .as_ref()
            .map_or(0, |s| s.refund_calls.load(Ordering::SeqCst))
    }
}

impl PaymentProvider {
    pub fn name(&self) -> &'static str {
        match self {
            PaymentProvider::Sandbox(_) => SANDBOX,
        }
    }

    pub fn start(&self, order_id: i64, amount_fen: i64) -> StartedPayment {
        match self {
            PaymentProvider::Sandbox(_) => {
                let provider_ref = format!("sbx_{}", uuid::Uuid::new_v4().simple());
                let client_params = json!({
                    "sandbox": true,
                    "order_id": order_id,
                    "amount_fen": amount_fen,
                    "succeed_url": format!("/api/v1/payments/sandbox/{provider_ref}/succeed"),
                });
                StartedPayment {
                    provider_ref,
                    client_params,
                }
            }
        }
    }

    /// Asks the provider to return money; answers the provider's refund reference.
    pub async fn refund(&self, provider_ref: &str, amount_fen: i64) -> AppResult<String> {
        match self {
            PaymentProvider::Sandbox(sandbox) => {
                sandbox.refund_calls.fetch_add(1, Ordering::SeqCst);
                tracing::info!(provider_ref, amount_fen, "sandbox refund");
                Ok(format!("sbx_rf_{}", uuid::Uuid::new_v4().simple()))
            }
        }
    }

    /// A refund the provider performs at most once per `key`: a retry with the
    /// same key (after a crash) answers the first refund's reference.
    pub async fn refund_once(
        &self,
        provider_ref: &str,
        amount_fen: i64,
        key: &str,
    ) -> AppResult<String> {
        let PaymentProvider::Sandbox(sandbox) = self;
        if let Some(done) = sandbox.keyed_refunds.lock().await.get(key) {
            return Ok(done.clone());
        }
        let refund_ref = self.refund(provider_ref, amount_fen).await?;
        sandbox
            .keyed_refunds
            .lock()
            .await
            .insert(key.to_owned(), refund_ref.clone());
        Ok(refund_ref)
    }

    /// Verifies the signature over the raw body, then parses it.
    pub fn parse_webhook(&self, signature: Option<&str>, body: &[u8]) -> AppResult<ProviderEvent> {
        let PaymentProvider::Sandbox(sandbox) = self;
        let valid = signature
            .is_some_and(|sig| verify_hmac_sha256_hex(sandbox.secret.as_bytes(), body, sig));
        if !valid {
            return Err(AppError::new(
                ErrorCode::InvalidSignature,
                "webhook signature does not verify",
            ));
        }
        serde_json::from_slice(body)
            .map_err(|e| AppError::new(ErrorCode::InvalidBody, format!("webhook body: {e}")))
    }

    /// The sandbox's own signed `payment.succeeded` webhook for a payment.
    pub fn sandbox_success_webhook(
        &self,
        provider_ref: &str,
        amount_fen: i64,
    ) -> (String, Vec<u8>) {
        let PaymentProvider::Sandbox(sandbox) = self;
        let event = ProviderEvent {
            event_id: format!("evt_{}", uuid::Uuid::new_v4().simple()),
            kind: "payment.succeeded".into(),
            provider_ref: provider_ref.to_owned(),
            amount_fen,
            occurred_at: Utc::now(),
        };
        let body = serde_json::to_vec(&event).unwrap_or_default();
        (hmac_sha256_hex(sandbox.secret.as_bytes(), &body), body)
    }
}
