//! The live room over SSE: events in order with growing ids, across instances,
//! `Last-Event-ID` resumption without gaps or duplicates, viewer figures,
//! heartbeats, closing after the end, and slow clients dropped.

use std::time::Duration;

use gongfang::live::{EventKind, publish};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app_with, spawn_peer};
use crate::live_support::{
    Sse, act, go_live, pin, quick_room, schedule, send, session_path, sku, wait_for_viewers,
};

#[tokio::test]
async fn viewers_see_the_room_change_in_order() {
    let app = spawn_app_with(quick_room).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17201").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let id = schedule(&app, &shop).await;
    let mut sse = Sse::open(&app, id, None, "").await;
    go_live(&app, &shop, id).await;
    let item = pin(&app, &shop, id, json!({"sku_id": berry})).await;
    let item_id = crate::helpers::json_of(item).await["id"]
        .as_i64()
        .expect("id");
    let path = format!("{}/items/{item_id}", session_path(&shop, id));
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &shop.streamer,
        &json!({"live_price_fen": 3990}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let explaining = format!("{}/explaining", session_path(&shop, id));
    send(
        &app,
        Method::PUT,
        &explaining,
        &shop.streamer,
        &json!({"item_id": item_id}),
    )
    .await;
    app.delete(&path, Some(&shop.streamer)).await;
    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);

    let mut kinds = Vec::new();
    let mut ids = Vec::new();
    let mut last_id = 0;
    while kinds.len() < 7 {
        let event = sse.next_logged().await;
        let event_id = event.id.expect("logged events have ids");
        assert!(event_id > last_id, "ids grow");
        last_id = event_id;
        ids.push(event_id);
        if event.event == "price_changed" {
            assert_eq!(event.data["previous_price_fen"], 5000);
            assert_eq!(event.data["price_fen"], 3990);
        }
        kinds.push(event.event);
    }
    let expected = [
        "session_started",
        "item_pinned",
        "price_changed",
        "explaining",
        "item_unpinned",
        "explaining",
        "session_ended",
    ];
    assert_eq!(kinds, expected);
    // The stream closes shortly after the end; a client with nothing missed then gets 204.
    assert!(sse.logged_within(Duration::from_secs(5)).await.is_empty());
    assert!(sse.ended, "the server closed the stream");
    let res = Sse::request(&app, id, Some(last_id), "").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // One that missed the end still gets it, then the stream closes.
    let mut late = Sse::open(&app, id, Some(ids[0]), "").await;
    let missed = late.logged_within(Duration::from_secs(5)).await;
    assert_eq!(
        missed.iter().map(|e| e.id.expect("id")).collect::<Vec<_>>(),
        ids[1..]
    );
    assert!(late.ended);
}

#[tokio::test]
async fn an_event_published_on_one_instance_reaches_a_viewer_on_another() {
    let app = spawn_app_with(quick_room).await;
    let peer = spawn_peer(&app).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17202").await;
    let id = schedule(&app, &shop).await;
    // Without Redis, instances share no bus: the same-instance path is what can be checked.
    let shared = std::env::var("TEST_REDIS_URL").is_ok();
    let viewer_side = if shared { &peer } else { &app };
    let mut sse = Sse::open(viewer_side, id, None, "").await;
    go_live(&app, &shop, id).await;
    let deal = json!({"deal_id": 7, "remaining": 42});
    let published = publish(&app.state, id, EventKind::DealStock, &deal)
        .await
        .expect("published");
    let started = sse.next_logged().await;
    assert_eq!(started.event, "session_started");
    let stock = sse.next_logged().await;
    assert_eq!(
        (stock.event.as_str(), stock.id),
        ("deal_stock", Some(published))
    );
    assert_eq!(stock.data, deal);
}

#[tokio::test]
async fn a_reconnecting_viewer_gets_what_it_missed_once_and_in_order() {
    let app = spawn_app_with(quick_room).await;
    let peer = spawn_peer(&app).await;
    let shared = std::env::var("TEST_REDIS_URL").is_ok();
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17203").await;
    let id = schedule(&app, &shop).await;
    go_live(&app, &shop, id).await;
    let mut first = Sse::open(&app, id, None, "").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            publish(&app.state, id, EventKind::Purchase, &json!({"n": n}))
                .await
                .expect("id"),
        );
    }
    let mut last = 0;
    for _ in 0..2 {
        last = first.next_logged().await.id.expect("id");
    }
    assert_eq!(last, ids[1]);
    drop(first);
    for n in 3..6 {
        ids.push(
            publish(&app.state, id, EventKind::Purchase, &json!({"n": n}))
                .await
                .expect("id"),
        );
    }
    // Resume on the other instance when they share Redis, else on the same one.
    let resume_on = if shared { &peer } else { &app };
    let mut again = Sse::open(resume_on, id, Some(last), "").await;
    let mut got = Vec::new();
    for _ in 0..4 {
        let event = again.next_logged().await;
        got.push((event.id.expect("id"), event.data["n"].as_i64().expect("n")));
    }
    assert_eq!(
        got.iter().map(|g| g.1).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        ids[2..].to_vec()
    );
    // Live events follow the replay, with nothing repeated.
    let next = publish(&app.state, id, EventKind::Purchase, &json!({"n": 6}))
        .await
        .expect("id");
    let event = again.next_logged().await;
    assert_eq!((event.id, event.data["n"].clone()), (Some(next), json!(6)));
    assert!(
        again
            .logged_within(Duration::from_millis(500))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn viewer_figures_follow_streams_opening_and_closing() {
    let app = spawn_app_with(quick_room).await;
    let peer = spawn_peer(&app).await;
    let shared = std::env::var("TEST_REDIS_URL").is_ok();
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17204").await;
    let customer = app.customer("13700500002").await;
    let id = schedule(&app, &shop).await;
    go_live(&app, &shop, id).await;
    let other_side = if shared { &peer } else { &app };
    let a = Sse::open(&app, id, None, "device_id=phone-a").await;
    let b = Sse::open(other_side, id, None, "device_id=phone-a").await;
    let c = Sse::open(&app, id, None, "device_id=phone-b").await;
    let url = app.url(&format!("/api/v1/live/sessions/{id}/events"));
    let d = reqwest::Client::new()
        .get(url)
        .bearer_auth(&customer)
        .send()
        .await
        .expect("stream");
    assert_eq!(d.status(), StatusCode::OK);
    let viewers = wait_for_viewers(&app, id, |v| v["current"] == 4).await;
    assert_eq!(viewers["unique"], 3, "two devices and one account");
    assert_eq!(
        (viewers["signed_in"].clone(), viewers["anonymous"].clone()),
        (json!(1), json!(2))
    );
    drop((a, b, d));
    let viewers = wait_for_viewers(&app, id, |v| v["current"] == 1).await;
    assert_eq!(viewers["peak"], 4);
    drop(c);
    wait_for_viewers(&app, id, |v| v["current"] == 0).await;
    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);
    let ended = crate::live_support::session(&app, id).await;
    assert_eq!(
        (
            ended["peak_viewers"].clone(),
            ended["unique_viewers"].clone()
        ),
        (json!(4), json!(3))
    );

    let res = Sse::request(&app, id, None, "device_id=bad%20id").await;
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let res = Sse::request(&app, 999_999, None, "").await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn idle_streams_get_heartbeats_and_viewer_counts() {
    let app = spawn_app_with(quick_room).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17205").await;
    let id = schedule(&app, &shop).await;
    let mut sse = Sse::open(&app, id, None, "").await;
    let mut viewers = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while (viewers.is_none() || sse.comments == 0) && tokio::time::Instant::now() < deadline {
        if let Some(event) = sse.next(Duration::from_millis(500)).await {
            assert_eq!(event.event, "viewers");
            assert!(event.id.is_none(), "viewer counts are not replayed");
            viewers = Some(event.data);
        }
    }
    assert_eq!(viewers.expect("a viewers event")["current"], 1);
    assert!(sse.comments > 0, "a heartbeat comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_without_holding_up_others() {
    let app = spawn_app_with(|s| {
        quick_room(s);
        s.live.client_buffer = 32;
    })
    .await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17206").await;
    let id = schedule(&app, &shop).await;
    let mut slow = Sse::open(&app, id, None, "").await;
    let mut fast = Sse::open(&app, id, None, "").await;
    let blob = "草".repeat(20_000);
    let total = 300;
    let reader = tokio::spawn(async move {
        let mut n = 0;
        while n < total {
            let event = fast.next_logged().await;
            assert_eq!(event.data["n"], n, "in order, none lost");
            n += 1;
        }
    });
    // 18 MB at 3 MB/s: easy for a reading client even if it stalls for a second,
    // far beyond socket buffers plus 32 frames for one that does not read.
    for n in 0..total {
        publish(
            &app.state,
            id,
            EventKind::Purchase,
            &json!({"n": n, "pad": blob}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reader.await.expect("the reading client got every event");
    let mut received = 0;
    while slow.next(Duration::from_secs(5)).await.is_some() {
        received += 1;
    }
    assert!(slow.ended, "the slow client was disconnected");
    assert!(
        received < total,
        "it got {received} of {total} before being dropped"
    );
}

#[tokio::test]
async fn the_room_keeps_working_on_one_instance_while_redis_is_unreachable() {
    let app = spawn_app_with(|s| {
        quick_room(s);
        s.cache.url = "redis://127.0.0.1:1".into();
    })
    .await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17207").await;
    let id = schedule(&app, &shop).await;
    let mut sse = Sse::open(&app, id, None, "device_id=phone-z").await;
    go_live(&app, &shop, id).await;
    let first = sse.next_logged().await;
    assert_eq!(first.event, "session_started");
    let second = publish(&app.state, id, EventKind::Purchase, &json!({"n": 1})).await;
    drop(sse);
    let mut again = Sse::open(&app, id, first.id, "device_id=phone-z").await;
    let resumed = again.next_logged().await;
    assert_eq!((resumed.event.as_str(), resumed.id), ("purchase", second));
    let viewers = wait_for_viewers(&app, id, |v| v["current"] == 1).await;
    assert_eq!(viewers["unique"], 1);
}
