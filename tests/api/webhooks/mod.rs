//! Partner webhooks over real HTTP: a receiver started by each test, events
//! enqueued as domains do, deliveries observed through the API and the receiver.

mod delivery;
mod endpoints;
mod failures;
mod instances;
mod receiver;
mod ssrf;
mod throughput;

use std::time::{Duration, Instant};

use gongfang::config::Settings;
use gongfang::platform::outbox;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, Workshop, json_of, spawn_app_with};

pub use receiver::{Receiver, Reply};

/// Short intervals so retries and leases play out within a test.
pub fn fast(settings: &mut Settings) {
    let hooks = &mut settings.webhooks;
    hooks.poll_interval_ms = 20;
    hooks.backoff_base_ms = 20;
    hooks.backoff_max_ms = 200;
    hooks.attempt_timeout_ms = 1000;
    hooks.connect_timeout_ms = 500;
    hooks.lease_ms = 2000;
}

/// An app, a workshop, a receiver and one endpoint registered at it.
pub struct Fixture {
    pub app: TestApp,
    pub shop: Workshop,
    pub receiver: Receiver,
    pub endpoint: Endpoint,
}

pub async fn fixture(
    prefix: &str,
    types: &[&str],
    customise: impl FnOnce(&mut Settings),
) -> Fixture {
    let app = spawn_app_with(customise).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, prefix).await;
    let receiver = Receiver::start().await;
    let endpoint = register(&app, &shop, &receiver.hook_url(), types).await;
    Fixture {
        app,
        shop,
        receiver,
        endpoint,
    }
}

pub struct Endpoint {
    pub id: i64,
    pub secret: String,
    pub path: String,
}

/// Registers an endpoint and returns its id, secret and API path.
pub async fn register(app: &TestApp, shop: &Workshop, url: &str, types: &[&str]) -> Endpoint {
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/webhooks", shop.id),
            Some(&shop.manager),
            &json!({"url": url, "event_types": types, "description": "合作伙伴"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = json_of(res).await;
    let id = body["id"].as_i64().expect("endpoint id");
    Endpoint {
        id,
        secret: body["secret"].as_str().expect("secret").to_owned(),
        path: format!("/api/v1/workshops/{}/webhooks/{id}", shop.id),
    }
}

/// Writes a domain event the way domains do (in the outbox), then wakes the workers.
pub async fn emit(
    app: &TestApp,
    workshop_id: i64,
    event_type: &str,
    resource: &str,
    data: Value,
) -> i64 {
    let id = outbox::enqueue(&app.state.db, workshop_id, event_type, resource, &data)
        .await
        .expect("enqueue");
    outbox::committed(&app.state.bus).await;
    id
}

/// Asks for a test event through the API.
pub async fn post_test(app: &TestApp, shop: &Workshop, endpoint: &Endpoint) -> reqwest::Response {
    let path = format!("{}/test", endpoint.path);
    app.post(&path, Some(&shop.manager), &json!({})).await
}

/// Sends a test event through the API; returns the delivery id.
pub async fn send_test(app: &TestApp, shop: &Workshop, endpoint: &Endpoint) -> i64 {
    let res = post_test(app, shop, endpoint).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    json_of(res).await["id"].as_i64().expect("delivery id")
}

pub async fn delivery(app: &TestApp, shop: &Workshop, endpoint: &Endpoint, id: i64) -> Value {
    let res = app
        .get(
            &format!("{}/deliveries/{id}", endpoint.path),
            Some(&shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

/// Polls a delivery until it has `status` (panics after 15 s).
pub async fn wait_status(
    app: &TestApp,
    shop: &Workshop,
    endpoint: &Endpoint,
    id: i64,
    status: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body = delivery(app, shop, endpoint, id).await;
        if body["status"] == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "delivery never became {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls the endpoint until `check` holds (panics after 15 s).
pub async fn wait_endpoint(
    app: &TestApp,
    shop: &Workshop,
    endpoint: &Endpoint,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body = json_of(app.get(&endpoint.path, Some(&shop.manager)).await).await;
        if check(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "endpoint never reached the state: {body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
