//! Flash deals under real concurrency: no oversell with thousands of buyers
//! (on one instance and on two), per-buyer limits, lifecycle answers, units
//! of expired orders sold again, live prices and session analytics.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, Workshop, assert_problem, json_of, spawn_app_with, spawn_peer};
use crate::live_support::{go_live, pin, schedule};
use crate::orders::pay;

pub async fn create_deal(app: &TestApp, shop: &Workshop, sku: i64, body: Value) -> (i64, Value) {
    let session = schedule(app, shop).await;
    go_live(app, shop, session).await;
    let mut body = body;
    body["sku_id"] = json!(sku);
    let path = format!(
        "/api/v1/workshops/{}/live/sessions/{session}/deals",
        shop.id
    );
    let res = app.post(&path, Some(&shop.streamer), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    (session, json_of(res).await)
}

pub async fn grab(app: &TestApp, token: &str, address: i64, deal: i64) -> reqwest::Response {
    app.post(
        &format!("/api/v1/live/deals/{deal}/orders"),
        Some(token),
        &json!({"address_id": address}),
    )
    .await
}

async fn tally(answers: Vec<reqwest::Response>) -> (usize, usize, Vec<Value>) {
    let (mut sold_out, mut orders) = (0, Vec::new());
    let total = answers.len();
    for res in answers {
        match res.status() {
            StatusCode::CREATED => orders.push(json_of(res).await),
            StatusCode::CONFLICT => {
                assert_eq!(json_of(res).await["code"], "sold_out");
                sold_out += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(orders.len() + sold_out, total);
    (orders.len(), sold_out, orders)
}

/// Registered with bounded concurrency: setup is not what is under test.
async fn shoppers(app: &TestApp, prefix: &str, n: usize) -> Vec<(String, i64)> {
    futures_util::stream::iter((0..n).map(|i| app.shopper_owned(format!("{prefix}{i:04}"))))
        .buffered(32)
        .collect()
        .await
}

/// A burst of thousands of requests on one small test pool may wait longer
/// than production's fail-fast 2 s for a connection.
fn burst(settings: &mut gongfang::config::Settings) {
    settings.database.acquire_timeout_ms = 30_000;
}

fn one_per_buyer(orders: &[Value]) {
    let mut buyers: Vec<i64> = orders
        .iter()
        .map(|o| o["customer_id"].as_i64().unwrap())
        .collect();
    buyers.sort_unstable();
    let before = buyers.len();
    buyers.dedup();
    assert_eq!(
        before,
        buyers.len(),
        "a buyer got more than the per-buyer limit"
    );
}

#[tokio::test]
async fn two_thousand_buyers_get_exactly_one_hundred_units() {
    let app = spawn_app_with(burst).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "18001").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 500,
                price_fen: 3990,
                ..Default::default()
            },
        )
        .await;
    let (_, deal) = create_deal(
        &app,
        &shop,
        sku,
        json!({"price_fen": 990, "quantity": 100, "duration_secs": 600}),
    )
    .await;
    let deal_id = deal["id"].as_i64().unwrap();
    let buyers = shoppers(&app, "1360000", 2000).await;
    let answers = join_all(buyers.iter().map(|(t, a)| grab(&app, t, *a, deal_id))).await;
    let (sold, sold_out, orders) = tally(answers).await;
    assert_eq!((sold, sold_out), (100, 1900));
    one_per_buyer(&orders);
    assert!(
        orders
            .iter()
            .all(|o| o["total_fen"] == 990 && o["channel"] == "deal" && o["deal_id"] == deal_id)
    );
    let stock = app.stock(sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved),
        (500, 100),
        "the deal's 100 units stay held by its orders"
    );
    let deal = json_of(
        app.get(&format!("/api/v1/live/deals/{deal_id}"), None)
            .await,
    )
    .await;
    assert_eq!(
        (deal["remaining"].as_i64(), deal["status"].as_str()),
        (Some(0), Some("sold_out"))
    );
}

#[tokio::test]
async fn two_instances_still_sell_exactly_one_hundred_units() {
    let app = spawn_app_with(burst).await;
    let peer = spawn_peer(&app).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "18002").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 100,
                ..Default::default()
            },
        )
        .await;
    let (_, deal) = create_deal(
        &app,
        &shop,
        sku,
        json!({"price_fen": 990, "quantity": 100, "duration_secs": 600}),
    )
    .await;
    let deal_id = deal["id"].as_i64().unwrap();
    let buyers = shoppers(&app, "1361000", 1000).await;
    let answers = join_all(buyers.iter().enumerate().map(|(i, (t, a))| {
        let instance = if i % 2 == 0 { &app } else { &peer };
        grab(instance, t, *a, deal_id)
    }))
    .await;
    let (sold, sold_out, orders) = tally(answers).await;
    assert_eq!((sold, sold_out), (100, 900));
    one_per_buyer(&orders);
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (100, 100));
}

#[tokio::test]
async fn a_deal_answers_not_started_limit_and_ended() {
    let app = spawn_app_with(burst).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "18003").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 50,
                price_fen: 3990,
                ..Default::default()
            },
        )
        .await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (_, upcoming) = create_deal(
        &app,
        &shop,
        sku,
        json!({"price_fen": 990, "quantity": 5, "duration_secs": 60, "starts_at": later}),
    )
    .await;
    let (token, address) = app.shopper("13620000001").await;
    let res = grab(&app, &token, address, upcoming["id"].as_i64().unwrap()).await;
    assert_problem(res, StatusCode::CONFLICT, "deal_not_started").await;

    let (_, deal) = create_deal(
        &app,
        &shop,
        sku,
        json!({"price_fen": 990, "quantity": 5, "duration_secs": 60, "per_buyer_limit": 2}),
    )
    .await;
    let id = deal["id"].as_i64().unwrap();
    for _ in 0..2 {
        assert_eq!(
            grab(&app, &token, address, id).await.status(),
            StatusCode::CREATED
        );
    }
    assert_problem(
        grab(&app, &token, address, id).await,
        StatusCode::CONFLICT,
        "limit_exceeded",
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/live/deals/{id}/end", shop.id),
            Some(&shop.streamer),
            &json!({}),
        )
        .await;
    assert_eq!(json_of(res).await["status"], "ended");
    let (other, other_address) = app.shopper("13620000002").await;
    assert_problem(
        grab(&app, &other, other_address, id).await,
        StatusCode::CONFLICT,
        "deal_ended",
    )
    .await;
    // 10 units held by the two deals: 2 sold to orders, 3 left in the ended deal went back.
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (50, 5 + 2));
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/live/deals/{id}/end", shop.id),
            Some(&shop.streamer),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "deal_ended").await;
}

#[tokio::test]
async fn units_of_expired_deal_orders_sell_again_and_everything_balances() {
    let app = spawn_app_with(burst).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "18004").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 20,
                ..Default::default()
            },
        )
        .await;
    let body =
        json!({"price_fen": 990, "quantity": 3, "duration_secs": 600, "payment_window_secs": 1});
    let (_, deal) = create_deal(&app, &shop, sku, body).await;
    let id = deal["id"].as_i64().unwrap();
    let buyers = join_all((0..6).map(|i| app.shopper_owned(format!("136300000{i:02}")))).await;
    let first = join_all(buyers[..3].iter().map(|(t, a)| grab(&app, t, *a, id))).await;
    assert!(first.iter().all(|r| r.status() == StatusCode::CREATED));
    assert_problem(
        grab(&app, &buyers[3].0, buyers[3].1, id).await,
        StatusCode::CONFLICT,
        "sold_out",
    )
    .await;
    let paid = json_of(first.into_iter().next().unwrap()).await;
    pay(&app, &buyers[0].0, paid["id"].as_i64().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Two unpaid orders expired: their units are back in the deal and sell again.
    let again = join_all(buyers[3..].iter().map(|(t, a)| grab(&app, t, *a, id))).await;
    let statuses: Vec<StatusCode> = again.iter().map(|r| r.status()).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        2,
        "{statuses:?}"
    );
    let deal = json_of(app.get(&format!("/api/v1/live/deals/{id}"), None).await).await;
    assert_eq!(deal["remaining"], 0);
    let stock = app.stock(sku).await;
    // 1 sold (paid), 2 held by the new unpaid orders, nothing lost or doubled.
    assert_eq!(
        (stock.on_hand, stock.reserved, stock.movements),
        (19, 2, 19)
    );
}

#[tokio::test]
async fn an_order_in_a_live_session_pays_the_live_price_and_credits_the_streamer() {
    let app = spawn_app_with(crate::live_support::quick_room).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "18005").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 10,
                price_fen: 3990,
                ..Default::default()
            },
        )
        .await;
    let session = schedule(&app, &shop).await;
    assert_eq!(
        pin(
            &app,
            &shop,
            session,
            json!({"sku_id": sku, "live_price_fen": 2990})
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    let (token, address) = app.shopper("13640000001").await;
    let body = json!({"lines": [{"sku_id": sku, "quantity": 2}], "address_id": address, "live_session_id": session});
    let before_live = app.post("/api/v1/orders", Some(&token), &body).await;
    assert_problem(before_live, StatusCode::CONFLICT, "session_not_live").await;
    go_live(&app, &shop, session).await;
    let order = json_of(app.post("/api/v1/orders", Some(&token), &body).await).await;
    assert_eq!(order["lines"][0]["unit_price_fen"], 2990);
    assert_eq!(order["channel"], "live");
    assert!(order["streamer_id"].is_i64());
    pay(&app, &token, order["id"].as_i64().unwrap()).await;
    let path = format!(
        "/api/v1/workshops/{}/live/sessions/{session}/analytics",
        shop.id
    );
    let stats = json_of(app.get(&path, Some(&shop.streamer)).await).await;
    assert_eq!(stats["totals"]["orders"], 1);
    assert_eq!(stats["totals"]["units"], 2);
    assert_eq!(stats["totals"]["gmv_fen"], order["total_fen"]);
    assert_eq!(stats["per_item"][0]["figures"]["gmv_fen"], 5980);
    let customer = app.get(&path, Some(&token)).await;
    assert_problem(customer, StatusCode::NOT_FOUND, "not_found").await;
    let workshop = json_of(
        app.get(
            &format!("/api/v1/workshops/{}/live/analytics", shop.id),
            Some(&shop.manager),
        )
        .await,
    )
    .await;
    assert_eq!(workshop["broadcasts"], 1);
    assert_eq!(workshop["totals"]["units"], 2);
}
