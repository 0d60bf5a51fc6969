//! Refunding an order already in a pick wave but not shipped: the refunded
//! units go back to the lots the wave took them from (latest expiry first),
//! traceability and recalls no longer list them, and a later wave can take
//! them. A shipped order's refund leaves its lots alone.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Floor, order_ids};
use crate::helpers::{TestApp, json_of, spawn_app};

async fn remaining(app: &TestApp, floor: &Floor, lot: i64) -> i64 {
    let res = app
        .get(
            &floor.path(&format!("/lots/{lot}")),
            Some(&floor.shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["remaining"].as_i64().unwrap()
}

async fn refund(app: &TestApp, floor: &Floor, order: &Value, units: Option<i64>) -> Value {
    let id = order["id"].as_i64().unwrap();
    let line = order["lines"][0]["id"].as_i64().unwrap();
    let body = match units {
        Some(n) => json!({"lines": [{"line_id": line, "quantity": n}], "reason": "压坏"}),
        None => json!({"reason": "缺货"}),
    };
    let res = app
        .post(
            &floor.path(&format!("/orders/{id}/refunds")),
            Some(&floor.shop.manager),
            &body,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    json_of(res).await
}

/// (lot id, units) of the order's first line, soonest expiry first.
async fn traced(app: &TestApp, floor: &Floor, order_id: i64) -> Vec<(i64, i64)> {
    let res = app
        .get(
            &floor.path(&format!("/orders/{order_id}/trace")),
            Some(&floor.shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await[0]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["lot_id"].as_i64().unwrap(), l["units"].as_i64().unwrap()))
        .collect()
}

/// (order id, units) the lot's recall lists, and the lot's total.
async fn recalled(app: &TestApp, floor: &Floor, lot: i64) -> (Vec<(i64, i64)>, i64) {
    let res = app
        .get(
            &floor.path(&format!("/lots/{lot}/recipients")),
            Some(&floor.shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let recall = json_of(res).await;
    let orders = recall["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["order_id"].as_i64().unwrap(),
                o["units"].as_i64().unwrap(),
            )
        })
        .collect();
    (orders, recall["lot"]["units"].as_i64().unwrap())
}

async fn pick_list_units(app: &TestApp, floor: &Floor, wave_id: i64) -> i64 {
    let res = app
        .get(
            &floor.path(&format!("/waves/{wave_id}/pick-list")),
            Some(&floor.shop.fulfilment),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["total_units"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_refund_while_picking_gives_the_units_back_to_their_lot() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17701", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "F1", 10, 5).await;
    let (_, order) = floor.paid_order(&app, "13800177001", 3).await;
    let id = order["id"].as_i64().unwrap();
    let wave = floor.create_wave(&app, json!({})).await;
    let wave_id = wave["id"].as_i64().unwrap();
    assert_eq!(remaining(&app, &floor, lot).await, 7);
    assert_eq!(app.stock(floor.sku).await.on_hand, 7);

    refund(&app, &floor, &order, Some(2)).await;
    assert_eq!(remaining(&app, &floor, lot).await, 9, "two units are back");
    let stock = app.stock(floor.sku).await;
    assert_eq!(stock.on_hand, 9, "the SKU agrees with its lot");
    assert_eq!(stock.on_hand, stock.movements);
    assert_eq!(floor.order_status(&app, id).await, "picking");
    assert_eq!(traced(&app, &floor, id).await, vec![(lot, 1)]);
    assert_eq!(recalled(&app, &floor, lot).await, (vec![(id, 1)], 1));
    assert_eq!(pick_list_units(&app, &floor, wave_id).await, 1);

    // The last unit too: nothing of the order stays allocated.
    refund(&app, &floor, &order, Some(1)).await;
    assert_eq!(remaining(&app, &floor, lot).await, 10);
    assert_eq!(app.stock(floor.sku).await.on_hand, 10);
    assert_eq!(floor.order_status(&app, id).await, "refunded");
    assert_eq!(traced(&app, &floor, id).await, vec![]);
    assert_eq!(recalled(&app, &floor, lot).await, (vec![], 0));
    assert_eq!(pick_list_units(&app, &floor, wave_id).await, 0);
}

#[tokio::test]
async fn a_full_refund_frees_every_unit_for_the_next_wave() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17702", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "F2", 5, 5).await;
    let (_, first) = floor.paid_order(&app, "13800177011", 3).await;
    let first_id = first["id"].as_i64().unwrap();
    floor.create_wave(&app, json!({})).await;
    assert_eq!(remaining(&app, &floor, lot).await, 2);

    refund(&app, &floor, &first, None).await;
    assert_eq!(remaining(&app, &floor, lot).await, 5, "all three are back");
    assert_eq!(app.stock(floor.sku).await.on_hand, 5);
    assert_eq!(floor.order_status(&app, first_id).await, "refunded");
    assert_eq!(traced(&app, &floor, first_id).await, vec![]);
    assert_eq!(recalled(&app, &floor, lot).await, (vec![], 0));

    // Every unit on hand is in the lot, so a five-unit order is waved.
    let (_, second) = floor.paid_order(&app, "13800177012", 5).await;
    let second_id = second["id"].as_i64().unwrap();
    let wave = floor.create_wave(&app, json!({})).await;
    assert_eq!(order_ids(&wave), vec![second_id]);
    assert!(wave["shortages"].as_array().unwrap().is_empty());
    assert_eq!(remaining(&app, &floor, lot).await, 0);
    assert_eq!(recalled(&app, &floor, lot).await, (vec![(second_id, 5)], 5));
}

#[tokio::test]
async fn refunded_units_leave_the_latest_expiring_lot_first() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17703", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let soon = floor.lot(&app, wang, "F3", 2, 2).await;
    let later = floor.lot(&app, wang, "F4", 10, 6).await;
    let (_, order) = floor.paid_order(&app, "13800177021", 4).await;
    let id = order["id"].as_i64().unwrap();
    floor.create_wave(&app, json!({})).await;
    assert_eq!(traced(&app, &floor, id).await, vec![(soon, 2), (later, 2)]);
    // Packed is still in the workshop.
    assert_eq!(floor.pack(&app, id, true).await.status(), StatusCode::OK);

    refund(&app, &floor, &order, Some(3)).await;
    assert_eq!(
        (
            remaining(&app, &floor, soon).await,
            remaining(&app, &floor, later).await
        ),
        (1, 10),
        "the later lot's two first, then one of the sooner lot's"
    );
    assert_eq!(traced(&app, &floor, id).await, vec![(soon, 1)]);
    assert_eq!(recalled(&app, &floor, later).await, (vec![], 0));
    assert_eq!(recalled(&app, &floor, soon).await, (vec![(id, 1)], 1));
    assert_eq!(app.stock(floor.sku).await.on_hand, 11);
    assert_eq!(floor.order_status(&app, id).await, "packed");
}

#[tokio::test]
async fn a_shipped_orders_refund_leaves_its_lots_alone() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17704", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "F5", 10, 5).await;
    let (_, order) = floor.paid_order(&app, "13800177031", 3).await;
    let id = order["id"].as_i64().unwrap();
    floor.create_wave(&app, json!({})).await;
    assert_eq!(floor.pack(&app, id, true).await.status(), StatusCode::OK);
    assert_eq!(
        floor.ship(&app, id, "SF1770431").await.status(),
        StatusCode::CREATED
    );

    refund(&app, &floor, &order, Some(2)).await;
    assert_eq!(remaining(&app, &floor, lot).await, 7);
    assert_eq!(app.stock(floor.sku).await.on_hand, 7);
    assert_eq!(traced(&app, &floor, id).await, vec![(lot, 3)]);
    assert_eq!(recalled(&app, &floor, lot).await, (vec![(id, 3)], 3));
    assert_eq!(floor.order_status(&app, id).await, "shipped");
}
