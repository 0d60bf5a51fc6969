//! Who may touch the catalog: managers of the workshop write, other staff get
//! 403, managers of another workshop get 404 and nothing changes.

use reqwest::StatusCode;
use serde_json::json;

use super::fixtures::{days_ago, patch, product_body, product_with_sku, shop_app, sku_body};
use crate::helpers::{assert_problem, json_of, spawn_app};

#[tokio::test]
async fn staff_without_the_manager_role_cannot_write_the_catalog() {
    let (app, _, shop) = shop_app("31011").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "枇杷叶茶", 3900).await;
    let customer = app.customer("13800031011").await;
    let w = shop.id;
    let writes = [
        (
            format!("/api/v1/workshops/{w}/products"),
            product_body("x", 1),
        ),
        (
            format!("/api/v1/workshops/{w}/products/{product_id}/skus"),
            sku_body(1, 1, false),
        ),
        (
            format!("/api/v1/workshops/{w}/products/{product_id}/archive"),
            json!({}),
        ),
        (
            format!("/api/v1/workshops/{w}/skus/{sku_id}/adjustments"),
            json!({"kind": "count_correction", "quantity": 5, "reason": "x"}),
        ),
        (
            format!("/api/v1/workshops/{w}/lots"),
            json!({"sku_id": sku_id, "farmer_id": 1, "quantity": 5, "harvest_date": days_ago(1), "floor_price_fen": 100}),
        ),
        (
            format!("/api/v1/workshops/{w}/lots/write-off-expired"),
            json!({}),
        ),
        (
            format!("/api/v1/workshops/{w}/farmers"),
            json!({"name": "王", "village": "村", "phone": "13900000000"}),
        ),
    ];
    for token in [&shop.streamer, &shop.fulfilment, &shop.leader] {
        for (path, body) in &writes {
            let res = app.post(path, Some(token), body).await;
            assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let res = patch(
            &app,
            &format!("/api/v1/workshops/{w}/skus/{sku_id}"),
            token,
            &json!({"price_fen": 1}),
        )
        .await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let res = app.post(&writes[0].0, Some(&customer), &writes[0].1).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.post(&writes[0].0, None, &writes[0].1).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let sku = json_of(
        app.get(&format!("/api/v1/products/{product_id}"), None)
            .await,
    )
    .await;
    assert_eq!(sku["skus"][0]["price_fen"], 3900, "nothing changed");
}

#[tokio::test]
async fn another_workshops_manager_gets_not_found() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let owner = app.workshop(&admin, "31012").await;
    let other = app.workshop(&admin, "31013").await;
    let (product_id, sku_id) = product_with_sku(&app, &owner, "南阳伞", 8800).await;
    for w in [owner.id, other.id] {
        let reads = [
            format!("/api/v1/workshops/{w}/products/{product_id}"),
            format!("/api/v1/workshops/{w}/skus/{sku_id}"),
            format!("/api/v1/workshops/{w}/skus/{sku_id}/movements"),
            format!("/api/v1/workshops/{w}/skus/{sku_id}/lots"),
        ];
        for path in reads {
            let res = app.get(&path, Some(&other.manager)).await;
            assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
        }
        let path = format!("/api/v1/workshops/{w}/skus/{sku_id}");
        let res = patch(&app, &path, &other.manager, &json!({"price_fen": 1})).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
        let path = format!("/api/v1/workshops/{w}/products/{product_id}/skus");
        let res = app
            .post(&path, Some(&other.manager), &sku_body(1, 1, false))
            .await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    let detail = json_of(
        app.get(&format!("/api/v1/products/{product_id}"), None)
            .await,
    )
    .await;
    assert_eq!(detail["skus"][0]["price_fen"], 8800);
}
