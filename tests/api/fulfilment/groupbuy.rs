//! Group-buy orders through fulfilment: a settled campaign's orders are
//! picked by a pickup-point wave, dispatched (order.ready_for_pickup), and
//! collected with the leader's pickup-code check.

use reqwest::StatusCode;
use serde_json::json;

use super::shipping::events_of;
use super::support::order_ids;
use crate::groupbuys::support::{
    campaign_body, cut_off, join_and_pay, my_order, open_campaign, scene,
};
use crate::helpers::{json_of, spawn_app};

#[tokio::test]
async fn a_settled_group_buy_is_picked_dispatched_to_its_points_and_collected() {
    let app = spawn_app().await;
    let scene = scene(&app, "17501", 0).await;
    let shop = scene.shop.id;
    let path = |rest: &str| format!("/api/v1/workshops/{shop}{rest}");
    let body = json!({"name": "王大伯", "village": "徐坑村", "phone": "13900009999"});
    let res = app
        .post(&path("/farmers"), Some(&scene.shop.manager), &body)
        .await;
    let farmer = json_of(res).await["id"].as_i64().unwrap();
    let lot = json!({"sku_id": scene.sku, "farmer_id": farmer, "quantity": 100,
        "harvest_date": super::support::day(-1), "expiry_date": super::support::day(4),
        "floor_price_fen": 1000, "code": "GB1"});
    let res = app
        .post(&path("/lots"), Some(&scene.shop.manager), &lot)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let (campaign, item) = open_campaign(&app, &scene, &campaign_body(&scene, 60, 5)).await;
    let (near, _) = app.shopper("13817501001").await;
    let (far, _) = app.shopper("13817501002").await;
    let near_order = join_and_pay(&app, &near, campaign, item, 4, scene.points[0]).await;
    let far_order = join_and_pay(&app, &far, campaign, item, 3, scene.points[2]).await;
    let res = app
        .post(
            &path("/waves"),
            Some(&scene.shop.fulfilment),
            &json!({"destination": "pickup_point"}),
        )
        .await;
    assert!(
        order_ids(&json_of(res).await).is_empty(),
        "an open campaign's orders wait for its settlement (final price, or refunds)"
    );
    assert_eq!(cut_off(&app, &scene, campaign).await["status"], "succeeded");

    let res = app
        .post(
            &path("/waves"),
            Some(&scene.shop.fulfilment),
            &json!({"destination": "address"}),
        )
        .await;
    assert!(
        order_ids(&json_of(res).await).is_empty(),
        "group-buy orders go to pickup points"
    );
    let res = app
        .post(
            &path("/waves"),
            Some(&scene.shop.fulfilment),
            &json!({"destination": "pickup_point"}),
        )
        .await;
    let wave = json_of(res).await;
    assert_eq!(order_ids(&wave), vec![near_order, far_order]);
    assert_eq!(wave["orders"][0]["pickup_point_id"], scene.points[0]);

    for order in [near_order, far_order] {
        let pack = json!({"package_count": 1, "weight_g": 2000, "cold_chain": true});
        let res = app
            .post(
                &path(&format!("/orders/{order}/pack")),
                Some(&scene.shop.fulfilment),
                &pack,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app
            .post(
                &path(&format!("/orders/{order}/dispatch")),
                Some(&scene.shop.fulfilment),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let events = events_of(&app, order).await;
        assert!(events.iter().any(|e| e == "order.ready_for_pickup"));
    }
    let res = app
        .get(
            &path(&format!("/orders/{near_order}")),
            Some(&scene.shop.manager),
        )
        .await;
    let placed = json_of(res).await;
    assert_eq!(
        (placed["status"].as_str(), placed["campaign_id"].as_i64()),
        (Some("shipped"), Some(campaign))
    );

    let code = my_order(&app, &near, near_order).await["pickup_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            &path(&format!(
                "/groupbuys/pickup-points/{}/verify",
                scene.points[0]
            )),
            Some(&scene.shop.leader),
            &json!({"code": code}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .get(
            &path(&format!("/orders/{near_order}")),
            Some(&scene.shop.manager),
        )
        .await;
    assert_eq!(json_of(res).await["status"], "delivered");

    // Collected today: a spoiled box can still be claimed.
    let res = app
        .get(&format!("/api/v1/orders/{near_order}"), Some(&near))
        .await;
    let line = json_of(res).await["lines"][0]["id"].clone();
    let claim = json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "damaged"});
    let res = app
        .post(
            &format!("/api/v1/orders/{near_order}/claims"),
            Some(&near),
            &claim,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}
