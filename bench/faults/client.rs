//! The harnesses' HTTP side: a buyer that retries its own Idempotency-Key
//! until a definitive answer, and a log of every request (when, how long,
//! status, Retry-After) to judge what clients saw during a fault.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::world::Customer;

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client")
}

/// One request as a client saw it. `status` 0: no answer (connection refused,
/// reset or timed out).
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Duration,
    pub latency: Duration,
    pub status: u16,
    pub retry_after: bool,
    pub kind: &'static str,
}

#[derive(Clone)]
pub struct Log {
    pub started: Instant,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Log {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            seen: Arc::default(),
        }
    }

    pub fn record(&self, seen: Seen) {
        self.seen.lock().expect("log").push(seen);
    }

    pub fn all(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }

    /// Sends a request and records what came back; the status and JSON body.
    pub async fn send(
        &self,
        kind: &'static str,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value, bool) {
        let sent = Instant::now();
        let at = sent.duration_since(self.started);
        let (status, body, retry_after, replayed) = match request.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let retry_after = res.headers().contains_key("retry-after");
                let replayed = res.headers().contains_key("idempotent-replayed");
                let body = res.json::<Value>().await.unwrap_or(Value::Null);
                (status, body, retry_after, replayed)
            }
            Err(_) => (0, Value::Null, false, false),
        };
        self.record(Seen {
            at,
            latency: sent.elapsed(),
            status,
            retry_after,
            kind,
        });
        (status, body, replayed)
    }
}

/// How one Idempotency-Key ended.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 201: the order id.
    Placed(i64),
    /// A definitive refusal (409 out_of_stock, 422 ...): status and code.
    Refused(u16, String),
    /// No definitive answer before the deadline.
    Stuck,
}

pub struct Order {
    pub key: String,
    pub body: Value,
}

impl Order {
    pub fn new(key: String, customer: &Customer, sku_id: i64, quantity: i64) -> Self {
        Self {
            key,
            body: json!({"lines": [{"sku_id": sku_id, "quantity": quantity}], "address_id": customer.address_id}),
        }
    }
}

/// POSTs the order with its key until the answer is definitive: retries on no
/// answer, 5xx, 429 and 409 `idempotency_in_progress`.
pub async fn place_until_definitive(
    client: &reqwest::Client,
    log: &Log,
    base: &str,
    token: &str,
    order: &Order,
    give_up_after: Duration,
) -> (Answer, u32) {
    let started = Instant::now();
    let mut attempts = 0;
    while started.elapsed() < give_up_after {
        attempts += 1;
        let request = client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(token)
            .header("Idempotency-Key", &order.key)
            .timeout(Duration::from_secs(10))
            .json(&order.body);
        let (status, body, _) = log.send("order", request).await;
        let code = body["code"].as_str().unwrap_or("");
        let retry = status == 0
            || status >= 500
            || status == 429
            || (status == 409 && code == "idempotency_in_progress");
        if !retry {
            return match (status, body["id"].as_i64()) {
                (201, Some(id)) => (Answer::Placed(id), attempts),
                _ if status == 422 => {
                    let detail = body["detail"].as_str().unwrap_or("");
                    (
                        Answer::Refused(status, format!("{code}: {detail}")),
                        attempts,
                    )
                }
                _ => (Answer::Refused(status, code.to_owned()), attempts),
            };
        }
        tokio::time::sleep(Duration::from_millis(if status == 0 { 100 } else { 200 })).await;
    }
    (Answer::Stuck, attempts)
}

/// Counts of statuses (0 = no answer), for the report.
pub fn by_status(seen: &[&Seen]) -> String {
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    for s in seen {
        *counts.entry(s.status).or_default() += 1;
    }
    counts
        .iter()
        .map(|(status, n)| match status {
            0 => format!("no-answer={n}"),
            s => format!("{s}={n}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn percentile(mut latencies: Vec<Duration>, p: f64) -> Duration {
    if latencies.is_empty() {
        return Duration::ZERO;
    }
    latencies.sort_unstable();
    let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
    latencies[index]
}

pub fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}
