//! One HTTP attempt of a delivery: the signed JSON body and headers, the
//! outcome as an `Attempt`, and the retry backoff (exponential, with jitter).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::model::WebhookEvent;
use super::signing::{active_secrets, signature_header};
use super::store::{Job, truncate};
use crate::config::WebhookSettings;
use crate::platform::outbound::{OutboundClient, OutboundError};

pub const EVENT_ID: &str = "gongfang-event-id";
pub const EVENT_TYPE: &str = "gongfang-event-type";
pub const DELIVERY_ID: &str = "gongfang-delivery-id";
pub const TIMESTAMP: &str = "gongfang-timestamp";
pub const SIGNATURE: &str = "gongfang-signature";

/// The outcome of one attempt, as logged.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    pub excerpt: Option<String>,
}

impl Attempt {
    /// Any 2xx answer; redirects (3xx) are not followed and count as failures.
    pub fn succeeded(&self) -> bool {
        matches!(self.status_code, Some(200..=299))
    }

    pub fn describe(&self) -> String {
        match (&self.error, self.status_code) {
            (Some(error), _) => error.clone(),
            (None, Some(code)) => format!("HTTP {code}"),
            (None, None) => "no answer".into(),
        }
    }
}

/// Sends the job's event to its endpoint once and reports what happened.
pub async fn attempt(client: &OutboundClient, job: &Job) -> Attempt {
    let at = Utc::now();
    let body = match serde_json::to_vec(&WebhookEvent::from(&job.event)) {
        Ok(body) => body,
        Err(err) => return failed(at, 0, format!("event not serialisable: {err}")),
    };
    let url = match Url::parse(&job.endpoint.url) {
        Ok(url) => url,
        Err(err) => return failed(at, 0, format!("invalid URL: {err}")),
    };
    let headers = headers(job, &body, at);
    match client.send(Method::POST, &url, headers, body).await {
        Ok(response) => {
            let excerpt = String::from_utf8_lossy(&response.body);
            let excerpt = truncate(excerpt.trim(), 1000);
            let code = i32::from(response.status);
            Attempt {
                at,
                status_code: Some(code),
                latency_ms: millis(response.latency),
                error: (!(200..300).contains(&code)).then(|| format!("HTTP {code}")),
                excerpt: (!excerpt.is_empty()).then_some(excerpt),
            }
        }
        Err(err) => {
            let elapsed = (Utc::now() - at).to_std().unwrap_or_default();
            failed(at, millis(elapsed), describe_error(&err))
        }
    }
}

fn headers(job: &Job, body: &[u8], now: DateTime<Utc>) -> HeaderMap {
    let timestamp = now.timestamp();
    let secrets = active_secrets(&job.endpoint, now);
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    put(EVENT_ID, job.event.id.to_string());
    put(EVENT_TYPE, job.event.event_type.clone());
    put(DELIVERY_ID, job.delivery.id.to_string());
    put(TIMESTAMP, timestamp.to_string());
    put(SIGNATURE, signature_header(&secrets, timestamp, body));
    headers
}

fn describe_error(err: &OutboundError) -> String {
    truncate(&err.to_string(), 500)
}

fn failed(at: DateTime<Utc>, latency_ms: i32, error: String) -> Attempt {
    Attempt {
        at,
        status_code: None,
        latency_ms,
        error: Some(error),
        excerpt: None,
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// Wait before retry `n` (n ≥ 1): `min(base · 2^(n-1), max)`, the upper half jittered
/// so that many deliveries failing together do not retry together.
pub fn backoff(n: i32, hooks: &WebhookSettings) -> chrono::Duration {
    let shift = u32::try_from(n.saturating_sub(1)).unwrap_or(0).min(40);
    let cap = hooks
        .backoff_base_ms
        .saturating_mul(1u64 << shift)
        .min(hooks.backoff_max_ms);
    let half = cap / 2;
    let jitter = if half > 0 {
        rand::random_range(0..=half)
    } else {
        0
    };
    chrono::Duration::milliseconds(i64::try_from(cap - half + jitter).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_jitter_in_the_upper_half() {
        let mut hooks = Settings::load_profile("test").unwrap().webhooks;
        hooks.backoff_base_ms = 1000;
        hooks.backoff_max_ms = 60_000;
        for (n, cap) in [(1, 1000), (2, 2000), (3, 4000), (7, 60_000), (500, 60_000)] {
            let wait = backoff(n, &hooks).num_milliseconds();
            assert!(wait >= cap / 2 && wait <= cap, "retry {n}: {wait} ms");
        }
    }
}
