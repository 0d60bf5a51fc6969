//! Traceability: an order line's lots and farmers, and a lot's recipients.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::json;

use super::support::Floor;
use crate::helpers::{assert_problem, json_of, spawn_app};

#[tokio::test]
async fn a_recall_returns_exactly_the_orders_that_received_a_lot() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17201", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let li = floor.farmer(&app, "李阿姨").await;
    let first_lot = floor.lot(&app, wang, "R1", 3, 1).await;
    let second_lot = floor.lot(&app, li, "R2", 10, 4).await;
    let unused_lot = floor.lot(&app, li, "R3", 10, 8).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let (_, order) = floor.paid_order(&app, &format!("1380019100{n}"), 2).await;
        ids.push(order["id"].as_i64().unwrap());
    }
    floor.create_wave(&app, json!({})).await;

    let recipients = |lot: i64| {
        let app = &app;
        let path = floor.path(&format!("/lots/{lot}/recipients"));
        let token = floor.shop.manager.clone();
        async move {
            let res = app.get(&path, Some(&token)).await;
            assert_eq!(res.status(), StatusCode::OK);
            let recall = json_of(res).await;
            let orders: BTreeSet<i64> = recall["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["order_id"].as_i64().unwrap())
                .collect();
            (recall, orders)
        }
    };
    let (recall, orders) = recipients(first_lot).await;
    assert_eq!(orders, BTreeSet::from([ids[0], ids[1]]));
    assert_eq!(recall["lot"]["units"], 3);
    assert_eq!(recall["lot"]["farmer_name"], "王大伯");
    assert_eq!(
        recipients(second_lot).await.1,
        BTreeSet::from([ids[1], ids[2]])
    );
    assert!(recipients(unused_lot).await.1.is_empty());

    let res = app
        .get(
            &floor.path(&format!("/orders/{}/trace", ids[1])),
            Some(&floor.shop.fulfilment),
        )
        .await;
    let trace = json_of(res).await;
    let farmers: Vec<&str> = trace[0]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["farmer_name"].as_str().unwrap())
        .collect();
    assert_eq!(farmers, ["王大伯", "李阿姨"]);

    let admin = app.admin().await;
    let other = app.workshop(&admin, "17202").await;
    let res = app
        .get(
            &format!("/api/v1/workshops/{}/lots/{first_lot}/recipients", other.id),
            Some(&other.manager),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}
