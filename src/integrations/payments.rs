//! The payment provider adapter: create a payment, refund (idempotent on our
//! refund number, so a retried refund never pays out twice), and verify the
//! provider's signed webhooks. The wire types are the provider's JSON API;
//! the sandbox in `super::sandbox` serves the same API.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::endpoint::{ProviderEndpoint, SelfAddress, callback_url};
use super::sandbox::SandboxPayments;
use crate::config::PaymentSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::model::ProviderEvent;
use crate::platform::crypto::verify_hmac_sha256_hex;

/// `POST /v1/payments`
#[derive(Debug, Serialize, Deserialize)]
pub struct CreatePayment {
    pub merchant_id: String,
    pub out_trade_no: String,
    pub amount_fen: i64,
    pub notify_url: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CreatedPayment {
    pub provider_ref: String,
    /// What the mobile client hands to the provider's SDK.
    pub client_params: serde_json::Value,
}

/// `POST /v1/refunds`: the provider refunds each `out_refund_no` at most once.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateRefund {
    pub out_refund_no: String,
    pub provider_ref: String,
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CreatedRefund {
    pub refund_ref: String,
}

/// Sandbox only: `POST /v1/payments/{provider_ref}/approve` (the payer says yes).
#[derive(Debug, Serialize, Deserialize)]
pub struct ApprovePayment {
    pub amount_fen: i64,
    pub notify_url: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Approved {
    /// The status our webhook endpoint answered the provider's notification with.
    pub notify_status: u16,
}

/// A payment as the provider created it.
pub struct StartedPayment {
    pub provider_ref: String,
    pub client_params: serde_json::Value,
}

/// The payment provider this instance uses, plus its sandbox when it serves one.
#[derive(Clone)]
pub struct Providers {
    gateway: PaymentGateway,
    sandbox: Option<Arc<SandboxPayments>>,
}

#[derive(Clone)]
pub struct PaymentGateway {
    name: String,
    merchant_id: String,
    webhook_secret: SecretString,
    signature_header: String,
    notify_base_url: String,
    own: SelfAddress,
    uses_sandbox: bool,
    endpoint: ProviderEndpoint,
}

impl Providers {
    pub fn new(
        settings: &PaymentSettings,
        own: SelfAddress,
        production: bool,
    ) -> anyhow::Result<Self> {
        let uses_sandbox = settings.base_url.is_empty() && settings.sandbox_enabled;
        let endpoint = ProviderEndpoint::new(
            "payment",
            &settings.base_url,
            "/sandbox/payments",
            if uses_sandbox {
                own.clone()
            } else {
                SelfAddress::default()
            },
            &settings.api_key,
            settings.timeout_ms,
            production,
        )?;
        let sandbox = settings
            .sandbox_enabled
            .then(|| Arc::new(SandboxPayments::new(settings)));
        Ok(Self {
            gateway: PaymentGateway {
                name: settings.provider.clone(),
                merchant_id: settings.merchant_id.clone(),
                webhook_secret: settings.webhook_secret.clone(),
                signature_header: settings.signature_header.clone(),
                notify_base_url: settings.notify_base_url.trim_end_matches('/').into(),
                own,
                uses_sandbox,
                endpoint,
            },
            sandbox,
        })
    }

    pub fn get(&self, name: &str) -> AppResult<PaymentGateway> {
        if name == self.gateway.name {
            Ok(self.gateway.clone())
        } else {
            Err(AppError::invalid(
                "provider",
                format!("unknown payment provider {name:?}"),
            ))
        }
    }

    /// The provider every new payment goes to.
    pub fn default_provider(&self) -> &str {
        &self.gateway.name
    }

    /// The sandbox provider's server side, when this instance serves it.
    pub fn sandbox(&self) -> Option<&Arc<SandboxPayments>> {
        self.sandbox.as_ref()
    }

    /// Refunds the sandbox has carried out (tests count them).
    pub fn sandbox_refund_calls(&self) -> u64 {
        self.sandbox.as_ref().map_or(0, |s| s.refunds_made())
    }
}

impl PaymentGateway {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn signature_header(&self) -> &str {
        &self.signature_header
    }

    pub async fn start(&self, order_id: i64, amount_fen: i64) -> AppResult<StartedPayment> {
        let request = CreatePayment {
            merchant_id: self.merchant_id.clone(),
            out_trade_no: format!("gf-{order_id}-{}", uuid::Uuid::new_v4().simple()),
            amount_fen,
            notify_url: self.notify_url()?,
        };
        let created: CreatedPayment = self.endpoint.post("/v1/payments", &request).await?;
        Ok(StartedPayment {
            provider_ref: created.provider_ref,
            client_params: created.client_params,
        })
    }

    /// Asks the provider to return money. `out_refund_no` is ours and stable:
    /// asking again with it (after a crash, say) never refunds twice.
    pub async fn refund(
        &self,
        out_refund_no: &str,
        provider_ref: &str,
        amount_fen: i64,
    ) -> AppResult<String> {
        let request = CreateRefund {
            out_refund_no: out_refund_no.into(),
            provider_ref: provider_ref.into(),
            amount_fen,
        };
        let created: CreatedRefund = self.endpoint.post("/v1/refunds", &request).await?;
        Ok(created.refund_ref)
    }

    /// Verifies the signature over the raw body, then parses it.
    pub fn parse_webhook(&self, signature: Option<&str>, body: &[u8]) -> AppResult<ProviderEvent> {
        let valid = signature.is_some_and(|sig| {
            verify_hmac_sha256_hex(self.webhook_secret.expose_secret().as_bytes(), body, sig)
        });
        if !valid {
            return Err(AppError::new(
                ErrorCode::InvalidSignature,
                "webhook signature does not verify",
            ));
        }
        serde_json::from_slice(body)
            .map_err(|e| AppError::new(ErrorCode::InvalidBody, format!("webhook body: {e}")))
    }

    /// Sandbox only: the payer approves; the sandbox then notifies us through
    /// the signed webhook, over HTTP, like a real provider.
    pub async fn approve_in_sandbox(
        &self,
        provider_ref: &str,
        amount_fen: i64,
    ) -> AppResult<Approved> {
        if !self.uses_sandbox {
            return Err(AppError::not_found("sandbox payment provider"));
        }
        let request = ApprovePayment {
            amount_fen,
            notify_url: self.notify_url()?,
        };
        let path = format!("/v1/payments/{provider_ref}/approve");
        self.endpoint.post(&path, &request).await
    }

    fn notify_url(&self) -> AppResult<String> {
        let path = format!("/api/v1/payments/webhooks/{}", self.name);
        callback_url(&self.notify_base_url, &self.own, &path)
    }
}
