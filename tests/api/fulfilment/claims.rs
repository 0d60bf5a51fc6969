//! After-sales: claims open within the window after delivery, refunds through
//! the provider never exceed what was paid, reships are zero-price orders, and
//! claims are counted per lot and farmer.

use chrono::{Duration, Utc};
use gongfang::entity::order_event;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use super::shipping::{events_for, events_of};
use super::support::Floor;
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app};

async fn open_claim(app: &TestApp, token: &str, order: &Value, quantity: i64) -> reqwest::Response {
    let body = json!({
        "lines": [{"line_id": order["lines"][0]["id"], "quantity": quantity}],
        "reason": "spoiled",
        "photos": ["https://img.example.com/1.jpg", "https://img.example.com/2.jpg"],
        "description": "两盒草莓发霉了",
    });
    app.post(
        &format!("/api/v1/orders/{}/claims", order["id"]),
        Some(token),
        &body,
    )
    .await
}

fn claim_path(floor: &Floor, claim: &Value, action: &str) -> String {
    floor.path(&format!("/claims/{}/{action}", claim["id"]))
}

#[tokio::test]
async fn approved_refunds_go_through_the_provider_and_never_exceed_what_was_paid() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17301", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "Q1", 10, 3).await;
    let (token, undelivered) = floor.paid_order(&app, "13800193009", 1).await;
    let res = open_claim(&app, &token, &undelivered, 1).await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    let (token, order) = floor.delivered_order(&app, "13800193001", 3).await;

    let mut too_many = json!({"lines": [{"line_id": order["lines"][0]["id"], "quantity": 4}],
        "reason": "spoiled", "photos": vec!["https://img.example.com/x.jpg"; 7]});
    let res = app
        .post(
            &format!("/api/v1/orders/{}/claims", order["id"]),
            Some(&token),
            &too_many,
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    too_many["reason"] = json!("rotten");
    let res = app
        .post(
            &format!("/api/v1/orders/{}/claims", order["id"]),
            Some(&token),
            &too_many,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = open_claim(&app, &token, &order, 2).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let claim = json_of(res).await;
    assert_eq!(
        (
            claim["status"].as_str(),
            claim["photos"].as_array().unwrap().len()
        ),
        (Some("open"), 2)
    );
    assert_problem(
        open_claim(&app, &token, &order, 1).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    let partial = json!({"resolution": "refund", "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}]});
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.fulfilment),
            &partial,
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.manager),
            &partial,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let approved = json_of(res).await;
    assert_eq!(
        (approved["status"].as_str(), approved["refund_fen"].as_i64()),
        (Some("approved"), Some(2990))
    );
    assert_eq!(app.state.payments.sandbox_refund_calls(), 1);
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.manager),
            &partial,
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;

    // Two more claims for all three units: the first refunds everything left
    // (shipping too, as orders::refunds does), the second finds nothing left.
    let everything = json!({"resolution": "refund"});
    let claim = json_of(open_claim(&app, &token, &order, 2).await).await;
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.manager),
            &everything,
        )
        .await;
    assert_eq!(json_of(res).await["refund_fen"], 5980 + 1800);
    let claim = json_of(open_claim(&app, &token, &order, 3).await).await;
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.manager),
            &everything,
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "refund_exceeds_payment").await;
    let res = app
        .get(
            &format!("/api/v1/orders/{}/claims", order["id"]),
            Some(&token),
        )
        .await;
    let claims = json_of(res).await;
    assert_eq!(
        claims[2]["status"], "open",
        "a refused approval leaves the claim open"
    );
    assert_eq!(app.state.payments.sandbox_refund_calls(), 2);
    let res = app
        .get(&format!("/api/v1/orders/{}", order["id"]), Some(&token))
        .await;
    let order_now = json_of(res).await;
    assert_eq!(order_now["refunded_fen"], order_now["paid_fen"]);
    assert_eq!(order_now["refunded_fen"], 2990 + 5980 + 1800);

    let res = app
        .post(
            &claim_path(&floor, &claims[2], "reject"),
            Some(&floor.shop.fulfilment),
            &json!({"reason": "已全额退款"}),
        )
        .await;
    assert_eq!(json_of(res).await["status"], "rejected");
    let key = format!("claim:{}", claims[2]["id"]);
    assert_eq!(
        events_for(&app, &key).await,
        ["claim.opened", "claim.resolved"]
    );
}

#[tokio::test]
async fn a_claim_after_the_window_is_refused() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17302", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "W1", 10, 3).await;
    let (token, order) = floor.delivered_order(&app, "13800193101", 2).await;
    // Delivered 49 hours ago: past the 48 h window for perishables.
    order_event::Entity::update_many()
        .col_expr(
            order_event::Column::CreatedAt,
            Expr::value(Utc::now() - Duration::hours(49)),
        )
        .filter(order_event::Column::OrderId.eq(order["id"].as_i64().unwrap()))
        .filter(order_event::Column::ToStatus.eq("delivered"))
        .exec(&app.state.db)
        .await
        .unwrap();
    let res = open_claim(&app, &token, &order, 1).await;
    assert_problem(res, StatusCode::CONFLICT, "claim_window_closed").await;
    let (other, _) = app.shopper("13800193102").await;
    let res = open_claim(&app, &other, &order, 1).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_reship_is_a_paid_zero_price_order_and_claims_are_counted_per_lot_and_farmer() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17303", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let li = floor.farmer(&app, "李阿姨").await;
    floor.lot(&app, wang, "F1", 2, 2).await;
    floor.lot(&app, li, "F2", 20, 5).await;
    let (token, order) = floor.delivered_order(&app, "13800193201", 3).await;
    let claim = json_of(open_claim(&app, &token, &order, 2).await).await;
    let reship = json!({"resolution": "reship"});
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.fulfilment),
            &reship,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let approved = json_of(res).await;
    let replacement_id = approved["reship_order_id"].as_i64().unwrap();
    let res = app
        .get(
            &floor.path(&format!("/orders/{replacement_id}")),
            Some(&floor.shop.manager),
        )
        .await;
    let replacement = json_of(res).await;
    assert_eq!(replacement["status"], "paid");
    assert_eq!(
        (
            replacement["total_fen"].as_i64(),
            replacement["shipping_fen"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(replacement["lines"][0]["quantity"], 2);
    assert_eq!(replacement["address"]["city"], "杭州市");
    assert_eq!(app.state.payments.sandbox_refund_calls(), 0);
    let events = events_of(&app, order["id"].as_i64().unwrap()).await;
    assert!(!events.is_empty());

    let res = app
        .get(&floor.path("/claims/stats"), Some(&floor.shop.manager))
        .await;
    let stats = json_of(res).await;
    let lots: Vec<(&str, i64)> = stats["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["code"].as_str().unwrap(), l["claims"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        lots,
        [("F1", 1), ("F2", 1)],
        "the claimed line drew from both lots"
    );
    let farmers: Vec<&str> = stats["farmers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["farmer_name"].as_str().unwrap())
        .collect();
    assert_eq!(farmers, ["王大伯", "李阿姨"]);
    assert_eq!(stats["farmers"][0]["approved"], 1);

    let res = app
        .get(
            &floor.path("/claims?status=approved"),
            Some(&floor.shop.fulfilment),
        )
        .await;
    assert_eq!(json_of(res).await["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_reship_is_not_refused_by_the_per_buyer_limit_the_original_used_up() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17305", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "R1", 20, 5).await;
    let res = app
        .request(
            reqwest::Method::PATCH,
            &floor.path(&format!("/skus/{}", floor.sku)),
            Some(&floor.shop.manager),
        )
        .json(&json!({"per_buyer_limit": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (token, order) = floor.delivered_order(&app, "13800193501", 3).await;
    let address = json_of(app.get("/api/v1/me/addresses", Some(&token)).await).await;
    let address = address[0]["id"].as_i64().unwrap();
    let res = crate::orders::buy(&app, &token, address, floor.sku, 1).await;
    assert_problem(res, StatusCode::CONFLICT, "limit_exceeded").await;

    let claim = json_of(open_claim(&app, &token, &order, 2).await).await;
    let res = app
        .post(
            &claim_path(&floor, &claim, "approve"),
            Some(&floor.shop.fulfilment),
            &json!({"resolution": "reship"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", json_of(res).await);
}
