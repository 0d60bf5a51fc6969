//! Resource limits: per-customer and per-address rate limits on buying (429
//! problem+json with Retry-After, shared by instances through Redis), and slow
//! or idle connections closed by the server.

use std::time::Duration;

use gongfang::config::{Limit, Settings};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::deals::{create_deal, grab};
use crate::fixtures::SkuSpec;
use crate::groupbuys::support;
use crate::helpers::{TestApp, assert_retry_later, spawn_app_with, spawn_peer};
use crate::orders::buy;

fn orders_limit(per_customer: u64, per_ip: u64) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.rate_limits.orders = Limit {
            per_customer,
            per_ip,
        }
    }
}

async fn assert_rate_limited(res: reqwest::Response) {
    assert_retry_later(res, "rate_limited").await;
}

async fn shop_with_sku(app: &TestApp, prefix: &str) -> i64 {
    let admin = app.admin().await;
    let shop = app.workshop(&admin, prefix).await;
    app.sku(shop.id, SkuSpec::default()).await
}

#[tokio::test]
async fn a_customer_over_the_order_limit_gets_429_and_others_still_buy() {
    let app = spawn_app_with(orders_limit(3, 0)).await;
    let sku = shop_with_sku(&app, "19001").await;
    let (scalper, scalper_address) = app.shopper("13900190001").await;
    let (neighbour, neighbour_address) = app.shopper("13900190002").await;
    for _ in 0..3 {
        let res = buy(&app, &scalper, scalper_address, sku, 1).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_rate_limited(buy(&app, &scalper, scalper_address, sku, 1).await).await;
    let res = buy(&app, &neighbour, neighbour_address, sku, 1).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        app.stock(sku).await.reserved,
        4,
        "the refused order holds nothing"
    );
}

#[tokio::test]
async fn one_address_over_its_limit_is_refused_whoever_buys() {
    let app = spawn_app_with(orders_limit(0, 4)).await;
    let sku = shop_with_sku(&app, "19002").await;
    let buyers = [
        app.shopper("13900190011").await,
        app.shopper("13900190012").await,
    ];
    for n in 0..4 {
        let (token, address) = &buyers[n % 2];
        let res = buy(&app, token, *address, sku, 1).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    for (token, address) in &buyers {
        assert_rate_limited(buy(&app, token, *address, sku, 1).await).await;
    }
}

#[tokio::test]
async fn cart_checkout_counts_against_the_order_limit() {
    let app = spawn_app_with(orders_limit(1, 0)).await;
    let sku = shop_with_sku(&app, "19003").await;
    let (token, address) = app.shopper("13900190021").await;
    let res = buy(&app, &token, address, sku, 1).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post(
            "/api/v1/cart/checkout",
            Some(&token),
            &json!({"address_id": address}),
        )
        .await;
    assert_rate_limited(res).await;
}

#[tokio::test]
async fn joining_a_group_buy_counts_against_the_order_limit() {
    let app = spawn_app_with(orders_limit(1, 0)).await;
    let scene = support::scene(&app, "19004", 50).await;
    let (campaign, item) =
        support::open_campaign(&app, &scene, &support::campaign_body(&scene, 40, 1)).await;
    let (token, address) = app.shopper("13900190031").await;
    let res = buy(&app, &token, address, scene.sku, 1).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = support::join(&app, &token, campaign, item, 1, scene.points[0]).await;
    assert_rate_limited(res).await;
    let mine = crate::helpers::json_of(app.get("/api/v1/orders", Some(&token)).await).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        1,
        "the refused join wrote nothing: {mine}"
    );
}

#[tokio::test]
async fn flash_deal_purchases_have_their_own_limit() {
    let app = spawn_app_with(|s| {
        s.rate_limits.deals = Limit {
            per_customer: 2,
            per_ip: 0,
        }
    })
    .await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "19004").await;
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let body =
        json!({"price_fen": 990, "quantity": 10, "per_buyer_limit": 1, "duration_secs": 600});
    let (_, deal) = create_deal(&app, &shop, sku, body).await;
    let deal = deal["id"].as_i64().unwrap();
    let (token, address) = app.shopper("13900190031").await;
    assert_eq!(
        grab(&app, &token, address, deal).await.status(),
        StatusCode::CREATED
    );
    let second = grab(&app, &token, address, deal).await;
    assert_eq!(
        second.status(),
        StatusCode::CONFLICT,
        "per-buyer limit, not the rate limit"
    );
    assert_rate_limited(grab(&app, &token, address, deal).await).await;
}

#[tokio::test]
async fn two_instances_share_the_order_limit_through_redis() {
    // Each instance counts in memory and learns the others' counts within a
    // quarter second, so the limit holds across them after that.
    let app = spawn_app_with(orders_limit(4, 0)).await;
    let peer = spawn_peer(&app).await;
    let sku = shop_with_sku(&app, "19005").await;
    let (token, address) = app.shopper("13900190041").await;
    for instance in [&app, &peer, &app, &peer] {
        let res = buy(instance, &token, address, sku, 1).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    // Counts are exchanged every SYNC_EVERY: the stated tolerance.
    tokio::time::sleep(gongfang::platform::rate_limit::SYNC_EVERY * 3).await;
    let fifth = buy(&peer, &token, address, sku, 1).await;
    if app.state.cache.is_shared() {
        assert_rate_limited(fifth).await;
    } else {
        // Without Redis each instance counts alone: two so far on the peer.
        assert_eq!(fifth.status(), StatusCode::CREATED);
    }
}

/// Reads until the server closes the connection; what it sent before closing.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = stream.read_to_end(&mut received);
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server closed the connection")
        .ok();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_cut_off_with_408() {
    // Long enough that a loaded test machine still gets the second, well-formed
    // request's head in before it (300 ms was not, under a full parallel run).
    let app = spawn_app_with(|s| s.server.client_request_timeout_ms = 1500).await;
    let mut slow = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: a")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "answer: {answer:?}");
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = spawn_app_with(|s| s.server.keep_alive_secs = 1).await;
    let mut idle = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "answer: {answer:?}");
}
