//! Outbound HTTP for integrations (partner webhooks, provider adapters): reqwest over
//! rustls (ring), per-request timeouts, no proxy, no redirects, guarded DNS, capped bodies.

pub mod guard;

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, Url, redirect};

pub use guard::{Refused, TargetPolicy};

#[derive(Debug, Clone)]
pub struct OutboundConfig {
    pub connect_timeout: Duration,
    /// The whole request: connect, send, and reading the (capped) response.
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub policy: TargetPolicy,
}

/// A cheap-to-clone client; share one per use (it pools connections).
#[derive(Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
    config: OutboundConfig,
}

#[derive(Debug)]
pub struct OutboundResponse {
    pub status: u16,
    /// The first `max_response_bytes` of the body.
    pub body: Vec<u8>,
    pub latency: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Request(String),
}

/// reqwest is built without a bundled TLS crypto provider (ring keeps the
/// build lean): every process that builds a reqwest client calls this first.
/// Installing twice (several apps in one process) is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl OutboundClient {
    pub fn new(config: OutboundConfig) -> anyhow::Result<Self> {
        install_tls_provider();
        let client = reqwest::Client::builder()
            .user_agent(concat!("Gongfang/", env!("CARGO_PKG_VERSION")))
            .redirect(redirect::Policy::none())
            .no_proxy()
            .dns_resolver(guard::GuardedResolver::shared(config.policy))
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(8)
            .build()?;
        Ok(Self { client, config })
    }

    pub fn policy(&self) -> TargetPolicy {
        self.config.policy
    }

    /// Sends one request. The URL is checked first (scheme, literal addresses);
    /// names are checked by the resolver at connect time. Redirects are answers, not followed.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<OutboundResponse, OutboundError> {
        self.config.policy.check_url(url)?;
        let started = Instant::now();
        let request = self
            .client
            .request(method, url.clone())
            .headers(headers)
            .body(body);
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < self.config.max_response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                // The status is what counts; a broken body after it is not a failure.
                Err(err) if err.is_timeout() => return Err(OutboundError::Timeout),
                Err(_) => break,
            }
        }
        body.truncate(self.config.max_response_bytes);
        Ok(OutboundResponse {
            status,
            body,
            latency: started.elapsed(),
        })
    }
}

/// Maps reqwest's error to ours, finding a resolver refusal in the cause chain.
fn classify(err: reqwest::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut chain = Vec::new();
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return OutboundError::Refused(refused.clone());
        }
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(": ");
    if err.is_timeout() {
        OutboundError::Timeout
    } else if err.is_connect() {
        OutboundError::Connect(text)
    } else {
        OutboundError::Request(text)
    }
}
