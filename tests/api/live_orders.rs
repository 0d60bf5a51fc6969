//! Orders placed in a live session: the pinned item's live price, attribution
//! to the session's streamer, the live cap under real concurrency, units given
//! back on cancellation, and no live terms once the session is not live.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, json_of, spawn_app};
use crate::live_support::{act, go_live, pin, schedule, session, sku};

async fn buy_live(
    app: &TestApp,
    token: &str,
    address: i64,
    session: i64,
    lines: Value,
) -> reqwest::Response {
    let body = json!({"lines": lines, "address_id": address, "live_session_id": session});
    app.post("/api/v1/orders", Some(token), &body).await
}

#[tokio::test]
async fn an_order_in_a_live_session_pays_the_live_price_and_credits_the_streamer() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17401").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let tea = sku(&app, shop.id, 3000, 2500, false).await;
    let id = schedule(&app, &shop).await;
    pin(
        &app,
        &shop,
        id,
        json!({"sku_id": berry, "live_price_fen": 3990}),
    )
    .await;
    let (token, address) = app.shopper("13700500011").await;
    let lines = json!([{"sku_id": berry, "quantity": 2}, {"sku_id": tea, "quantity": 1}]);
    let res = buy_live(&app, &token, address, id, lines.clone()).await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_live").await;

    go_live(&app, &shop, id).await;
    let res = buy_live(&app, &token, address, id, lines.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = json_of(res).await;
    let streamer = session(&app, id).await["streamer_account_id"].clone();
    assert_eq!(
        (
            order["live_session_id"].clone(),
            order["streamer_id"].clone()
        ),
        (json!(id), streamer)
    );
    assert_eq!(order["channel"], "live");
    let prices: Vec<_> = order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["sku_id"].as_i64().expect("sku"),
                l["unit_price_fen"].as_i64().expect("price"),
            )
        })
        .collect();
    assert!(
        prices.contains(&(berry, 3990)) && prices.contains(&(tea, 3000)),
        "{prices:?}"
    );

    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);
    let res = buy_live(&app, &token, address, id, lines).await;
    assert_problem(res, StatusCode::CONFLICT, "session_not_live").await;
    let res = buy_live(
        &app,
        &token,
        address,
        999_999,
        json!([{"sku_id": berry, "quantity": 1}]),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_cap_is_never_oversold_and_cancelled_orders_give_units_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17402").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let id = schedule(&app, &shop).await;
    pin(
        &app,
        &shop,
        id,
        json!({"sku_id": berry, "live_price_fen": 3990, "live_stock_cap": 5}),
    )
    .await;
    go_live(&app, &shop, id).await;
    let mut buyers = Vec::new();
    for n in 0..20 {
        buyers.push(app.shopper(&format!("137005001{n:02}")).await);
    }
    let answers = join_all(buyers.iter().map(|(token, address)| {
        buy_live(
            &app,
            token,
            *address,
            id,
            json!([{"sku_id": berry, "quantity": 1}]),
        )
    }))
    .await;
    let mut placed = Vec::new();
    for (answer, buyer) in answers.into_iter().zip(&buyers) {
        match answer.status() {
            StatusCode::CREATED => {
                placed.push((json_of(answer).await["id"].as_i64().expect("id"), buyer))
            }
            _ => {
                assert_problem(answer, StatusCode::CONFLICT, "out_of_stock").await;
            }
        }
    }
    assert_eq!(placed.len(), 5);
    assert_eq!(session(&app, id).await["items"][0]["sold_units"], 5);

    let (order, (token, _)) = placed[0];
    let res = app
        .post(
            &format!("/api/v1/orders/{order}/cancel"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(session(&app, id).await["items"][0]["sold_units"], 4);
    let (token, address) = &buyers[19];
    let res = buy_live(
        &app,
        token,
        *address,
        id,
        json!([{"sku_id": berry, "quantity": 1}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// An ordinary purchase of a pinned item (no deal) ticks the room: a viewer on
/// another instance gets a `purchase` event, the capped item's units left and
/// the session's running tally, which the session page shows too.
#[tokio::test]
async fn an_ordinary_live_room_purchase_ticks_the_room_on_every_instance() {
    let app = crate::helpers::spawn_app_with(crate::live_support::quick_room).await;
    let peer = crate::helpers::spawn_peer(&app).await;
    // Without Redis each instance has its own room: watch the one that sells.
    let watching = if std::env::var("TEST_REDIS_URL").is_ok() {
        &peer
    } else {
        &app
    };
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17405").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let id = schedule(&app, &shop).await;
    go_live(&app, &shop, id).await;
    let body = json!({"sku_id": berry, "live_price_fen": 3990, "live_stock_cap": 10});
    let item = json_of(pin(&app, &shop, id, body).await).await["id"].clone();
    let mut sse = crate::live_support::Sse::open(watching, id, None, "device_id=watcher").await;
    let (token, address) = app.shopper("13700500091").await;
    let lines = json!([{"sku_id": berry, "quantity": 2}]);
    let res = buy_live(&app, &token, address, id, lines).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = json_of(res).await;
    let (mut purchase, mut tally, mut stock) = (None, None, None);
    while purchase.is_none() || tally.is_none() || stock.is_none() {
        let event = sse.next_logged().await;
        match event.event.as_str() {
            "purchase" => purchase = Some(event.data),
            "tally" => tally = Some(event.data),
            "item_stock" => stock = Some(event.data),
            _ => {}
        }
    }
    let purchase = purchase.expect("purchase");
    assert_eq!(
        (purchase["sku_id"].clone(), purchase["quantity"].clone()),
        (json!(berry), json!(2))
    );
    assert!(
        purchase["buyer"].as_str().is_some_and(|b| b.contains('*')),
        "{purchase}"
    );
    let expected =
        json!({"session_id": id, "orders": 1, "units": 2, "gmv_fen": order["total_fen"]});
    assert_eq!(tally.expect("tally"), expected);
    assert_eq!(
        stock.expect("item_stock"),
        json!({"item_id": item, "remaining": 8})
    );
    let page = crate::live_support::session(watching, id).await;
    assert_eq!(
        page["tally"],
        json!({"orders": 1, "units": 2, "gmv_fen": order["total_fen"]})
    );
}
