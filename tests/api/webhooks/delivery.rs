//! Delivery: every event arrives in order per resource with a signature that
//! verifies, secrets rotate with an overlap, redelivery by hand, metrics.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{Fixture, Receiver, Reply, emit, fast, fixture, register, send_test, wait_status};
use crate::helpers::{json_of, spawn_app_with};

const LIFECYCLE: [&str; 5] = [
    "order.created",
    "order.paid",
    "order.packed",
    "order.shipped",
    "order.completed",
];

#[tokio::test]
async fn every_event_of_an_order_lifecycle_arrives_in_order_with_a_signature_that_verifies() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16101", &["order.*"], fast).await;
    // Early answers fail, so retries of one order's events race its later events.
    receiver.script([500, 500, 503, 200, 500, 200, 500].map(Reply::status));
    let mut expected: HashMap<String, Vec<i64>> = HashMap::new();
    for step in LIFECYCLE {
        for order in 1..=4 {
            let key = format!("order:{order}");
            let data = json!({"order_id": order, "total_fen": 2990 * order});
            let id = emit(&app, shop.id, step, &key, data).await;
            expected.entry(key).or_default().push(id);
        }
        emit(&app, shop.id, "groupbuy.settled", "campaign:1", json!({})).await;
    }
    let accepted = receiver.wait_accepted(20, Duration::from_secs(20)).await;
    assert_eq!(accepted.len(), 20, "groupbuy events are not subscribed");
    let mut delivered: HashMap<String, Vec<i64>> = HashMap::new();
    for request in receiver.received() {
        let body = request.json();
        let key = format!("order:{}", body["data"]["order_id"]);
        let done = delivered.entry(key.clone()).or_default();
        // Nothing of an order is sent before its earlier events were delivered.
        let position = expected[&key]
            .iter()
            .position(|id| *id == request.event_id());
        assert_eq!(position, Some(done.len()), "out of order for {key}");
        if (200..300).contains(&request.answered) {
            done.push(request.event_id());
        }
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["created_at", "data", "id", "type", "workshop_id"]);
        assert_eq!(body["id"], request.event_id());
        assert_eq!(body["workshop_id"], shop.id);
        assert_eq!(request.header("content-type"), "application/json");
        assert!(request.verifies_with(&endpoint.secret, &request.body));
        let mut tampered = request.body.clone();
        tampered.extend_from_slice(b" ");
        assert!(!request.verifies_with(&endpoint.secret, &tampered));
        assert!(!request.verifies_with("whsec_wrong", &request.body));
    }
    assert_eq!(delivered, expected);
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_during_the_overlap() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16102", &["*"], fast).await;
    let rotate_path = format!("{}/rotate-secret", endpoint.path);
    let rotate = |overlap: i64| {
        app.request(reqwest::Method::POST, &rotate_path, Some(&shop.manager))
            .json(&json!({"overlap_secs": overlap}))
            .send()
    };
    let res = rotate(3600).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let first = json_of(res).await;
    let new_secret = first["secret"].as_str().unwrap().to_owned();
    assert!(first["previous_secret_expires_at"].is_string());
    send_test(&app, &shop, &endpoint).await;
    let got = receiver.wait_accepted(1, Duration::from_secs(10)).await;
    assert_eq!(
        got[0].header("gongfang-signature").matches("v1=").count(),
        2
    );
    assert!(got[0].verifies_with(&new_secret, &got[0].body));
    assert!(got[0].verifies_with(&endpoint.secret, &got[0].body));
    assert_eq!(got[0].json()["type"], "webhook.test");

    let second = json_of(rotate(0).await.unwrap()).await;
    let newest = second["secret"].as_str().unwrap().to_owned();
    assert!(second["previous_secret_expires_at"].is_null());
    send_test(&app, &shop, &endpoint).await;
    let got = receiver.wait_accepted(2, Duration::from_secs(10)).await;
    assert_eq!(
        got[1].header("gongfang-signature").matches("v1=").count(),
        1
    );
    assert!(got[1].verifies_with(&newest, &got[1].body));
    assert!(!got[1].verifies_with(&new_secret, &got[1].body));
    let res = rotate(10_000_000).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_delivery_is_redelivered_by_hand_with_the_same_event_id() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16103", &["*"], fast).await;
    let id = send_test(&app, &shop, &endpoint).await;
    wait_status(&app, &shop, &endpoint, id, "delivered").await;
    receiver.script([Reply::status(200).after(Duration::from_millis(400))]);
    let path = format!("{}/deliveries/{id}/redeliver", endpoint.path);
    let res = app.post(&path, Some(&shop.manager), &json!({})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(json_of(res).await["status"], "pending");
    let res = app.post(&path, Some(&shop.manager), &json!({})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let done = wait_status(&app, &shop, &endpoint, id, "delivered").await;
    assert_eq!(done["attempts"], 2);
    let got = receiver.accepted();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].event_id(), got[1].event_id());
    let list = app
        .get(
            &format!("{}/deliveries?status=delivered", endpoint.path),
            Some(&shop.manager),
        )
        .await;
    let list = json_of(list).await;
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!(list["items"][0]["last_status_code"], 200);
    assert!(list["items"][0]["last_latency_ms"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_are_read_up_to_a_limit() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.webhooks.max_response_bytes = 1000;
    })
    .await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16104").await;
    let receiver = Receiver::start().await;
    receiver.script([
        Reply::redirect(&format!("{}/elsewhere", receiver.base)),
        Reply::status(200).body("好".repeat(100_000)),
    ]);
    let endpoint = register(&app, &shop, &receiver.hook_url(), &["*"]).await;
    let id = send_test(&app, &shop, &endpoint).await;
    let done = wait_status(&app, &shop, &endpoint, id, "delivered").await;
    let log = done["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1]["status_code"], 307);
    assert_eq!(log[1]["error"], "HTTP 307");
    let excerpt = log[0]["response_excerpt"].as_str().unwrap();
    assert!(
        excerpt.starts_with("好") && excerpt.chars().count() <= 340,
        "{excerpt}"
    );
    assert!(receiver.received().iter().all(|r| r.path == "/hook"));
}

#[tokio::test]
async fn metrics_show_queue_depth_and_attempts_per_endpoint() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16105", &["*"], fast).await;
    receiver.script([Reply::status(500)]);
    let id = send_test(&app, &shop, &endpoint).await;
    wait_status(&app, &shop, &endpoint, id, "delivered").await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    let series = |name: &str| text.lines().any(|l| l.starts_with(name));
    let e = endpoint.id;
    assert!(
        series(&format!(
            "gongfang_webhook_attempts_total{{endpoint=\"{e}\",outcome=\"success\"}} 1"
        )),
        "{text}"
    );
    assert!(series(&format!(
        "gongfang_webhook_attempts_total{{endpoint=\"{e}\",outcome=\"failure\"}} 1"
    )));
    assert!(series(&format!(
        "gongfang_webhook_attempt_duration_seconds_count{{endpoint=\"{e}\"}} 2"
    )));
    assert!(series("gongfang_outbox_undelivered_events"));
    assert!(series("gongfang_webhook_dead_lettered_total 0"));
    assert!(series("gongfang_http_requests_total"));
}
