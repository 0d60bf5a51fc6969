//! Cancelling a pick wave: lot units and orders come back and can be waved
//! again; a packed order, a second cancel, a stranger or a customer change
//! nothing; concurrent cancels (and cancel against pack) never return units twice.

use futures_util::future::join_all;
use gongfang::entity::outbox;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::support::{Floor, order_ids};
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app, spawn_app_with, spawn_peer};

fn cancel_path(floor: &Floor, wave_id: i64) -> String {
    floor.path(&format!("/waves/{wave_id}/cancel"))
}

async fn cancel(app: &TestApp, floor: &Floor, wave_id: i64, body: &Value) -> reqwest::Response {
    app.post(
        &cancel_path(floor, wave_id),
        Some(&floor.shop.fulfilment),
        body,
    )
    .await
}

async fn remaining(app: &TestApp, floor: &Floor, lot: i64) -> i64 {
    let res = app
        .get(
            &floor.path(&format!("/lots/{lot}")),
            Some(&floor.shop.manager),
        )
        .await;
    json_of(res).await["remaining"].as_i64().unwrap()
}

async fn wave_of(app: &TestApp, floor: &Floor, wave_id: i64) -> Value {
    let res = app
        .get(
            &floor.path(&format!("/waves/{wave_id}")),
            Some(&floor.shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

async fn traced_units(app: &TestApp, floor: &Floor, order_id: i64) -> i64 {
    let res = app
        .get(
            &floor.path(&format!("/orders/{order_id}/trace")),
            Some(&floor.shop.manager),
        )
        .await;
    json_of(res).await[0]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["units"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_cancelled_wave_gives_back_its_lot_units_and_orders_which_a_new_wave_takes() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17501", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let soon = floor.lot(&app, wang, "S1", 4, 2).await;
    let later = floor.lot(&app, wang, "S2", 10, 5).await;
    let (_, first) = floor.paid_order(&app, "13800175001", 3).await;
    let (_, second) = floor.paid_order(&app, "13800175002", 3).await;
    let ids = vec![
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    ];
    let wave = floor.create_wave(&app, json!({})).await;
    let wave_id = wave["id"].as_i64().unwrap();
    assert_eq!(order_ids(&wave), ids);
    assert_eq!(
        (
            remaining(&app, &floor, soon).await,
            remaining(&app, &floor, later).await
        ),
        (0, 8)
    );

    let res = cancel(&app, &floor, wave_id, &json!({"reason": "冷链车没来"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cancelled = json_of(res).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancellation"]["reason"], "冷链车没来");
    assert!(cancelled["cancellation"]["cancelled_at"].is_string());
    assert!(
        cancelled["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "paid")
    );
    assert_eq!(
        (
            remaining(&app, &floor, soon).await,
            remaining(&app, &floor, later).await
        ),
        (4, 10),
        "every allocated unit is back, none beyond"
    );
    for id in &ids {
        assert_eq!(floor.order_status(&app, *id).await, "paid");
        assert_eq!(traced_units(&app, &floor, *id).await, 0);
        let res = app
            .get(
                &floor.path(&format!("/orders/{id}/events")),
                Some(&floor.shop.manager),
            )
            .await;
        let events = json_of(res).await;
        let last = events.as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["from_status"].clone(), last["to_status"].clone()),
            (json!("picking"), json!("paid"))
        );
        assert_eq!(last["reason"], format!("wave {wave_id} cancelled"));
    }
    let events = outbox::Entity::find()
        .filter(outbox::Column::EventType.eq("wave.cancelled"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let payload: Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(payload["order_ids"], json!(ids));

    // The cancelled wave stays readable, and listable by its status.
    let res = app
        .get(
            &floor.path(&format!("/waves/{wave_id}/pick-list")),
            Some(&floor.shop.fulfilment),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["skus"][0]["total_units"], 6);
    let res = app
        .get(
            &floor.path("/waves?status=cancelled"),
            Some(&floor.shop.manager),
        )
        .await;
    let page = json_of(res).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], wave_id);
    let res = app
        .get(&floor.path("/waves?status=warm"), Some(&floor.shop.manager))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A new wave takes both orders again, from the same lots.
    let again = floor.create_wave(&app, json!({})).await;
    assert_eq!(order_ids(&again), ids);
    assert_eq!(
        (
            remaining(&app, &floor, soon).await,
            remaining(&app, &floor, later).await
        ),
        (0, 8)
    );
    for id in &ids {
        assert_eq!(floor.order_status(&app, *id).await, "picking");
        assert_eq!(traced_units(&app, &floor, *id).await, 3);
    }
    assert_eq!(wave_of(&app, &floor, wave_id).await["status"], "cancelled");
}

#[tokio::test]
async fn a_wave_with_a_packed_order_is_not_cancelled_and_nothing_changes() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17502", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "P1", 10, 5).await;
    let (_, packed) = floor.paid_order(&app, "13800175101", 2).await;
    let (_, picking) = floor.paid_order(&app, "13800175102", 3).await;
    let wave = floor.create_wave(&app, json!({})).await;
    let wave_id = wave["id"].as_i64().unwrap();
    let packed_id = packed["id"].as_i64().unwrap();
    assert_eq!(
        floor.pack(&app, packed_id, false).await.status(),
        StatusCode::OK
    );

    // A `null` body is the schema's "no reason given", like no body at all.
    let res = cancel(&app, &floor, wave_id, &Value::Null).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "wave_not_cancellable").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&packed_id.to_string())
    );
    assert_eq!(remaining(&app, &floor, lot).await, 5);
    assert_eq!(floor.order_status(&app, packed_id).await, "packed");
    let picking_id = picking["id"].as_i64().unwrap();
    assert_eq!(floor.order_status(&app, picking_id).await, "picking");
    let wave = wave_of(&app, &floor, wave_id).await;
    assert_eq!(wave["status"], "open");
    assert!(wave["cancellation"].is_null());
}

#[tokio::test]
async fn a_wave_is_cancelled_once_by_its_own_staff_with_a_short_reason() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17503", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "R1", 10, 5).await;
    let (customer, _) = floor.paid_order(&app, "13800175201", 2).await;
    let wave_id = floor.create_wave(&app, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let path = cancel_path(&floor, wave_id);

    let admin = app.admin().await;
    let other = app.workshop(&admin, "17504").await;
    let res = app.post(&path, Some(&other.fulfilment), &json!({})).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let foreign = format!("/api/v1/workshops/{}/waves/{wave_id}/cancel", other.id);
    let res = app.post(&foreign, Some(&other.manager), &json!({})).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.post(&path, Some(&customer), &json!({})).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status()),
        "{}",
        res.status()
    );
    let res = app
        .post(&path, Some(&floor.shop.streamer), &json!({}))
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post(
            &path,
            Some(&floor.shop.fulfilment),
            &json!({"reason": "x".repeat(201)}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app
        .post(
            &path,
            Some(&floor.shop.fulfilment),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &floor.path("/waves/987654/cancel"),
            Some(&floor.shop.fulfilment),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        remaining(&app, &floor, lot).await,
        8,
        "refusals change nothing"
    );
    assert_eq!(wave_of(&app, &floor, wave_id).await["status"], "open");

    // No body at all is fine; the manager may cancel too.
    let res = app
        .request(reqwest::Method::POST, &path, Some(&floor.shop.manager))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let wave = json_of(res).await;
    assert!(wave["cancellation"]["reason"].is_null());
    assert_eq!(remaining(&app, &floor, lot).await, 10);

    let res = cancel(&app, &floor, wave_id, &json!({"reason": "again"})).await;
    assert_problem(res, StatusCode::CONFLICT, "wave_not_cancellable").await;
    assert_eq!(
        remaining(&app, &floor, lot).await,
        10,
        "units returned once"
    );
}

/// `count` waves of one order of 2 units each: (wave id, order id).
async fn waves(app: &TestApp, floor: &Floor, phones: &str, count: usize) -> Vec<(i64, i64)> {
    let mut waves = Vec::new();
    for n in 0..count {
        let (_, order) = floor.paid_order(app, &format!("{phones}{n:02}"), 2).await;
        let wave = floor.create_wave(app, json!({"max_orders": 1})).await;
        let order_id = order["id"].as_i64().unwrap();
        assert_eq!(order_ids(&wave), vec![order_id]);
        waves.push((wave["id"].as_i64().unwrap(), order_id));
    }
    waves
}

#[tokio::test]
async fn concurrent_cancels_on_two_instances_return_each_wave_units_exactly_once() {
    // Parallel writers queue for SQLite's one writer; a loaded CI machine must
    // not turn that queue into 503s.
    let app = spawn_app_with(|s| s.database.acquire_timeout_ms = 30_000).await;
    let peer = spawn_peer(&app).await;
    let floor = Floor::new(&app, "17505", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "C1", 40, 5).await;
    let waves = waves(&app, &floor, "138001753", 8).await;
    assert_eq!(remaining(&app, &floor, lot).await, 24);

    let (instances, staff) = ([&app, &peer], floor.shop.fulfilment.as_str());
    let requests = waves.iter().flat_map(|(wave_id, _)| {
        let path = cancel_path(&floor, *wave_id);
        (0..4).map(move |i| {
            let instance = instances[i % 2];
            let path = path.clone();
            async move {
                let res = instance.post(&path, Some(staff), &json!({})).await;
                let status = res.status();
                (path, status, res.text().await.unwrap())
            }
        })
    });
    let answers = join_all(requests).await;
    for (wave_id, order_id) in &waves {
        let path = cancel_path(&floor, *wave_id);
        let mine: Vec<_> = answers.iter().filter(|(p, _, _)| *p == path).collect();
        let ok = mine.iter().filter(|(_, s, _)| *s == StatusCode::OK).count();
        assert_eq!(ok, 1, "wave {wave_id}: {mine:?}");
        for (_, status, body) in mine.iter().filter(|(_, s, _)| *s != StatusCode::OK) {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert!(body.contains("wave_not_cancellable"), "{body}");
        }
        assert_eq!(floor.order_status(&app, *order_id).await, "paid");
    }
    assert_eq!(
        remaining(&app, &floor, lot).await,
        40,
        "each unit back once"
    );
}

#[tokio::test]
async fn cancel_racing_pack_leaves_either_a_packed_order_or_returned_units_never_both() {
    // Parallel writers queue for SQLite's one writer; a loaded CI machine must
    // not turn that queue into 503s.
    let app = spawn_app_with(|s| s.database.acquire_timeout_ms = 30_000).await;
    let peer = spawn_peer(&app).await;
    let floor = Floor::new(&app, "17506", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    let lot = floor.lot(&app, wang, "K1", 40, 5).await;
    let waves = waves(&app, &floor, "138001754", 8).await;

    let pack_body = json!({"package_count": 1, "weight_g": 1200, "cold_chain": false});
    let (app_ref, peer_ref, staff) = (&app, &peer, floor.shop.fulfilment.as_str());
    let races = waves.iter().map(|(wave_id, order_id)| {
        let cancel_path = cancel_path(&floor, *wave_id);
        let pack_path = floor.path(&format!("/orders/{order_id}/pack"));
        let pack_body = pack_body.clone();
        async move {
            let empty = json!({});
            let cancel = peer_ref.post(&cancel_path, Some(staff), &empty);
            let pack = app_ref.post(&pack_path, Some(staff), &pack_body);
            let (cancelled, packed) = futures_util::join!(cancel, pack);
            (cancelled.status(), packed.status())
        }
    });
    let outcomes = join_all(races).await;
    let mut still_taken = 0;
    for ((wave_id, order_id), (cancelled, packed)) in waves.iter().zip(outcomes) {
        let status = floor.order_status(&app, *order_id).await;
        let wave = wave_of(&app, &floor, *wave_id).await;
        match (cancelled, packed) {
            (StatusCode::OK, StatusCode::CONFLICT) => {
                assert_eq!(status, "paid");
                assert_eq!(wave["status"], "cancelled");
            }
            (StatusCode::CONFLICT, StatusCode::OK) => {
                assert_eq!(status, "packed");
                assert_eq!(wave["status"], "open");
                still_taken += 2;
            }
            other => panic!("wave {wave_id}: exactly one of cancel and pack wins, got {other:?}"),
        }
    }
    assert_eq!(remaining(&app, &floor, lot).await, 40 - still_taken);
}
