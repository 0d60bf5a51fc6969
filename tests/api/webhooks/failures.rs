//! Failing receivers: retries until delivered with every attempt logged,
//! dead letters past the maximum age, endpoints disabled after continuous failures.

use std::time::Duration;

use serde_json::json;

use super::{
    Fixture, Receiver, Reply, emit, fast, fixture, register, send_test, wait_endpoint, wait_status,
};
use crate::helpers::{json_of, spawn_app_with};

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_once_more_and_it_is_marked_delivered() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16201", &["*"], fast).await;
    receiver.script([500, 500, 500].map(Reply::status));
    let id = send_test(&app, &shop, &endpoint).await;
    let done = wait_status(&app, &shop, &endpoint, id, "delivered").await;
    assert_eq!(done["attempts"], 4);
    assert_eq!(done["last_status_code"], 200);
    assert!(done["delivered_at"].is_string());
    assert!(done["next_attempt_at"].is_null());
    let codes: Vec<i64> = done["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [200, 500, 500, 500]);
    assert_eq!(done["event"]["type"], "webhook.test");
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    assert!(received.iter().all(|r| r.event_id() == done["event_id"]));
    assert_eq!(receiver.accepted().len(), 1);
    let endpoint_now = json_of(app.get(&endpoint.path, Some(&shop.manager)).await).await;
    assert_eq!(endpoint_now["consecutive_failures"], 0);
}

#[tokio::test]
async fn a_delivery_past_its_maximum_age_is_dead_and_can_be_redelivered_by_hand() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16202", &["order.*"], |s| {
        fast(s);
        s.webhooks.max_age_secs = 1;
        s.webhooks.backoff_base_ms = 300;
    })
    .await;
    receiver.fallback(Reply::status(502));
    let first = emit(
        &app,
        shop.id,
        "order.paid",
        "order:7",
        json!({"order_id": 7}),
    )
    .await;
    let second = emit(
        &app,
        shop.id,
        "order.shipped",
        "order:7",
        json!({"order_id": 7}),
    )
    .await;
    let list = format!("{}/deliveries", endpoint.path);
    let mut ids = Vec::new();
    for _ in 0..200 {
        let page = json_of(app.get(&list, Some(&shop.manager)).await).await;
        ids = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        if ids.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (later, earlier) = (ids[0], ids[1]);
    let dead = wait_status(&app, &shop, &endpoint, earlier, "dead").await;
    assert_eq!(dead["event_id"], first);
    assert_eq!(dead["last_error"], "HTTP 502");
    wait_status(&app, &shop, &endpoint, later, "dead").await;
    // The later event was never sent before the earlier one was dead.
    let received = receiver.received();
    let first_of_second = received.iter().position(|r| r.event_id() == second);
    let last_of_first = received.iter().rposition(|r| r.event_id() == first);
    assert!(first_of_second.is_none_or(|s| s > last_of_first.unwrap()));

    receiver.fallback(Reply::status(204));
    let res = app
        .post(
            &format!("{list}/{earlier}/redeliver"),
            Some(&shop.manager),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let done = wait_status(&app, &shop, &endpoint, earlier, "delivered").await;
    assert_eq!(done["last_status_code"], 204);
}

#[tokio::test]
async fn an_endpoint_failing_continuously_is_disabled_and_the_workshop_is_told() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.webhooks.disable_after_failures = 3;
    })
    .await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16203").await;
    let broken = Receiver::start().await;
    broken.fallback(Reply::status(500));
    let watcher = Receiver::start().await;
    let failing = register(&app, &shop, &broken.hook_url(), &["order.*"]).await;
    register(&app, &shop, &watcher.hook_url(), &["webhook.*"]).await;
    emit(
        &app,
        shop.id,
        "order.paid",
        "order:9",
        json!({"order_id": 9}),
    )
    .await;
    let disabled = wait_endpoint(&app, &shop, &failing, |e| e["enabled"] == false).await;
    let reason = disabled["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("3 consecutive failed attempts") && reason.contains("HTTP 500"));
    assert!(disabled["disabled_at"].is_string());
    let told = watcher.wait_accepted(1, Duration::from_secs(10)).await;
    let event = told[0].json();
    assert_eq!(event["type"], "webhook.endpoint_disabled");
    assert_eq!(event["data"]["endpoint_id"], failing.id);
    let events = app
        .get(
            &format!(
                "/api/v1/workshops/{}/events?type=webhook.endpoint_disabled",
                shop.id
            ),
            Some(&shop.manager),
        )
        .await;
    let events = json_of(events).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        events["items"][0]["resource_key"],
        format!("webhook_endpoint:{}", failing.id)
    );
    // Disabled: no further attempts are made.
    let attempts = broken.received().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(broken.received().len(), attempts);
    assert_eq!(attempts, 3);
}
