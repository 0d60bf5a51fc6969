//! What every provider adapter shares: where the provider is, its credentials,
//! JSON over the outbound client, and one mapping from transport failures to
//! errors a caller can act on (503 try again, 502 the provider said no).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::outbound::{OutboundClient, OutboundConfig, OutboundError, TargetPolicy};

/// This instance's own base URL, known once the listener is bound. Adapters
/// without a configured provider call the sandbox there.
#[derive(Clone, Default)]
pub struct SelfAddress(Arc<OnceLock<String>>);

impl SelfAddress {
    pub fn set(&self, base: String) {
        let _ = self.0.set(base);
    }

    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// Where a provider calls us back: the configured public base URL, or this
/// instance's own address once it listens.
pub fn callback_url(notify_base_url: &str, own: &SelfAddress, path: &str) -> AppResult<String> {
    let base = if notify_base_url.is_empty() {
        own.get().map(str::to_owned).ok_or_else(|| {
            AppError::new(
                ErrorCode::ProviderUnavailable,
                "this instance is not listening yet",
            )
        })?
    } else {
        notify_base_url.to_owned()
    };
    Ok(format!("{base}{path}"))
}

/// One provider API: a base URL (configured, or this instance's sandbox) and a key.
#[derive(Clone)]
pub struct ProviderEndpoint {
    provider: &'static str,
    configured_base: Option<String>,
    sandbox_path: &'static str,
    own: SelfAddress,
    api_key: SecretString,
    client: OutboundClient,
}

impl ProviderEndpoint {
    pub fn new(
        provider: &'static str,
        base_url: &str,
        sandbox_path: &'static str,
        own: SelfAddress,
        api_key: &SecretString,
        timeout_ms: u64,
        production: bool,
    ) -> anyhow::Result<Self> {
        let configured_base = (!base_url.is_empty()).then(|| base_url.trim_end_matches('/').into());
        let client = OutboundClient::new(OutboundConfig {
            connect_timeout: Duration::from_millis(timeout_ms.min(2000)),
            timeout: Duration::from_millis(timeout_ms),
            max_response_bytes: 256 * 1024,
            // The operator chose this URL; only production insists on https.
            // Without one the only target is this instance's own sandbox, on
            // loopback, switched on by name.
            policy: TargetPolicy {
                allow_insecure_local: !production || configured_base.is_none(),
            },
        })?;
        Ok(Self {
            provider,
            configured_base,
            sandbox_path,
            own,
            api_key: api_key.clone(),
            client,
        })
    }

    /// The provider's base URL, or this instance's sandbox once it is listening.
    pub fn base(&self) -> AppResult<String> {
        match (&self.configured_base, self.own.get()) {
            (Some(base), _) => Ok(base.clone()),
            (None, Some(own)) => Ok(format!("{own}{}", self.sandbox_path)),
            (None, None) => Err(AppError::new(
                ErrorCode::ProviderUnavailable,
                format!("no {} provider is configured", self.provider),
            )
            .with_retry_after(5)),
        }
    }

    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> AppResult<R> {
        let body = serde_json::to_vec(body).map_err(AppError::internal)?;
        self.call(Method::POST, path, body).await
    }

    pub async fn get<R: DeserializeOwned>(&self, path: &str) -> AppResult<R> {
        self.call(Method::GET, path, Vec::new()).await
    }

    async fn call<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> AppResult<R> {
        let url = Url::parse(&format!("{}{path}", self.base()?))
            .map_err(|e| self.rejected(format!("bad provider URL: {e}")))?;
        let response = self
            .client
            .send(method, &url, self.headers(), body)
            .await
            .map_err(|e| self.unreachable(e))?;
        if !(200..300).contains(&response.status) {
            let excerpt = String::from_utf8_lossy(&response.body[..response.body.len().min(200)])
                .into_owned();
            tracing::warn!(provider = self.provider, status = response.status, body = %excerpt, "provider refused a request");
            return Err(self.rejected(format!(
                "the {} provider answered {}",
                self.provider, response.status
            )));
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            self.rejected(format!(
                "the {} provider's answer did not parse: {e}",
                self.provider
            ))
        })
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(value) =
            HeaderValue::from_str(&format!("Bearer {}", self.api_key.expose_secret()))
        {
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    fn unreachable(&self, err: OutboundError) -> AppError {
        tracing::warn!(provider = self.provider, error = %err, "provider unreachable");
        AppError::new(
            ErrorCode::ProviderUnavailable,
            format!(
                "the {} provider cannot be reached; try again shortly",
                self.provider
            ),
        )
        .with_retry_after(5)
    }

    fn rejected(&self, detail: String) -> AppError {
        AppError::new(ErrorCode::ProviderRejected, detail)
    }
}
