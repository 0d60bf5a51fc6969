//! Pickup: leaders see and verify only their own points' orders, wrong codes
//! are rate-limited, residents see only their own codes, and commission equals
//! the rate × the final amounts of collected orders, after refunds.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app};

struct Settled {
    scene: Scene,
    /// (token, order id, pickup point) per buyer.
    buyers: Vec<(String, i64, i64)>,
    date: String,
}

/// Six buyers × 4 units over the three points; 24 units reach ¥34.90.
async fn settled_campaign(app: &TestApp, prefix: &str) -> Settled {
    let scene = scene(app, prefix, 100).await;
    let body = campaign_body(&scene, 60, 5);
    let date = body["pickup_date"].as_str().unwrap().to_owned();
    let (id, item) = open_campaign(app, &scene, &body).await;
    let mut buyers = Vec::new();
    for n in 0..6 {
        let (token, _) = app.shopper(&format!("138{prefix}{n:03}")).await;
        let point = scene.points[n % 3];
        let order = join_and_pay(app, &token, id, item, 4, point).await;
        buyers.push((token, order, point));
    }
    assert_eq!(cut_off(app, &scene, id).await["status"], "succeeded");
    let picked = pick_all(app, &scene).await;
    assert_eq!(picked.len(), 6, "the wave takes every paid pickup order");
    Settled {
        scene,
        buyers,
        date,
    }
}

async fn verify(
    app: &TestApp,
    s: &Scene,
    token: &str,
    point: i64,
    code: &str,
) -> reqwest::Response {
    app.post(
        &format!(
            "/api/v1/workshops/{}/groupbuys/pickup-points/{point}/verify",
            s.shop.id
        ),
        Some(token),
        &json!({"code": code}),
    )
    .await
}

async fn code_of(app: &TestApp, token: &str, order: i64) -> String {
    my_order(app, token, order).await["pickup_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn statement(app: &TestApp, s: &Scene, token: &str, leader: i64) -> Value {
    let month = Utc::now().format("%Y-%m");
    let res = app
        .get(
            &format!(
                "/api/v1/workshops/{}/groupbuys/leaders/{leader}/commission?month={month}",
                s.shop.id
            ),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

#[tokio::test]
async fn leaders_see_and_verify_only_their_own_points_and_residents_only_their_codes() {
    let app = spawn_app().await;
    let Settled {
        scene,
        buyers,
        date,
    } = settled_campaign(&app, "16301").await;
    let list = |token: &str| {
        let path = format!(
            "/api/v1/workshops/{}/groupbuys/pickups?date={date}",
            scene.shop.id
        );
        let app = &app;
        let token = token.to_owned();
        async move { json_of(app.get(&path, Some(&token)).await).await }
    };
    let mine = list(&scene.shop.leader).await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        4,
        "points 0 and 1: buyers 0, 1, 3, 4"
    );
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|e| e["pickup_point_id"] != scene.points[2])
    );
    assert!(mine[0]["customer_phone"].as_str().unwrap().contains("****"));
    assert_eq!(list(&scene.other_leader).await.as_array().unwrap().len(), 2);
    assert_eq!(list(&scene.shop.manager).await.as_array().unwrap().len(), 6);

    // Residents see their own code, never another's.
    let (alice, alice_order, alice_point) = &buyers[0];
    let (bob, _, _) = &buyers[1];
    let res = app
        .get(
            &format!("/api/v1/groupbuys/orders/{alice_order}"),
            Some(bob),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let listed = json_of(app.get("/api/v1/groupbuys/orders", Some(alice)).await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let code = code_of(&app, alice, *alice_order).await;
    assert_eq!(listed["items"][0]["pickup_code"], code.as_str());

    // Picked but not yet dispatched: the right code cannot collect it.
    let res = verify(&app, &scene, &scene.shop.leader, *alice_point, &code).await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    dispatch(&app, &scene, *alice_order).await;
    // Another leader's point is not theirs to verify.
    let res = verify(&app, &scene, &scene.other_leader, *alice_point, &code).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = verify(&app, &scene, &scene.shop.leader, *alice_point, &code).await;
    assert_eq!(res.status(), StatusCode::OK);
    let entry = json_of(res).await;
    assert_eq!(entry["status"], "delivered");
    assert_eq!(entry["collected"], true);
    let res = verify(&app, &scene, &scene.shop.leader, *alice_point, &code).await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    assert_eq!(
        my_order(&app, alice, *alice_order).await["status"],
        "delivered"
    );
}

#[tokio::test]
async fn repeated_wrong_codes_are_rate_limited_per_leader_and_point() {
    let app = spawn_app().await;
    let Settled { scene, buyers, .. } = settled_campaign(&app, "16302").await;
    let (token, order, point) = &buyers[0];
    dispatch(&app, &scene, *order).await;
    let code = code_of(&app, token, *order).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let res = verify(&app, &scene, &scene.shop.leader, *point, wrong).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_pickup_code").await;
    }
    let res = verify(&app, &scene, &scene.shop.leader, *point, &code).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The limit is per point: the leader's other point still works.
    let (token, order, other_point) = &buyers[1];
    dispatch(&app, &scene, *order).await;
    let code = code_of(&app, token, *order).await;
    let res = verify(&app, &scene, &scene.shop.leader, *other_point, &code).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn commission_is_the_rate_times_final_amounts_of_collected_orders_after_refunds() {
    let app = spawn_app().await;
    let Settled { scene, buyers, .. } = settled_campaign(&app, "16303").await;
    // The first leader's buyers (points 0 and 1) collect; one is refunded a unit later.
    let mine: Vec<_> = buyers.iter().filter(|b| b.2 != scene.points[2]).collect();
    for (token, order, point) in &mine {
        dispatch(&app, &scene, *order).await;
        let code = code_of(&app, token, *order).await;
        assert_eq!(
            verify(&app, &scene, &scene.shop.leader, *point, &code)
                .await
                .status(),
            StatusCode::OK
        );
    }
    let before = statement(&app, &scene, &scene.shop.leader, scene.leader_id).await;
    // 4 units × ¥34.90 = 13960 fen; 5 % = 698 fen per order, 4 orders.
    assert_eq!(before["accrued_fen"], 4 * 698);
    assert_eq!(before["total_fen"], 4 * 698);

    let (_, order, _) = mine[0];
    let line = json_of(
        app.get(
            &format!("/api/v1/workshops/{}/orders/{order}", scene.shop.id),
            Some(&scene.shop.manager),
        )
        .await,
    )
    .await["lines"][0]["id"]
        .as_i64()
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/orders/{order}/refunds", scene.shop.id),
            Some(&scene.shop.manager),
            &json!({"lines": [{"line_id": line, "quantity": 1}], "reason": "一盒压坏"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        json_of(res).await["amount_fen"],
        3490,
        "refunded at the final tier price"
    );
    let after = statement(&app, &scene, &scene.shop.manager, scene.leader_id).await;
    // 3 units × ¥34.90 = 10470 fen; 5 % = 523.5 → 524 fen (halves up): reversal 174.
    assert_eq!(after["reversed_fen"], 698 - 524);
    assert_eq!(after["total_fen"], 3 * 698 + 524);
    let rows = after["rows"].as_array().unwrap();
    assert_eq!(rows.last().unwrap()["kind"], "reversal");
    println!(
        "commission: 4 collected orders x 13960 fen at 500 bps = {} fen; after a 3490 fen refund the total is {} fen",
        before["total_fen"], after["total_fen"]
    );
    // The other leader earned nothing (nothing collected) and cannot read this statement.
    let month = Utc::now().format("%Y-%m");
    let res = app
        .get(
            &format!(
                "/api/v1/workshops/{}/groupbuys/leaders/{}/commission?month={month}",
                scene.shop.id, scene.leader_id
            ),
            Some(&scene.other_leader),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let other = statement(&app, &scene, &scene.other_leader, scene.other_leader_id).await;
    assert_eq!(other["total_fen"], 0);
}
