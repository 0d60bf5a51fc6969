//! Several instances on one database: the work is shared without duplicates,
//! and an instance dying mid-delivery loses nothing (its lease expires).

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use super::{Fixture, Receiver, Reply, emit, fast, fixture, register};
use crate::helpers::{spawn_app_with, spawn_peer};

#[tokio::test]
async fn two_instances_deliver_each_event_exactly_once_to_a_healthy_receiver() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.webhooks.batch_size = 8;
    })
    .await;
    let peer = spawn_peer(&app).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16301").await;
    let receiver = Receiver::start().await;
    register(&app, &shop, &receiver.hook_url(), &["order.*"]).await;
    let events = join_all((0..300).map(|n| {
        let (app, shop_id) = (&app, shop.id);
        async move {
            let key = format!("order:{}", n % 30);
            emit(app, shop_id, "order.updated", &key, json!({"n": n})).await
        }
    }))
    .await;
    let accepted = receiver.wait_accepted(300, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received();
    assert_eq!(accepted.len(), 300);
    assert_eq!(
        received.len(),
        300,
        "a healthy receiver gets each event once"
    );
    let mut seen: Vec<i64> = received.iter().map(|r| r.event_id()).collect();
    seen.sort_unstable();
    let mut sent = events.clone();
    sent.sort_unstable();
    assert_eq!(seen, sent);
    // Per resource, ids arrive in increasing order.
    let mut last: HashMap<String, i64> = HashMap::new();
    for r in &received {
        let key = format!("order:{}", r.json()["data"]["n"].as_i64().unwrap() % 30);
        let previous = last.insert(key, r.event_id()).unwrap_or(0);
        assert!(r.event_id() > previous, "out of order");
    }
    drop(peer);
}

#[tokio::test]
async fn an_instance_killed_mid_delivery_loses_nothing() {
    let Fixture {
        app,
        shop,
        receiver,
        ..
    } = fixture("16302", &["order.*"], fast).await;
    // The first request hangs: the instance dies while it holds the lease.
    receiver.script([Reply::status(500).after(Duration::from_secs(10))]);
    let paid = emit(
        &app,
        shop.id,
        "order.paid",
        "order:5",
        json!({"order_id": 5}),
    )
    .await;
    let shipped = emit(
        &app,
        shop.id,
        "order.shipped",
        "order:5",
        json!({"order_id": 5}),
    )
    .await;
    let first = receiver.wait_received(1, Duration::from_secs(10)).await;
    assert_eq!(first[0].event_id(), paid);
    app.abort_background();

    let peer = spawn_peer(&app).await;
    let accepted = receiver.wait_accepted(2, Duration::from_secs(15)).await;
    let ids: Vec<i64> = accepted.iter().map(|r| r.event_id()).collect();
    assert_eq!(
        ids,
        [paid, shipped],
        "redelivered after the lease, in order"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 3, "one lost attempt, then each event once");
    drop(peer);
}
