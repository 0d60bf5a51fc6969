//! Typed helpers for catalog tests: product and SKU bodies, farmers, lots,
//! stock reads, and PATCH/PUT requests.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Days, NaiveDate};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, Workshop, json_of};

static CODES: AtomicU32 = AtomicU32::new(1);

/// A SKU code no other test SKU uses.
pub fn code(prefix: &str) -> String {
    format!("{prefix}-{}", CODES.fetch_add(1, Ordering::Relaxed))
}

pub fn today() -> NaiveDate {
    gongfang::catalog::rules::today()
}

pub fn days_ago(n: u64) -> String {
    (today() - Days::new(n)).to_string()
}

pub fn days_ahead(n: u64) -> String {
    (today() + Days::new(n)).to_string()
}

pub fn sku_body(price_fen: i64, market_fen: i64, common_prosperity: bool) -> Value {
    json!({
        "code": code("SKU"),
        "name": "A级 精品果 2斤装",
        "grade": "A",
        "unit": "box",
        "net_weight_g": 1000,
        "price_fen": price_fen,
        "market_price_fen": market_fen,
        "is_common_prosperity": common_prosperity,
    })
}

/// An active strawberry product with one ordinary SKU at `price_fen`.
pub fn product_body(title: &str, price_fen: i64) -> Value {
    json!({
        "title": title,
        "description": "建德草莓，当天采摘",
        "category": "strawberry",
        "images": ["https://img.example.com/berry.jpg"],
        "tags": ["草莓", "建德"],
        "origin": "建德市杨村桥镇",
        "storage": "chilled",
        "shelf_life_days": 5,
        "status": "active",
        "skus": [sku_body(price_fen, price_fen, false)],
    })
}

pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
) -> Response {
    app.request(method, path, Some(token))
        .json(body)
        .send()
        .await
        .expect("request")
}

pub async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    send(app, Method::PATCH, path, token, body).await
}

pub async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    send(app, Method::PUT, path, token, body).await
}

/// Creates a product and returns the manager's view of it.
pub async fn create_product(app: &TestApp, shop: &Workshop, body: &Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/products", shop.id),
            Some(&shop.manager),
            body,
        )
        .await;
    let status = res.status();
    let created = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// An active product with one SKU; returns (product id, SKU id).
pub async fn product_with_sku(
    app: &TestApp,
    shop: &Workshop,
    title: &str,
    price: i64,
) -> (i64, i64) {
    let created = create_product(app, shop, &product_body(title, price)).await;
    (id(&created), id(&created["skus"][0]))
}

pub fn id(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {value}"))
}

pub async fn create_farmer(app: &TestApp, shop: &Workshop, name: &str, low_income: bool) -> i64 {
    let body = json!({
        "name": name,
        "village": "徐坑村",
        "phone": "13900009999",
        "is_low_income": low_income,
        "settlement_ref": "农商银行 6230-xxxx",
    });
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/farmers", shop.id),
            Some(&shop.manager),
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    id(&json_of(res).await)
}

pub async fn receive(
    app: &TestApp,
    shop: &Workshop,
    sku_id: i64,
    farmer_id: i64,
    quantity: i64,
    expiry: &str,
) -> Response {
    let body = json!({
        "sku_id": sku_id,
        "farmer_id": farmer_id,
        "quantity": quantity,
        "harvest_date": days_ago(20),
        "expiry_date": expiry,
        "floor_price_fen": 3000,
    });
    app.post(
        &format!("/api/v1/workshops/{}/lots", shop.id),
        Some(&shop.manager),
        &body,
    )
    .await
}

pub async fn adjust(
    app: &TestApp,
    shop: &Workshop,
    sku_id: i64,
    kind: &str,
    quantity: i64,
) -> Response {
    let body = json!({"kind": kind, "quantity": quantity, "reason": "盘点"});
    let path = format!("/api/v1/workshops/{}/skus/{sku_id}/adjustments", shop.id);
    app.post(&path, Some(&shop.manager), &body).await
}

/// The SKU as its manager sees it (with on_hand, reserved, available).
pub async fn sku(app: &TestApp, shop: &Workshop, sku_id: i64) -> Value {
    let path = format!("/api/v1/workshops/{}/skus/{sku_id}", shop.id);
    let res = app.get(&path, Some(&shop.manager)).await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

/// Every movement of the SKU, following the cursor to the end.
pub async fn movements(app: &TestApp, shop: &Workshop, sku_id: i64) -> Vec<Value> {
    let base = format!(
        "/api/v1/workshops/{}/skus/{sku_id}/movements?limit=100",
        shop.id
    );
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}&cursor={c}"),
            None => base.clone(),
        };
        let page = json_of(app.get(&path, Some(&shop.manager)).await).await;
        all.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// Asserts on_hand equals the sum of movements; returns on_hand.
pub async fn assert_ledger_balances(app: &TestApp, shop: &Workshop, sku_id: i64) -> i64 {
    let on_hand = sku(app, shop, sku_id).await["on_hand"].as_i64().unwrap();
    let sum: i64 = movements(app, shop, sku_id)
        .await
        .iter()
        .map(|m| m["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(on_hand, sum, "SKU {sku_id}: on_hand vs sum of movements");
    on_hand
}

/// Sets a SKU's reserved units directly, as the orders code would.
pub async fn reserve(app: &TestApp, sku_id: i64, units: i64) {
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE skus SET reserved = {units} WHERE id = {sku_id}"
        ))
        .await
        .expect("set reserved");
}

/// A fresh app, its platform admin, and a workshop whose staff phones start with `prefix`.
pub async fn shop_app(prefix: &str) -> (TestApp, String, Workshop) {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, prefix).await;
    (app, admin, shop)
}
