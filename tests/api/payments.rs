//! Payment webhooks: signatures, duplicates, the race with expiry, and a
//! random mix of operations after which every unit and every fen balances.

use std::time::Duration;

use futures_util::future::join_all;
use gongfang::entity::{order, order_line};
use gongfang::platform::crypto::hmac_sha256_hex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app, spawn_app_with};
use crate::orders::{buy, pay};

async fn start_payment(app: &TestApp, token: &str, order_id: i64) -> Value {
    json_of(
        app.post(
            &format!("/api/v1/orders/{order_id}/payments"),
            Some(token),
            &json!({}),
        )
        .await,
    )
    .await
}

fn webhook_secret(app: &TestApp) -> String {
    app.state
        .settings
        .payments
        .webhook_secret
        .expose_secret()
        .to_owned()
}

async fn webhook(app: &TestApp, body: &Value, secret: &str) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).unwrap();
    let signature = hmac_sha256_hex(secret.as_bytes(), &bytes);
    app.client
        .post(app.url("/api/v1/payments/webhooks/sandbox"))
        .header("content-type", "application/json")
        .header("Sandbox-Signature", signature)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

fn succeeded(payment: &Value) -> Value {
    json!({"event_id": "evt_1", "type": "payment.succeeded", "provider_ref": payment["provider_ref"],
        "amount_fen": payment["amount_fen"], "occurred_at": "2026-11-29T10:00:00Z"})
}

/// A workshop with a SKU of 5 units and a shopper's unpaid order of
/// `quantity`: (token, SKU, order id).
async fn one_order(app: &TestApp, code: &str, quantity: i64) -> (String, i64, i64) {
    let admin = app.admin().await;
    let shop = app.workshop(&admin, code).await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 5,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper(&format!("138000{code}")).await;
    let id = json_of(buy(app, &token, address, sku, quantity).await).await["id"]
        .as_i64()
        .unwrap();
    (token, sku, id)
}

async fn order_json(app: &TestApp, token: &str, id: i64) -> Value {
    json_of(app.get(&format!("/api/v1/orders/{id}"), Some(token)).await).await
}

#[tokio::test]
async fn a_webhook_with_a_bad_signature_is_401_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17001").await;
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let (token, address) = app.shopper("13800002001").await;
    let id = json_of(buy(&app, &token, address, sku, 1).await).await["id"]
        .as_i64()
        .unwrap();
    let payment = start_payment(&app, &token, id).await;
    let res = webhook(&app, &succeeded(&payment), "not-the-secret").await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_signature").await;
    let res = app
        .client
        .post(app.url("/api/v1/payments/webhooks/sandbox"))
        .json(&succeeded(&payment))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_signature").await;
    assert_eq!(
        order_json(&app, &token, id).await["status"],
        "pending_payment"
    );
}

#[tokio::test]
async fn a_duplicate_or_late_failure_delivery_is_harmless() {
    let app = spawn_app().await;
    let secret = webhook_secret(&app);
    let (token, sku, id) = one_order(&app, "17002", 2).await;
    let payment = start_payment(&app, &token, id).await;
    for _ in 0..3 {
        assert_eq!(
            webhook(&app, &succeeded(&payment), &secret).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let mut failed = succeeded(&payment);
    failed["type"] = json!("payment.failed");
    assert_eq!(
        webhook(&app, &failed, &secret).await.status(),
        StatusCode::NO_CONTENT
    );
    let order = order_json(&app, &token, id).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(
        order["paid_fen"], order["total_fen"],
        "paid once, not three times"
    );
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (3, 0));
    let mut wrong_amount = succeeded(&payment);
    wrong_amount["amount_fen"] = json!(1);
    let res = webhook(&app, &wrong_amount, &secret).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "payment_mismatch").await;
}

#[tokio::test]
async fn two_payments_of_one_order_confirmed_at_once_pay_it_once_and_refund_the_other() {
    let app = spawn_app().await;
    let secret = webhook_secret(&app);
    let (token, sku, id) = one_order(&app, "17005", 1).await;
    let first = start_payment(&app, &token, id).await;
    let second = start_payment(&app, &token, id).await;
    // Each notice three times, all at once: on PostgreSQL they meet in one
    // confirmation batch.
    let notices: Vec<Value> = [&first, &second, &first, &second, &first, &second]
        .into_iter()
        .map(succeeded)
        .collect();
    let answers = join_all(notices.iter().map(|n| webhook(&app, n, &secret))).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::NO_CONTENT));
    let order = order_json(&app, &token, id).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(
        order["paid_fen"].as_i64().unwrap() - order["refunded_fen"].as_i64().unwrap(),
        order["total_fen"].as_i64().unwrap(),
        "kept one payment: {order}"
    );
    assert_eq!(app.state.payments.sandbox_refund_calls(), 1);
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (4, 0), "sold once");
}

#[tokio::test]
async fn a_payment_after_expiry_is_refunded_and_the_order_stays_cancelled() {
    let app = spawn_app_with(|s| s.orders.payment_window_secs = 1).await;
    let secret = webhook_secret(&app);
    let (token, sku, id) = one_order(&app, "17003", 1).await;
    let payment = start_payment(&app, &token, id).await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(order_json(&app, &token, id).await["status"], "cancelled");
    assert_eq!(
        webhook(&app, &succeeded(&payment), &secret).await.status(),
        StatusCode::NO_CONTENT
    );
    let order = order_json(&app, &token, id).await;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["paid_fen"], order["refunded_fen"]);
    assert_eq!(app.state.payments.sandbox_refund_calls(), 1);
    let stock = app.stock(sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved),
        (5, 0),
        "released once, never sold"
    );
}

#[tokio::test]
async fn payments_racing_expiry_end_with_exactly_one_winner_per_order() {
    let app = spawn_app_with(|s| {
        s.orders.payment_window_secs = 1;
        s.orders.expiry_interval_ms = 20;
    })
    .await;
    let secret = webhook_secret(&app);
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17004").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                stock: 100,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13800002004").await;
    let mut payments = Vec::new();
    for _ in 0..30 {
        let id = json_of(buy(&app, &token, address, sku, 1).await).await["id"]
            .as_i64()
            .unwrap();
        payments.push((id, start_payment(&app, &token, id).await));
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    join_all(payments.iter().enumerate().map(|(i, (_, p))| {
        let (app, p, secret) = (&app, p.clone(), secret.clone());
        async move {
            tokio::time::sleep(Duration::from_millis(10 * i as u64)).await;
            assert_eq!(
                webhook(app, &succeeded(&p), &secret).await.status(),
                StatusCode::NO_CONTENT
            );
        }
    }))
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut sold = 0;
    for (id, _) in &payments {
        let order = order_json(&app, &token, *id).await;
        match order["status"].as_str().unwrap() {
            "paid" => {
                assert_eq!(order["refunded_fen"], 0);
                sold += 1;
            }
            "cancelled" => assert_eq!(
                order["paid_fen"], order["refunded_fen"],
                "a late payment is returned"
            ),
            other => panic!("unexpected {other}"),
        }
    }
    let stock = app.stock(sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (100 - sold, 0));
}

/// A seeded random mix of orders, payments, cancellations, expiries and
/// refunds; afterwards stock and money balance exactly.
#[tokio::test]
async fn stock_and_money_balance_after_a_random_mix_of_operations() {
    let app = spawn_app_with(|s| s.orders.payment_window_secs = 2).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17005").await;
    let skus = [
        app.sku(
            shop.id,
            SkuSpec {
                stock: 30,
                price_fen: 1990,
                ..Default::default()
            },
        )
        .await,
        app.sku(
            shop.id,
            SkuSpec {
                stock: 20,
                price_fen: 5800,
                ..Default::default()
            },
        )
        .await,
    ];
    let shoppers = join_all((0..4).map(|i| app.shopper_owned(format!("138000021{i:02}")))).await;
    let mut rng = StdRng::seed_from_u64(20261129);
    let mut placed: Vec<(usize, i64)> = Vec::new();
    for _ in 0..80 {
        let who = rng.random_range(0..shoppers.len());
        let (token, address) = &shoppers[who];
        match rng.random_range(0..10) {
            0..=3 => {
                let mut lines: Vec<Value> = Vec::new();
                for sku in &skus {
                    if rng.random_bool(0.7) {
                        lines.push(json!({"sku_id": sku, "quantity": rng.random_range(1..4)}));
                    }
                }
                if lines.is_empty() {
                    continue;
                }
                let res = app
                    .post(
                        "/api/v1/orders",
                        Some(token),
                        &json!({"lines": lines, "address_id": address}),
                    )
                    .await;
                assert!(
                    res.status() == StatusCode::CREATED || res.status() == StatusCode::CONFLICT
                );
                if res.status() == StatusCode::CREATED {
                    placed.push((who, json_of(res).await["id"].as_i64().unwrap()));
                }
            }
            4..=5 if !placed.is_empty() => {
                let (owner, id) = placed[rng.random_range(0..placed.len())];
                let res = app
                    .post(
                        &format!("/api/v1/orders/{id}/payments"),
                        Some(&shoppers[owner].0),
                        &json!({}),
                    )
                    .await;
                if res.status() == StatusCode::CREATED {
                    let p = json_of(res).await;
                    let path = format!(
                        "/api/v1/payments/sandbox/{}/succeed",
                        p["provider_ref"].as_str().unwrap()
                    );
                    assert_eq!(
                        app.post(&path, Some(&shoppers[owner].0), &json!({}))
                            .await
                            .status(),
                        StatusCode::OK
                    );
                }
            }
            6 if !placed.is_empty() => {
                let (owner, id) = placed[rng.random_range(0..placed.len())];
                let res = app
                    .post(
                        &format!("/api/v1/orders/{id}/cancel"),
                        Some(&shoppers[owner].0),
                        &json!({}),
                    )
                    .await;
                assert!(res.status() == StatusCode::OK || res.status() == StatusCode::CONFLICT);
            }
            7 if !placed.is_empty() => {
                let (_, id) = placed[rng.random_range(0..placed.len())];
                let body = if rng.random_bool(0.5) {
                    json!({})
                } else {
                    json!({"reason": "部分退款"})
                };
                let path = format!("/api/v1/workshops/{}/orders/{id}/refunds", shop.id);
                let res = app.post(&path, Some(&shop.manager), &body).await;
                assert!(
                    res.status() == StatusCode::CREATED || res.status() == StatusCode::CONFLICT,
                    "{}",
                    res.status()
                );
            }
            _ => tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await,
        }
    }
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_balanced(&app, &skus, &[30, 20]).await;
}

async fn assert_balanced(app: &TestApp, skus: &[i64], initial: &[i64]) {
    let orders = order::Entity::find().all(&app.state.db).await.unwrap();
    let lines = order_line::Entity::find().all(&app.state.db).await.unwrap();
    for (sku, start) in skus.iter().zip(initial) {
        let mut held = 0;
        let mut sold = 0;
        for line in lines.iter().filter(|l| l.sku_id == *sku) {
            let order = orders.iter().find(|o| o.id == line.order_id).unwrap();
            match order.status.as_str() {
                "pending_payment" => held += line.quantity as i64,
                "cancelled" => {}
                _ => sold += (line.quantity - line.refunded_quantity) as i64,
            }
        }
        let stock = app.stock(*sku).await;
        assert_eq!(
            stock.reserved, held,
            "sku {sku}: reserved equals units of unpaid orders"
        );
        assert_eq!(
            stock.on_hand,
            start - sold,
            "sku {sku}: on hand equals start minus units sold and kept"
        );
        assert_eq!(
            stock.on_hand, stock.movements,
            "sku {sku}: on hand is the sum of its movements"
        );
    }
    for order in &orders {
        assert!(
            order.refunded_fen <= order.paid_fen,
            "order {}: refunds exceed payments",
            order.id
        );
        if order.status == "cancelled" {
            assert_eq!(
                order.paid_fen, order.refunded_fen,
                "order {}: paid and expired",
                order.id
            );
        }
        if order.status == "paid" {
            assert!(order.paid_fen >= order.total_fen);
        }
    }
}

#[tokio::test]
async fn paying_through_the_sandbox_twice_is_harmless() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17006").await;
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let (token, address) = app.shopper("13800002006").await;
    let id = json_of(buy(&app, &token, address, sku, 1).await).await["id"]
        .as_i64()
        .unwrap();
    let payment = pay(&app, &token, id).await;
    let path = format!(
        "/api/v1/payments/sandbox/{}/succeed",
        payment["provider_ref"].as_str().unwrap()
    );
    assert_eq!(
        app.post(&path, Some(&token), &json!({})).await.status(),
        StatusCode::OK
    );
    let (other, _) = app.shopper("13800002007").await;
    assert_problem(
        app.post(&path, Some(&other), &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.state.payments.sandbox_refund_calls(), 0);
}
