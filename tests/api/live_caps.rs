//! Event-stream caps and honest viewer figures: one address or account cannot
//! hold more streams than its cap (429 with `Retry-After`, on every instance
//! together when they share Redis), others are served as before, and unique
//! viewers count accounts, and at most a few devices per address.

use std::time::Duration;

use futures_util::future::join_all;
use gongfang::config::Settings;
use gongfang::platform::holds::{Cap, HoldCaps};
use reqwest::{Response, StatusCode};

use crate::helpers::{TestApp, assert_retry_later, spawn_app_with, spawn_peer};
use crate::live_support::{act, go_live, quick_room, schedule, session, wait_for_viewers};

fn capped(per_address: u64, per_account: u64) -> impl FnOnce(&mut Settings) {
    move |s| {
        quick_room(s);
        s.live.streams_per_address = per_address;
        s.live.streams_per_account = per_account;
        s.live.devices_per_address = 4;
        // Tests stand for many addresses through the proxy header.
        s.server.trust_forwarded_for = true;
    }
}

async fn open(
    app: &TestApp,
    session_id: i64,
    address: &str,
    token: Option<&str>,
    query: &str,
) -> Response {
    let url = app.url(&format!(
        "/api/v1/live/sessions/{session_id}/events?{query}"
    ));
    let mut req = reqwest::Client::new()
        .get(url)
        .header("X-Forwarded-For", address);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("event stream")
}

async fn assert_too_many(res: reqwest::Response) {
    assert_retry_later(res, "too_many_streams").await;
}

async fn live_session(app: &TestApp, prefix: &str) -> i64 {
    let admin = app.admin().await;
    let shop = app.workshop(&admin, prefix).await;
    let id = schedule(app, &shop).await;
    go_live(app, &shop, id).await;
    id
}

#[tokio::test]
async fn an_address_holds_at_most_its_cap_of_streams_and_others_are_served() {
    let app = spawn_app_with(capped(5, 0)).await;
    let id = live_session(&app, "17401").await;
    let mut held = Vec::new();
    for n in 0..5 {
        let res = open(&app, id, "203.0.113.7", None, &format!("device_id=d{n}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        held.push(res);
    }
    assert_too_many(open(&app, id, "203.0.113.7", None, "device_id=d9").await).await;
    let neighbour = open(&app, id, "203.0.113.8", None, "device_id=n1").await;
    assert_eq!(
        neighbour.status(),
        StatusCode::OK,
        "another address is served"
    );
    // A closed stream gives its place back.
    drop(held.pop());
    let mut reopened = None;
    for _ in 0..100 {
        let res = open(&app, id, "203.0.113.7", None, "device_id=d9").await;
        if res.status() == StatusCode::OK {
            reopened = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "the freed place was never given back");
    wait_for_viewers(&app, id, |v| v["current"] == 6).await;
}

#[tokio::test]
async fn a_signed_in_account_holds_at_most_three_streams_of_a_session() {
    let app = spawn_app_with(capped(0, 3)).await;
    let id = live_session(&app, "17402").await;
    let viewer = app.customer("13700740001").await;
    let mut held = Vec::new();
    for n in 0..3 {
        // From three addresses: the cap follows the account, wherever it is.
        let res = open(&app, id, &format!("198.51.100.{n}"), Some(&viewer), "").await;
        assert_eq!(res.status(), StatusCode::OK);
        held.push(res);
    }
    assert_too_many(open(&app, id, "198.51.100.9", Some(&viewer), "").await).await;
    let other = app.customer("13700740002").await;
    let res = open(&app, id, "198.51.100.0", Some(&other), "").await;
    assert_eq!(res.status(), StatusCode::OK, "another account is served");
    let other_session = live_session(&app, "17403").await;
    let res = open(&app, other_session, "198.51.100.0", Some(&viewer), "").await;
    assert_eq!(res.status(), StatusCode::OK, "the cap is per session");
}

#[tokio::test]
async fn the_address_cap_holds_across_two_instances_sharing_redis() {
    let app = spawn_app_with(capped(4, 0)).await;
    let peer = spawn_peer(&app).await;
    let shared = std::env::var("TEST_REDIS_URL").is_ok();
    let id = live_session(&app, "17404").await;
    let flood = join_all((0..12).map(|n| {
        let instance = if n % 2 == 0 { &app } else { &peer };
        open(instance, id, "192.0.2.50", None, "")
    }))
    .await;
    let accepted = flood
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    let refused = flood
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // Shared through Redis the cap holds for both together; without Redis
    // (the embedded setup) each instance holds it on its own.
    let expected = if shared { 4 } else { 8 };
    assert_eq!((accepted, refused), (expected, 12 - expected));
}

#[tokio::test]
async fn a_crashed_instances_stream_leases_lapse_on_their_own() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        return; // leases live in Redis; the in-process caps die with their process
    };
    let mut settings = gongfang::config::Settings::load_profile("test").expect("settings");
    settings.cache.url = url;
    settings.cache.key_prefix = format!("gftest:{}:", uuid::Uuid::new_v4().simple());
    let redis =
        gongfang::platform::redis_backend::RedisBackend::new(&settings.cache).expect("redis");
    let cap = [Cap {
        key: "streams:ip:crash".into(),
        max: 1,
    }];
    let crashed = HoldCaps::new(Some(redis.clone()), Duration::from_secs(3));
    // A crash: the hold is neither released nor renewed.
    std::mem::forget(crashed.acquire(&cap).await.expect("first hold"));
    let survivor = HoldCaps::new(Some(redis), Duration::from_secs(3));
    assert!(
        survivor.acquire(&cap).await.is_err(),
        "the crashed hold still counts"
    );
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(survivor.acquire(&cap).await.is_ok(), "the lease lapsed");
}

#[tokio::test]
async fn unique_viewers_count_accounts_and_at_most_four_devices_per_address() {
    let app = spawn_app_with(capped(0, 0)).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17405").await;
    let id = schedule(&app, &shop).await;
    go_live(&app, &shop, id).await;
    let accounts = [
        app.customer("13700740011").await,
        app.customer("13700740012").await,
    ];
    let mut held = Vec::new();
    // A loop of made-up device ids from one address counts four times.
    for n in 0..50 {
        held.push(
            open(
                &app,
                id,
                "203.0.113.99",
                None,
                &format!("device_id=fake{n}"),
            )
            .await,
        );
    }
    // Two households of two devices each, one of them twice.
    for (address, device) in [
        ("10.0.0.1", "a"),
        ("10.0.0.1", "b"),
        ("10.0.0.2", "a"),
        ("10.0.0.2", "b"),
        ("10.0.0.2", "a"),
    ] {
        held.push(open(&app, id, address, None, &format!("device_id={device}")).await);
    }
    for token in &accounts {
        held.push(open(&app, id, "203.0.113.99", Some(token), "").await);
    }
    assert!(held.iter().all(|r| r.status() == StatusCode::OK));
    let viewers = wait_for_viewers(&app, id, |v| v["current"] == 57).await;
    assert_eq!(viewers["signed_in"], 2);
    assert_eq!(
        viewers["anonymous"], 8,
        "4 from the loop, 2 + 2 from the households"
    );
    assert_eq!(viewers["unique"], 10);
    drop(held);
    wait_for_viewers(&app, id, |v| v["current"] == 0).await;
    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);
    let ended = session(&app, id).await;
    assert_eq!(
        (
            ended["signed_in_viewers"].clone(),
            ended["anonymous_viewers"].clone(),
            ended["unique_viewers"].clone()
        ),
        (2.into(), 8.into(), 10.into())
    );
    let analytics = app
        .get(
            &format!("/api/v1/workshops/{}/live/sessions/{id}/analytics", shop.id),
            Some(&shop.manager),
        )
        .await;
    let analytics = crate::helpers::json_of(analytics).await;
    assert_eq!(
        (
            analytics["signed_in_viewers"].clone(),
            analytics["anonymous_viewers"].clone()
        ),
        (2.into(), 8.into())
    );
}
