//! Pick waves: FEFO lots across a line, no expired lot, shortages reported
//! per order, filters, and no order in two waves under real concurrency.

use std::collections::HashSet;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Floor, order_ids};
use crate::fixtures::SkuSpec;
use crate::helpers::{assert_problem, json_of, spawn_app, spawn_peer};

fn lots_of(line: &Value) -> Vec<(String, i64)> {
    line["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["code"].as_str().unwrap().to_owned(),
                l["units"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_wave_takes_the_soonest_expiring_good_lots_and_never_an_expired_one() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17001", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let li = floor.farmer(&app, "李阿姨").await;
    floor.lot(&app, wang, "OLD", 50, -1).await;
    floor.lot(&app, li, "L5", 3, 5).await;
    floor.lot(&app, wang, "L2", 4, 2).await;
    floor.lot(&app, li, "L9", 100, 9).await;
    let (_, first) = floor.paid_order(&app, "13800171001", 5).await;
    let (_, second) = floor.paid_order(&app, "13800171002", 3).await;

    let wave = floor.create_wave(&app, json!({})).await;
    assert_eq!(
        order_ids(&wave),
        vec![
            first["id"].as_i64().unwrap(),
            second["id"].as_i64().unwrap()
        ]
    );
    assert!(wave["shortages"].as_array().unwrap().is_empty());
    assert_eq!(wave["skus"][0]["total_units"], 8);
    assert_eq!(wave["skus"][0]["orders"], 2);
    assert!(
        wave["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "picking")
    );

    let wave_id = wave["id"].as_i64().unwrap();
    let res = app
        .get(
            &floor.path(&format!("/waves/{wave_id}/pick-list")),
            Some(&floor.shop.fulfilment),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = json_of(res).await;
    let sku_lots = lots_of(&list["skus"][0]);
    assert_eq!(
        sku_lots,
        vec![("L2".into(), 4), ("L5".into(), 3), ("L9".into(), 1)]
    );
    assert_eq!(list["skus"][0]["lots"][0]["farmer_name"], "王大伯");
    assert_eq!(
        lots_of(&list["orders"][0]["lines"][0]),
        vec![("L2".into(), 4), ("L5".into(), 1)]
    );
    assert_eq!(
        lots_of(&list["orders"][1]["lines"][0]),
        vec![("L5".into(), 2), ("L9".into(), 1)]
    );
    assert_eq!(list["orders"][0]["cold_chain_required"], true);

    let res = app
        .get(
            &floor.path(&format!("/waves/{wave_id}/pick-list.html")),
            Some(&floor.shop.fulfilment),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("L2") && html.contains("李阿姨") && !html.contains("OLD"));
}

#[tokio::test]
async fn an_order_the_lots_cannot_cover_stays_paid_and_is_reported() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17002", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "A1", 4, 3).await;
    floor.lot(&app, wang, "GONE", 10, -2).await;
    let (_, covered) = floor.paid_order(&app, "13800172001", 3).await;
    let (_, short) = floor.paid_order(&app, "13800172002", 3).await;

    let wave = floor.create_wave(&app, json!({})).await;
    assert_eq!(order_ids(&wave), vec![covered["id"].as_i64().unwrap()]);
    let shortage = &wave["shortages"][0];
    assert_eq!(shortage["order_id"], short["id"]);
    assert_eq!(
        (shortage["needed"].as_i64(), shortage["available"].as_i64()),
        (Some(3), Some(1))
    );
    let short_id = short["id"].as_i64().unwrap();
    assert_eq!(floor.order_status(&app, short_id).await, "paid");
    let res = app
        .get(
            &floor.path(&format!("/lots/{lot}")),
            Some(&floor.shop.manager),
        )
        .await;
    assert_eq!(
        json_of(res).await["remaining"],
        1,
        "the short order took nothing"
    );

    // More fruit arrives: the next wave picks the order that was short.
    floor.lot(&app, wang, "A2", 5, 4).await;
    let wave = floor.create_wave(&app, json!({})).await;
    assert_eq!(order_ids(&wave), vec![short_id]);
}

#[tokio::test]
async fn waves_filter_by_storage_destination_and_ship_by_date() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17003", "chilled").await;
    let ambient = app
        .sku(
            floor.shop.id,
            SkuSpec {
                stock: 0,
                storage: "ambient",
                ..Default::default()
            },
        )
        .await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "C1", 20, 3).await;
    floor.lot_of(&app, ambient, wang, "T1", 20, 300).await;
    let (_, chilled_order) = floor.paid_order(&app, "13800173001", 2).await;
    let (token, address) = app.shopper("13800173002").await;
    let res = crate::orders::buy(&app, &token, address, ambient, 2).await;
    let ambient_order = json_of(res).await;
    crate::orders::pay(&app, &token, ambient_order["id"].as_i64().unwrap()).await;

    let too_early = super::support::day(-3);
    let wave = floor.create_wave(&app, json!({"ship_by": too_early})).await;
    assert!(order_ids(&wave).is_empty());
    assert_eq!(wave["status"], "closed", "an empty wave is closed at once");
    let wave = floor
        .create_wave(&app, json!({"destination": "pickup_point"}))
        .await;
    assert!(order_ids(&wave).is_empty());
    let wave = floor
        .create_wave(&app, json!({"storage": "chilled", "destination": "address", "ship_by": super::support::day(2)}))
        .await;
    assert_eq!(
        order_ids(&wave),
        vec![chilled_order["id"].as_i64().unwrap()]
    );
    let wave = floor.create_wave(&app, json!({"storage": "ambient"})).await;
    assert_eq!(
        order_ids(&wave),
        vec![ambient_order["id"].as_i64().unwrap()]
    );

    let res = app
        .get(&floor.path("/waves?status=open"), Some(&floor.shop.manager))
        .await;
    let page = json_of(res).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["order_count"], 1);

    let res = app
        .post(
            &floor.path("/waves"),
            Some(&floor.shop.fulfilment),
            &json!({"storage": "warm"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &floor.path("/waves"),
            Some(&floor.shop.fulfilment),
            &json!({"max_orders": 0}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn only_the_workshops_fulfilment_staff_and_managers_run_waves() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17004", "ambient").await;
    let res = app
        .post(
            &floor.path("/waves"),
            Some(&floor.shop.streamer),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let admin = app.admin().await;
    let other = app.workshop(&admin, "17005").await;
    let res = app
        .post(&floor.path("/waves"), Some(&other.fulfilment), &json!({}))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .get(&floor.path("/waves/1"), Some(&floor.shop.manager))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn waves_created_at_the_same_moment_on_two_instances_never_share_an_order() {
    let app = spawn_app().await;
    let peer = spawn_peer(&app).await;
    let floor = Floor::new(&app, "17006", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let b1 = floor.lot(&app, wang, "B1", 25, 2).await;
    let b2 = floor.lot(&app, wang, "B2", 25, 3).await;
    let mut expected = HashSet::new();
    for n in 0..24 {
        let (_, order) = floor.paid_order(&app, &format!("138001760{n:02}"), 2).await;
        expected.insert(order["id"].as_i64().unwrap());
    }

    let (path, body) = (floor.path("/waves"), json!({}));
    let creators = (0..6).map(|i| {
        let instance = if i % 2 == 0 { &app } else { &peer };
        instance.post(&path, Some(&floor.shop.fulfilment), &body)
    });
    let mut seen = HashSet::new();
    for res in join_all(creators).await {
        assert_eq!(res.status(), StatusCode::CREATED);
        let wave = json_of(res).await;
        assert!(wave["shortages"].as_array().unwrap().is_empty());
        for id in order_ids(&wave) {
            assert!(seen.insert(id), "order {id} is in two waves");
        }
    }
    assert_eq!(seen, expected);
    let mut lots_taken = 0;
    for order in &expected {
        let res = app
            .get(
                &floor.path(&format!("/orders/{order}/trace")),
                Some(&floor.shop.manager),
            )
            .await;
        let trace = json_of(res).await;
        let units: i64 = trace[0]["lots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["units"].as_i64().unwrap())
            .sum();
        assert_eq!(units, 2);
        lots_taken += units;
    }
    assert_eq!(lots_taken, 48);
    let mut left = 0;
    for lot in [b1, b2] {
        let res = app
            .get(
                &floor.path(&format!("/lots/{lot}")),
                Some(&floor.shop.manager),
            )
            .await;
        left += json_of(res).await["remaining"].as_i64().unwrap();
    }
    assert_eq!(left, 2, "each unit picked once");
}
