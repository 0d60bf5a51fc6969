//! Orders: server-computed totals, atomic reservation under real concurrency,
//! idempotency, expiry, cancellation, refunds, ownership.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app, spawn_app_with};

pub async fn buy(
    app: &TestApp,
    token: &str,
    address: i64,
    sku: i64,
    quantity: i64,
) -> reqwest::Response {
    app.post(
        "/api/v1/orders",
        Some(token),
        &json!({"lines": [{"sku_id": sku, "quantity": quantity}], "address_id": address}),
    )
    .await
}

pub async fn pay(app: &TestApp, token: &str, order_id: i64) -> Value {
    let res = app
        .post(
            &format!("/api/v1/orders/{order_id}/payments"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let payment = json_of(res).await;
    let provider_ref = payment["provider_ref"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/payments/sandbox/{provider_ref}/succeed"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    payment
}

#[tokio::test]
async fn the_server_computes_prices_shipping_and_totals() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16001").await;
    let chilled = app
        .sku(
            shop.id,
            SkuSpec {
                price_fen: 2990,
                storage: "chilled",
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001001").await;
    let res = buy(&app, &token, address, chilled, 2).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = json_of(res).await;
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["subtotal_fen"], 5980);
    // Below the free-shipping threshold (9900): flat 1000 plus cold chain 800.
    assert_eq!(order["shipping_fen"], 1800);
    assert_eq!(order["total_fen"], 7780);
    assert_eq!(order["lines"][0]["unit_price_fen"], 2990);
    assert_eq!(order["address"]["city"], "杭州市");
    let stock = app.stock(chilled).await;
    assert_eq!((stock.on_hand, stock.reserved), (100, 2));

    let res = buy(&app, &token, address, chilled, 4).await;
    let order = json_of(res).await;
    assert_eq!(order["subtotal_fen"], 11960);
    assert_eq!(
        order["shipping_fen"], 800,
        "free shipping above the threshold, cold chain still charged"
    );
}

#[tokio::test]
async fn clients_cannot_set_prices_totals_status_or_owner() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16002").await;
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let (token, address) = app.shopper("13800001002").await;
    for extra in [
        json!({"price": 1}),
        json!({"total_fen": 1}),
        json!({"status": "paid"}),
        json!({"customer_id": 1}),
    ] {
        let mut body = json!({"lines": [{"sku_id": sku, "quantity": 1}], "address_id": address});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let res = app.post("/api/v1/orders", Some(&token), &body).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    }
    let body = json!({"lines": [{"sku_id": sku, "quantity": 1, "unit_price_fen": 1}], "address_id": address});
    let res = app.post("/api/v1/orders", Some(&token), &body).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    // Serde would read a struct from an array of its fields in order; the
    // schema says object, at the top and inside.
    for positional in [
        json!({"lines": [[sku, 1]], "address_id": address}),
        json!([[{"sku_id": sku, "quantity": 1}], address, null]),
    ] {
        let res = app.post("/api/v1/orders", Some(&token), &positional).await;
        let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("array"),
            "{problem}"
        );
    }
    assert_eq!(app.stock(sku).await.reserved, 0, "nothing was reserved");
    let orders = json_of(app.get("/api/v1/orders", Some(&token)).await).await;
    assert_eq!(orders["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn five_hundred_buyers_race_for_one_hundred_units_and_expired_orders_give_them_back() {
    let app = spawn_app_with(|s| {
        s.orders.payment_window_secs = 3;
        // 500 shoppers register at once: wait for a connection rather than shed load.
        s.database.acquire_timeout_ms = 30_000;
    })
    .await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16003").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 100,
                ..Default::default()
            },
        )
        .await;
    let shoppers = join_all((0..500).map(|i| app.shopper_owned(format!("1390000{i:04}")))).await;
    let answers = join_all(
        shoppers
            .iter()
            .map(|(token, address)| buy(&app, token, *address, sku, 1)),
    )
    .await;
    let mut created = 0;
    let mut sold_out = 0;
    for res in answers {
        match res.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_eq!(json_of(res).await["code"], "out_of_stock");
                sold_out += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, sold_out), (100, 400));
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (100, 100));

    // Nobody pays: every order expires and each unit comes back exactly once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.stock(sku).await.reserved > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let stock = app.stock(sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved, stock.movements),
        (100, 0, 100)
    );
    let (token, address) = &shoppers[0];
    assert_eq!(
        buy(&app, token, *address, sku, 1).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn fifty_identical_requests_with_one_key_make_one_order() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16004").await;
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let (token, address) = app.shopper("13800001004").await;
    let body = json!({"lines": [{"sku_id": sku, "quantity": 1}], "address_id": address});
    let send = || {
        app.request(Method::POST, "/api/v1/orders", Some(&token))
            .header("Idempotency-Key", "retry-abc-1")
            .json(&body)
            .send()
    };
    let answers = join_all((0..50).map(|_| send())).await;
    let mut bodies = Vec::new();
    for res in answers {
        let res = res.unwrap();
        match res.status() {
            StatusCode::CREATED => bodies.push(res.text().await.unwrap()),
            StatusCode::CONFLICT => {
                assert_eq!(json_of(res).await["code"], "idempotency_in_progress")
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(!bodies.is_empty());
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every 201 carries the same order"
    );
    assert_eq!(app.stock(sku).await.reserved, 1);
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.text().await.unwrap(), bodies[0]);

    let other = json!({"lines": [{"sku_id": sku, "quantity": 2}], "address_id": address});
    let res = app
        .request(Method::POST, "/api/v1/orders", Some(&token))
        .header("Idempotency-Key", "retry-abc-1")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let res = app
        .request(Method::POST, "/api/v1/orders", Some(&token))
        .header("Idempotency-Key", "k".repeat(10_000))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
}

#[tokio::test]
async fn a_failed_request_is_replayed_with_the_same_problem() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16005").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 1,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001005").await;
    let body = json!({"lines": [{"sku_id": sku, "quantity": 2}], "address_id": address});
    let send = || {
        app.request(Method::POST, "/api/v1/orders", Some(&token))
            .header("Idempotency-Key", "k-2")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_problem(first, StatusCode::CONFLICT, "out_of_stock").await;
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_problem(again, StatusCode::CONFLICT, "out_of_stock").await;
}

#[tokio::test]
async fn reservation_failures_name_their_reason_and_reserve_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16006").await;
    let plenty = app.sku(shop.id, SkuSpec::default()).await;
    let limited = app
        .sku(
            shop.id,
            SkuSpec {
                per_buyer_limit: Some(2),
                ..Default::default()
            },
        )
        .await;
    let month = chrono::Datelike::month(&(chrono::Utc::now() + chrono::Duration::hours(8))) as i16;
    let off = ((month + 5) % 12) + 1;
    let off_season = app
        .sku(
            shop.id,
            SkuSpec {
                season: Some((off, off)),
                ..Default::default()
            },
        )
        .await;
    let inactive = app
        .sku(
            shop.id,
            SkuSpec {
                status: "inactive",
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001006").await;
    let order = |lines: Value| {
        let body = json!({"lines": lines, "address_id": address});
        let (app, token) = (&app, &token);
        async move { app.post("/api/v1/orders", Some(token), &body).await }
    };
    let two = |sku: i64, q: i64| json!([{"sku_id": plenty, "quantity": 1}, {"sku_id": sku, "quantity": q}]);

    assert_problem(
        order(two(limited, 3)).await,
        StatusCode::CONFLICT,
        "limit_exceeded",
    )
    .await;
    assert_problem(
        order(two(off_season, 1)).await,
        StatusCode::CONFLICT,
        "not_in_season",
    )
    .await;
    assert_problem(
        order(two(inactive, 1)).await,
        StatusCode::CONFLICT,
        "unavailable",
    )
    .await;
    assert_problem(
        order(two(plenty, 200)).await,
        StatusCode::CONFLICT,
        "out_of_stock",
    )
    .await;
    assert_eq!(
        app.stock(plenty).await.reserved,
        0,
        "all or nothing: the first line was not kept"
    );

    assert_eq!(
        order(json!([{"sku_id": limited, "quantity": 2}]))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_problem(
        order(json!([{"sku_id": limited, "quantity": 1}])).await,
        StatusCode::CONFLICT,
        "limit_exceeded",
    )
    .await;
    let lines: Vec<Value> = (0..51)
        .map(|_| json!({"sku_id": plenty, "quantity": 1}))
        .collect();
    assert_problem(
        order(json!(lines)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for bad in [json!(0), json!(-1), json!(1000)] {
        let res = order(json!([{"sku_id": plenty, "quantity": bad}])).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    for bad in [json!(2147483648u64), json!("1"), json!(1.5), json!(null)] {
        let res = order(json!([{"sku_id": plenty, "quantity": bad}])).await;
        assert!(res.status().is_client_error());
    }
}

#[tokio::test]
async fn paying_turns_held_units_into_sold_ones() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16007").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 10,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001007").await;
    let order = json_of(buy(&app, &token, address, sku, 3).await).await;
    let id = order["id"].as_i64().unwrap();
    pay(&app, &token, id).await;
    let order = json_of(app.get(&format!("/api/v1/orders/{id}"), Some(&token)).await).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["paid_fen"], order["total_fen"]);
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved, stock.movements), (7, 0, 7));
    let history = json_of(
        app.get(&format!("/api/v1/orders/{id}/events"), Some(&token))
            .await,
    )
    .await;
    let states: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["pending_payment", "paid"]);
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/payments"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
}

#[tokio::test]
async fn customers_cancel_unpaid_orders_and_paid_ones_are_refunded() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16008").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 10,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001008").await;
    let unpaid = json_of(buy(&app, &token, address, sku, 2).await).await["id"]
        .as_i64()
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/orders/{unpaid}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(json_of(res).await["status"], "cancelled");
    assert_eq!(app.stock(sku).await.reserved, 0);

    let paid = json_of(buy(&app, &token, address, sku, 2).await).await["id"]
        .as_i64()
        .unwrap();
    pay(&app, &token, paid).await;
    let res = app
        .post(
            &format!("/api/v1/orders/{paid}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    let order = json_of(res).await;
    assert_eq!(order["status"], "refunded");
    assert_eq!(order["refunded_fen"], order["paid_fen"]);
    let stock = app.stock(sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved, stock.movements),
        (10, 0, 10)
    );
    let res = app
        .post(
            &format!("/api/v1/orders/{paid}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
}

#[tokio::test]
async fn managers_refund_by_line_and_never_beyond_what_was_paid() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16009").await;
    let a = app
        .sku(
            shop.id,
            SkuSpec {
                price_fen: 5000,
                stock: 10,
                ..Default::default()
            },
        )
        .await;
    let b = app
        .sku(
            shop.id,
            SkuSpec {
                price_fen: 3000,
                stock: 10,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001009").await;
    let body = json!({"lines": [{"sku_id": a, "quantity": 2}, {"sku_id": b, "quantity": 1}], "address_id": address});
    let order = json_of(app.post("/api/v1/orders", Some(&token), &body).await).await;
    let id = order["id"].as_i64().unwrap();
    let line_a = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku_id"] == a)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    pay(&app, &token, id).await;
    let refunds = format!("/api/v1/workshops/{}/orders/{id}/refunds", shop.id);

    let res = app
        .post(
            &refunds,
            Some(&shop.manager),
            &json!({"lines": [{"line_id": line_a, "quantity": 1}], "reason": "压坏"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["amount_fen"], 5000);
    assert_eq!(
        app.stock(a).await.on_hand,
        9,
        "an unshipped refunded unit is back on hand"
    );

    let res = app
        .post(
            &refunds,
            Some(&shop.manager),
            &json!({"lines": [{"line_id": line_a, "quantity": 2}]}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "refund_exceeds_payment").await;
    for token in [&shop.streamer, &shop.fulfilment] {
        let res = app.post(&refunds, Some(token), &json!({})).await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let res = app
        .post(
            &refunds,
            Some(&shop.manager),
            &json!({"reason": "全部退款"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = json_of(app.get(&format!("/api/v1/orders/{id}"), Some(&token)).await).await;
    assert_eq!(order["status"], "refunded");
    assert_eq!(order["refunded_fen"], order["paid_fen"]);
    let res = app.post(&refunds, Some(&shop.manager), &json!({})).await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    assert_eq!(app.state.payments.sandbox_refund_calls(), 2);
    let listed = json_of(
        app.get(&format!("/api/v1/orders/{id}/refunds"), Some(&token))
            .await,
    )
    .await;
    let total: i64 = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(total, order["paid_fen"].as_i64().unwrap());
}

#[tokio::test]
async fn nobody_reaches_another_customers_or_workshops_orders() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16010").await;
    let other_shop = app.workshop(&admin, "16011").await;
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let (alice, address) = app.shopper("13800001010").await;
    let (bob, _) = app.shopper("13800001011").await;
    let id = json_of(buy(&app, &alice, address, sku, 1).await).await["id"]
        .as_i64()
        .unwrap();

    for path in [
        format!("/api/v1/orders/{id}"),
        format!("/api/v1/orders/{id}/events"),
        format!("/api/v1/orders/{id}/refunds"),
    ] {
        assert_problem(
            app.get(&path, Some(&bob)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/payments"),
            Some(&bob),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&bob),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let bob_orders = json_of(app.get("/api/v1/orders", Some(&bob)).await).await;
    assert!(bob_orders["items"].as_array().unwrap().is_empty());

    let staff_path = format!("/api/v1/workshops/{}/orders/{id}", shop.id);
    for token in [&alice, &bob, &other_shop.manager] {
        assert_problem(
            app.get(&staff_path, Some(token)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let res = app
            .post(&format!("{staff_path}/refunds"), Some(token), &json!({}))
            .await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    let wrong_shop = format!("/api/v1/workshops/{}/orders/{id}", other_shop.id);
    assert_problem(
        app.get(&wrong_shop, Some(&other_shop.manager)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let listed = json_of(
        app.get(
            &format!("/api/v1/workshops/{}/orders", shop.id),
            Some(&shop.fulfilment),
        )
        .await,
    )
    .await;
    assert_eq!(listed["items"][0]["id"], id);
    let staff_buy = app
        .post(
            "/api/v1/orders",
            Some(&shop.manager),
            &json!({"lines": [{"sku_id": sku, "quantity": 1}], "address_id": address}),
        )
        .await;
    assert_problem(staff_buy, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn staff_filter_the_workshops_orders() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16012").await;
    let a = app.sku(shop.id, SkuSpec::default()).await;
    let b = app.sku(shop.id, SkuSpec::default()).await;
    let (token, address) = app.shopper("13800001012").await;
    let first = json_of(buy(&app, &token, address, a, 1).await).await["id"]
        .as_i64()
        .unwrap();
    let second = json_of(buy(&app, &token, address, b, 1).await).await["id"]
        .as_i64()
        .unwrap();
    pay(&app, &token, second).await;
    let base = format!("/api/v1/workshops/{}/orders", shop.id);
    let ids = |v: Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(json_of(
            app.get(&format!("{base}?status=paid"), Some(&shop.manager))
                .await
        )
        .await),
        [second]
    );
    assert_eq!(
        ids(json_of(
            app.get(&format!("{base}?sku_id={a}"), Some(&shop.manager))
                .await
        )
        .await),
        [first]
    );
    assert_eq!(
        ids(json_of(
            app.get(&format!("{base}?limit=1"), Some(&shop.manager))
                .await
        )
        .await),
        [second]
    );
    let res = app
        .get(&format!("{base}?status=teleported"), Some(&shop.manager))
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_parameter").await;
}

#[tokio::test]
async fn cart_checkout_places_one_order_per_workshop() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let strawberries = app.workshop(&admin, "16013").await;
    let tea = app.workshop(&admin, "16014").await;
    let berry = app
        .sku(
            strawberries.id,
            SkuSpec {
                price_fen: 3990,
                ..Default::default()
            },
        )
        .await;
    let tin = app
        .sku(
            tea.id,
            SkuSpec {
                price_fen: 12800,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800001013").await;
    for (sku, quantity) in [(berry, 2), (tin, 1)] {
        let res = app
            .request(
                Method::PUT,
                &format!("/api/v1/cart/lines/{sku}"),
                Some(&token),
            )
            .json(&json!({"quantity": quantity}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let cart = json_of(app.get("/api/v1/cart", Some(&token)).await).await;
    assert_eq!(cart["total_fen"], 3990 * 2 + 12800);
    let res = app
        .post(
            "/api/v1/cart/checkout",
            Some(&token),
            &json!({"address_id": address}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let orders = json_of(res).await["orders"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 2);
    let shops: Vec<i64> = orders
        .iter()
        .map(|o| o["workshop_id"].as_i64().unwrap())
        .collect();
    assert!(shops.contains(&strawberries.id) && shops.contains(&tea.id));
    let cart = json_of(app.get("/api/v1/cart", Some(&token)).await).await;
    assert!(cart["lines"].as_array().unwrap().is_empty());
    let res = app
        .post(
            "/api/v1/cart/checkout",
            Some(&token),
            &json!({"address_id": address}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn a_customer_keeps_at_most_twenty_addresses() {
    let app = spawn_app().await;
    let (token, _) = app.shopper("13800001014").await;
    let address = json!({"name": "李娜", "phone": "13800001014", "province": "浙江省", "city": "杭州市", "district": "余杭区", "detail": "径山镇"});
    for _ in 1..20 {
        assert_eq!(
            app.post("/api/v1/me/addresses", Some(&token), &address)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let res = app
        .post("/api/v1/me/addresses", Some(&token), &address)
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let (other, _) = app.shopper("13800001015").await;
    let mine = json_of(app.get("/api/v1/me/addresses", Some(&token)).await).await;
    let id = mine[0]["id"].as_i64().unwrap();
    assert_problem(
        app.delete(&format!("/api/v1/me/addresses/{id}"), Some(&other))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

impl TestApp {
    pub async fn shopper_owned(&self, phone: String) -> (String, i64) {
        self.shopper(&phone).await
    }
}
