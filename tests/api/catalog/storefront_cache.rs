//! The storefront cache: ETag and 304, and a write is what the very next read
//! returns, on this instance and on another sharing the database and Redis.

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use serde_json::json;

use super::fixtures::{create_farmer, days_ahead, patch, product_with_sku, receive, shop_app};
use crate::helpers::{TestApp, json_of, spawn_app, spawn_app_with, spawn_peer};

async fn price(app: &TestApp, product_id: i64) -> i64 {
    let detail = json_of(
        app.get(&format!("/api/v1/products/{product_id}"), None)
            .await,
    )
    .await;
    detail["skus"][0]["price_fen"].as_i64().unwrap()
}

async fn list_price(app: &TestApp) -> i64 {
    let page = json_of(app.get("/api/v1/products", None).await).await;
    page["items"][0]["price_from_fen"].as_i64().unwrap()
}

async fn set_price(app: &TestApp, token: &str, workshop_id: i64, sku_id: i64, fen: i64) {
    let path = format!("/api/v1/workshops/{workshop_id}/skus/{sku_id}");
    let res = patch(app, &path, token, &json!({"price_fen": fen})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unchanged_product_answers_304_to_its_etag() {
    let (app, _, shop) = shop_app("36001").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "径山茶 雨前", 9800).await;
    let paths = [
        format!("/api/v1/products/{product_id}"),
        "/api/v1/products?limit=5".to_owned(),
    ];
    for (round, path) in (1..).zip(paths) {
        let first = app.get(&path, None).await;
        assert_eq!(first.headers()["cache-control"], "no-cache");
        let etag = first.headers()[ETAG].to_str().unwrap().to_owned();
        let body = first.text().await.unwrap();
        let again = app
            .request(reqwest::Method::GET, &path, None)
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[ETAG].to_str().unwrap(), etag);
        assert!(again.text().await.unwrap().is_empty());
        let repeat = app.get(&path, None).await;
        assert_eq!(
            repeat.headers()[ETAG].to_str().unwrap(),
            etag,
            "same bytes, same tag"
        );
        assert_eq!(repeat.text().await.unwrap(), body);

        set_price(&app, &shop.manager, shop.id, sku_id, 9800 + round).await;
        let changed = app
            .request(reqwest::Method::GET, &path, None)
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
        assert_ne!(changed.headers()[ETAG].to_str().unwrap(), etag);
    }
}

#[tokio::test]
async fn every_write_is_what_the_next_read_returns() {
    let (app, _, shop) = shop_app("36002").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "红颜草莓", 5800).await;
    let detail = format!("/api/v1/products/{product_id}");
    assert_eq!(
        (price(&app, product_id).await, list_price(&app).await),
        (5800, 5800)
    );
    set_price(&app, &shop.manager, shop.id, sku_id, 6200).await;
    assert_eq!(
        (price(&app, product_id).await, list_price(&app).await),
        (6200, 6200)
    );

    let farmer = create_farmer(&app, &shop, "王大伯", true).await;
    receive(&app, &shop, sku_id, farmer, 500, &days_ahead(3)).await;
    assert_eq!(
        json_of(app.get(&detail, None).await).await["availability"],
        "in_stock"
    );

    let product = format!("/api/v1/workshops/{}/products/{product_id}", shop.id);
    patch(
        &app,
        &product,
        &shop.manager,
        &json!({"title": "红颜草莓 特级"}),
    )
    .await;
    assert_eq!(
        json_of(app.get(&detail, None).await).await["title"],
        "红颜草莓 特级"
    );
    let page = json_of(app.get("/api/v1/products", None).await).await;
    assert_eq!(page["items"][0]["title"], "红颜草莓 特级");
    app.post(
        &format!("{product}/archive"),
        Some(&shop.manager),
        &json!({}),
    )
    .await;
    assert_eq!(app.get(&detail, None).await.status(), StatusCode::NOT_FOUND);
    let page = json_of(app.get("/api/v1/products", None).await).await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn a_price_written_on_one_instance_is_what_the_next_read_returns_on_another() {
    let app = spawn_app().await;
    if !app.state.cache.is_shared() {
        eprintln!("skipped: instances share invalidations only through Redis (set TEST_REDIS_URL)");
        return;
    }
    let peer = spawn_peer(&app).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "36003").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "章姬草莓", 4800).await;
    for round in 0..20_i64 {
        // Both instances hold the current answer in their caches...
        let current = price(&app, product_id).await;
        assert_eq!(price(&peer, product_id).await, current);
        assert_eq!(list_price(&peer).await, current);
        // ...then a price written on one is what the next read returns on the other.
        let (writer, reader) = if round % 2 == 0 {
            (&app, &peer)
        } else {
            (&peer, &app)
        };
        let next = 4800 + round + 1;
        set_price(writer, &shop.manager, shop.id, sku_id, next).await;
        assert_eq!(
            price(reader, product_id).await,
            next,
            "round {round}: detail"
        );
        assert_eq!(list_price(reader).await, next, "round {round}: list");
    }
}

#[tokio::test]
async fn with_the_cache_off_every_read_still_answers_with_an_etag() {
    let app = spawn_app_with(|s| s.catalog.cache = false).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "36004").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "茶糕", 1500).await;
    let res = app
        .get(&format!("/api/v1/products/{product_id}"), None)
        .await;
    assert!(res.headers().contains_key(ETAG));
    set_price(&app, &shop.manager, shop.id, sku_id, 1600).await;
    assert_eq!(price(&app, product_id).await, 1600);
    assert!(app.state.catalog.details.get(&product_id).is_none());
}
