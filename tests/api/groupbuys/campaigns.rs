//! Pickup points near a resident, campaign validation, opening with stock set
//! aside, joining rules, progress and cancellation.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;
use crate::helpers::{assert_problem, json_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn residents_find_pickup_points_nearest_first_within_the_radius() {
    let app = spawn_app().await;
    let scene = scene(&app, "16101", 100).await;
    let res = app
        .get(
            "/api/v1/groupbuys/pickup-points/nearby?lat=29.4770&lng=119.2790&radius_m=1500",
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let found = json_of(res).await;
    let ids: Vec<i64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    // 江滨 is ~30 m away, 府前 ~830 m, 洋溪 ~2 km (outside the radius).
    assert_eq!(ids, vec![scene.points[0], scene.points[1]]);
    assert!(found[0]["distance_m"].as_i64().unwrap() < found[1]["distance_m"].as_i64().unwrap());
    let res = app
        .get(
            "/api/v1/groupbuys/pickup-points/nearby?lat=95&lng=119.2790",
            None,
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    // A leader lists only their own points; a manager all of them.
    let path = format!(
        "/api/v1/workshops/{}/groupbuys/pickup-points",
        scene.shop.id
    );
    let mine = json_of(app.get(&path, Some(&scene.other_leader)).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let all = json_of(app.get(&path, Some(&scene.shop.manager)).await).await;
    assert_eq!(all.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_campaigns_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let scene = scene(&app, "16102", 100).await;
    let path = format!("/api/v1/workshops/{}/groupbuys/campaigns", scene.shop.id);
    let good = campaign_body(&scene, 50, 5);
    let cases = [
        (
            "items[0].tiers[1].price_fen",
            json!([{"min_units": 10, "price_fen": 3990}, {"min_units": 20, "price_fen": 3990}]),
        ),
        (
            "items[0].tiers[1].min_units",
            json!([{"min_units": 10, "price_fen": 3990}, {"min_units": 10, "price_fen": 3490}]),
        ),
        (
            "items[0].tiers[0].price_fen",
            json!([{"min_units": 10, "price_fen": 5990}]),
        ),
    ];
    for (field, tiers) in cases {
        let mut body = good.clone();
        body["items"][0]["tiers"] = tiers;
        let problem = assert_problem(
            app.post(&path, Some(&scene.shop.manager), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let mut body = good.clone();
    body["opens_at"] = json!(chrono::Utc::now() + chrono::Duration::hours(3));
    let problem = assert_problem(
        app.post(&path, Some(&scene.shop.manager), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "cuts_off_at");
    let mut body = good.clone();
    body["pickup_point_ids"] = json!([scene.points[0], 999_999]);
    let problem = assert_problem(
        app.post(&path, Some(&scene.shop.manager), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "pickup_point_ids[1]");
    let mut body = good.clone();
    body["items"][0]["sku_id"] = json!(999_999);
    body["min_total_units"] = json!(51);
    let problem = assert_problem(
        app.post(&path, Some(&scene.shop.manager), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}"); // min_total_units (422 before the lookups)
    let mut body = good.clone();
    body["items"][0]["sku_id"] = json!(999_999);
    assert_problem(
        app.post(&path, Some(&scene.shop.manager), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    // Only managers create campaigns.
    let res = app.post(&path, Some(&scene.shop.leader), &good).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let listed = json_of(app.get(&path, Some(&scene.shop.manager)).await).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    assert_eq!(app.stock(scene.sku).await.reserved, 0);

    // Opening more units than the SKU holds is refused whole.
    let (id, _) = open_campaign(&app, &scene, &campaign_body(&scene, 60, 5)).await;
    let mut body = good.clone();
    body["items"][0]["quantity"] = json!(50);
    let res = app.post(&path, Some(&scene.shop.manager), &body).await;
    let second = json_of(res).await["id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("{path}/{second}/open"),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "out_of_stock").await;
    let res = app
        .get(&format!("/api/v1/groupbuys/campaigns/{second}"), None)
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await; // drafts are not public
    let listed = json_of(app.get(&path, Some(&scene.shop.manager)).await).await;
    assert_eq!(
        listed["items"][1]["status"], "draft",
        "the failed opening changed nothing"
    );
    let res = app
        .post(
            &format!("{path}/{id}/open"),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    assert_eq!(app.stock(scene.sku).await.reserved, 60);
}

#[tokio::test]
async fn joining_follows_the_campaign_rules_and_progress_shows_the_tiers() {
    let app = spawn_app().await;
    let scene = scene(&app, "16103", 100).await;
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 30, 5)).await;
    assert_eq!(
        app.stock(scene.sku).await.reserved,
        30,
        "the campaign's units are set aside"
    );
    let (alice, _) = app.shopper("13810300001").await;
    let res = join(&app, &alice, id, item, 4, scene.points[0]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = json_of(res).await;
    assert_eq!(order["channel"], "groupbuy");
    assert_eq!(order["campaign_id"], id);
    assert_eq!(order["pickup_point_id"], scene.points[0]);
    assert_eq!(order["lines"][0]["unit_price_fen"], 4990);
    assert_eq!(order["shipping_fen"], 0);
    assert_eq!(order["total_fen"], 4 * 4990);
    // The per-buyer limit spans the campaign.
    let res = join(&app, &alice, id, item, 2, scene.points[0]).await;
    assert_problem(res, StatusCode::CONFLICT, "limit_exceeded").await;
    let res = join(&app, &alice, id, item, 1, 999_999).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let (bob, _) = app.shopper("13810300002").await;
    let res = join(&app, &bob, id, item, 5, scene.points[2]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (carol, _) = app.shopper("13810300003").await;
    join_and_pay(&app, &carol, id, item, 2, scene.points[1]).await;

    let progress = json_of(
        app.get(&format!("/api/v1/groupbuys/campaigns/{id}/progress"), None)
            .await,
    )
    .await;
    assert_eq!(progress["accepting_orders"], true);
    assert_eq!(progress["units_sold"], 11);
    assert_eq!(progress["items"][0]["current_price_fen"], 3990);
    assert_eq!(progress["items"][0]["units_to_next_tier"], 9);
    assert_eq!(progress["items"][0]["next_tier_price_fen"], 3490);
    assert_eq!(progress["items"][0]["units_left"], 19);
    assert!(progress["seconds_left"].as_i64().unwrap() > 3600);

    // Idempotent joins: a retry answers the first order.
    let (dave, _) = app.shopper("13810300004").await;
    let send = || {
        app.request(
            reqwest::Method::POST,
            &format!("/api/v1/groupbuys/campaigns/{id}/orders"),
            Some(&dave),
        )
        .header("Idempotency-Key", "join-1")
        .json(&json!({"item_id": item, "quantity": 1, "pickup_point_id": scene.points[0]}))
        .send()
    };
    let first = json_of(send().await.unwrap()).await;
    let again = json_of(send().await.unwrap()).await;
    assert_eq!(first["id"], again["id"]);

    let view = cut_off(&app, &scene, id).await;
    assert_eq!(view["status"], "failed", "2 paid units < 5");
    let res = join(&app, &dave, id, item, 1, scene.points[0]).await;
    assert_problem(res, StatusCode::CONFLICT, "campaign_closed").await;
}

#[tokio::test]
async fn a_cancelled_campaign_refunds_everyone_and_returns_its_stock() {
    let app = spawn_app().await;
    let scene = scene(&app, "16104", 100).await;
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 40, 5)).await;
    let (alice, _) = app.shopper("13810400001").await;
    let (bob, _) = app.shopper("13810400002").await;
    let paid = join_and_pay(&app, &alice, id, item, 3, scene.points[0]).await;
    let res = join(&app, &bob, id, item, 2, scene.points[1]).await;
    let unpaid = json_of(res).await["id"].as_i64().unwrap();
    let calls = app.state.payments.sandbox_refund_calls();
    let res = app
        .post(
            &format!(
                "/api/v1/workshops/{}/groupbuys/campaigns/{id}/cancel",
                scene.shop.id
            ),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["status"], "cancelled");
    assert_eq!(app.state.payments.sandbox_refund_calls() - calls, 1);
    assert_eq!(my_order(&app, &alice, paid).await["status"], "refunded");
    assert_eq!(my_order(&app, &bob, unpaid).await["status"], "cancelled");
    let (paid_fen, refunded_fen, units) = assert_money_balances(&app, id).await;
    assert_eq!((paid_fen, refunded_fen, units), (3 * 4990, 3 * 4990, 0));
    let stock = app.stock(scene.sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved),
        (100, 0),
        "every unit is back on the SKU"
    );
    assert_eq!(stock.on_hand, stock.movements);
    let res = app
        .post(
            &format!(
                "/api/v1/workshops/{}/groupbuys/campaigns/{id}/cancel",
                scene.shop.id
            ),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
}

#[tokio::test]
async fn every_group_buy_endpoint_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = json_of(app.get("/api/openapi.json", None).await).await;
    let paths = doc["paths"].as_object().unwrap();
    let ours: Vec<&String> = paths.keys().filter(|p| p.contains("groupbuys")).collect();
    for expected in [
        "/api/v1/workshops/{workshop_id}/groupbuys/leaders",
        "/api/v1/workshops/{workshop_id}/groupbuys/pickup-points",
        "/api/v1/groupbuys/pickup-points/nearby",
        "/api/v1/workshops/{workshop_id}/groupbuys/campaigns",
        "/api/v1/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/open",
        "/api/v1/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/cut-off",
        "/api/v1/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/cancel",
        "/api/v1/workshops/{workshop_id}/groupbuys/campaigns/{campaign_id}/complete",
        "/api/v1/groupbuys/campaigns/{campaign_id}",
        "/api/v1/groupbuys/campaigns/{campaign_id}/progress",
        "/api/v1/groupbuys/campaigns/{campaign_id}/orders",
        "/api/v1/workshops/{workshop_id}/groupbuys/pickups",
        "/api/v1/workshops/{workshop_id}/groupbuys/pickup-points/{point_id}/verify",
        "/api/v1/groupbuys/orders",
        "/api/v1/groupbuys/orders/{order_id}",
        "/api/v1/workshops/{workshop_id}/groupbuys/leaders/{leader_id}/commission",
    ] {
        assert!(
            paths.contains_key(expected),
            "{expected} missing from {ours:?}"
        );
    }
    assert_eq!(ours.len(), 16);
}

#[tokio::test]
async fn a_pickup_point_takes_no_more_orders_than_its_daily_capacity() {
    let app = spawn_app().await;
    let mut scene = scene(&app, "16105", 100).await;
    let small =
        point_with_capacity(1, &app, &scene.shop, scene.leader_id, "小站", 29.47, 119.28).await;
    scene.points.push(small);
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 30, 5)).await;
    let (alice, _) = app.shopper("13810500001").await;
    let (bob, _) = app.shopper("13810500002").await;
    assert_eq!(
        join(&app, &alice, id, item, 1, small).await.status(),
        StatusCode::CREATED
    );
    let res = join(&app, &bob, id, item, 1, small).await;
    assert_problem(res, StatusCode::CONFLICT, "pickup_point_full").await;
    assert_eq!(
        join(&app, &bob, id, item, 1, scene.points[0])
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn joins_of_two_campaigns_at_once_never_overbook_a_shared_pickup_point() {
    // 40 joins queue for SQLite's one writer; a loaded machine must not turn
    // that queue into 503s.
    let app = spawn_app_with(|s| s.database.acquire_timeout_ms = 30_000).await;
    let mut scene = scene(&app, "16106", 200).await;
    let small =
        point_with_capacity(3, &app, &scene.shop, scene.leader_id, "小站", 29.47, 119.28).await;
    scene.points.push(small);
    let body = campaign_body(&scene, 40, 5);
    let campaigns = [
        open_campaign(&app, &scene, &body).await,
        open_campaign(&app, &scene, &body).await,
    ];
    let mut shoppers = Vec::new();
    for n in 0..40 {
        shoppers.push(app.shopper(&format!("138106{n:05}")).await.0);
    }
    let joins = shoppers.iter().enumerate().map(|(n, token)| {
        let (id, item) = campaigns[n % 2];
        join(&app, token, id, item, 1, small)
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(joins)
        .await
        .iter()
        .map(|res| res.status())
        .collect();
    let booked = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let full = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((booked, full), (3, 37), "{statuses:?}");
}
