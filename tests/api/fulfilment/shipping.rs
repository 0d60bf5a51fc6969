//! Packing (cold chain for chilled lines), shipping with a carrier, signed
//! carrier updates that deliver once, dispatch to pickup points, and events.

use gongfang::entity::{order, outbox};
use gongfang::platform::crypto::hmac_sha256_hex;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

use super::support::{Floor, order_ids};
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app};

pub const SF_SECRET: &str = "sf-dev-secret-change-me";

pub async fn carrier_update(app: &TestApp, secret: &str, body: &Value) -> reqwest::Response {
    let raw = serde_json::to_vec(body).unwrap();
    app.client
        .post(app.url("/api/v1/carriers/sf/updates"))
        .header("Content-Type", "application/json")
        .header(
            "Carrier-Signature",
            hmac_sha256_hex(secret.as_bytes(), &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap()
}

pub async fn events_of(app: &TestApp, order_id: i64) -> Vec<String> {
    events_for(app, &format!("order:{order_id}")).await
}

pub async fn events_for(app: &TestApp, resource_key: &str) -> Vec<String> {
    outbox::Entity::find()
        .filter(outbox::Column::ResourceKey.eq(resource_key))
        .order_by_asc(outbox::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[tokio::test]
async fn a_chilled_order_is_packed_cold_shipped_and_delivered_by_a_signed_carrier_update() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17101", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "S1", 10, 3).await;
    let (_, order) = floor.paid_order(&app, "13800181001", 2).await;
    let id = order["id"].as_i64().unwrap();

    let res = floor.ship(&app, id, "SF100").await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    floor.create_wave(&app, json!({})).await;
    let res = floor.pack(&app, id, false).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "cold_chain_required").await;
    assert_eq!(floor.order_status(&app, id).await, "picking");
    let res = floor.pack(&app, id, true).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["status"], "packed");
    let res = floor.pack(&app, id, true).await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    let res = app
        .post(
            &floor.path(&format!("/orders/{id}/dispatch")),
            Some(&floor.shop.fulfilment),
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "wrong_destination").await;

    let res = floor.ship(&app, id, "SF100").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let shipment = json_of(res).await;
    assert_eq!(
        (shipment["kind"].as_str(), shipment["order_status"].as_str()),
        (Some("carrier"), Some("shipped"))
    );

    let update = json!({"tracking_number": "SF100", "status": "delivered", "detail": "签收"});
    let res = carrier_update(&app, "not-the-secret", &update).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_signature").await;
    assert_eq!(floor.order_status(&app, id).await, "shipped");
    let transit = json!({"tracking_number": "SF100", "status": "in_transit"});
    assert_eq!(
        carrier_update(&app, SF_SECRET, &transit).await.status(),
        StatusCode::OK
    );
    for _ in 0..2 {
        let res = carrier_update(&app, SF_SECRET, &update).await;
        assert_eq!(res.status(), StatusCode::OK);
        let shipment = json_of(res).await;
        assert_eq!(shipment["status"], "delivered");
        assert_eq!(shipment["order_status"], "delivered");
    }
    let unknown = json!({"tracking_number": "SF999", "status": "delivered"});
    assert_problem(
        carrier_update(&app, SF_SECRET, &unknown).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let events = events_of(&app, id).await;
    let fulfilment: Vec<&str> = events
        .iter()
        .map(String::as_str)
        .filter(|e| {
            [
                "order.picking",
                "order.packed",
                "order.shipped",
                "order.delivered",
            ]
            .contains(e)
        })
        .collect();
    assert_eq!(
        fulfilment,
        [
            "order.picking",
            "order.packed",
            "order.shipped",
            "order.delivered"
        ]
    );

    let res = app
        .get(&floor.path("/waves"), Some(&floor.shop.manager))
        .await;
    assert_eq!(
        json_of(res).await["items"][0]["status"],
        "closed",
        "every order left the wave"
    );
    let res = app
        .get(
            &floor.path(&format!("/orders/{id}/packing-slip")),
            Some(&floor.shop.fulfilment),
        )
        .await;
    let slip = res.text().await.unwrap();
    assert!(slip.contains("S1") && slip.contains("王大伯") && slip.contains("cold chain"));
}

#[tokio::test]
async fn a_pickup_point_order_is_dispatched_not_shipped() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17102", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "P1", 10, 30).await;
    let (_, address_order) = floor.paid_order(&app, "13800182001", 1).await;
    let (_, pickup_order) = floor.paid_order(&app, "13800182002", 1).await;
    let id = pickup_order["id"].as_i64().unwrap();
    // Until the group-buy branch places them, a pickup-point order is made by hand.
    order::ActiveModel {
        id: Set(id),
        pickup_point_id: Set(Some(77)),
        ..Default::default()
    }
    .update(&app.state.db)
    .await
    .unwrap();

    let wave = floor
        .create_wave(&app, json!({"destination": "pickup_point"}))
        .await;
    assert_eq!(order_ids(&wave), vec![id]);
    assert_eq!(wave["orders"][0]["destination"], "pickup_point");
    let _ = address_order;
    assert_eq!(floor.pack(&app, id, false).await.status(), StatusCode::OK);
    let res = floor.ship(&app, id, "SF200").await;
    assert_problem(res, StatusCode::CONFLICT, "wrong_destination").await;
    let dispatch = floor.path(&format!("/orders/{id}/dispatch"));
    let res = app
        .post(&dispatch, Some(&floor.shop.fulfilment), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let shipment = json_of(res).await;
    assert_eq!(shipment["kind"], "pickup_point");
    assert_eq!(shipment["pickup_point_id"], 77);
    assert_eq!(floor.order_status(&app, id).await, "shipped");
    let res = app
        .post(&dispatch, Some(&floor.shop.fulfilment), &json!({}))
        .await;
    assert_problem(res, StatusCode::CONFLICT, "invalid_transition").await;
    let events = events_of(&app, id).await;
    assert!(events.contains(&"order.shipped".to_owned()));
    assert!(events.contains(&"order.ready_for_pickup".to_owned()));
}

#[tokio::test]
async fn a_parcel_booked_through_the_logistics_provider_is_delivered_by_its_relayed_update() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17131", "chilled").await;
    let farmer = floor.farmer(&app, "徐建国").await;
    floor.lot(&app, farmer, "LP1", 10, 3).await;
    let (_, order) = floor.paid_order(&app, "13800181301", 2).await;
    let id = order["id"].as_i64().unwrap();
    floor.create_wave(&app, json!({})).await;
    assert_eq!(floor.pack(&app, id, true).await.status(), StatusCode::OK);

    // No tracking number: the provider books the parcel and assigns one.
    let ship = json!({"carrier": "zto"});
    let path = floor.path(&format!("/orders/{id}/ship"));
    let res = app.post(&path, Some(&floor.shop.fulfilment), &ship).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let shipment = json_of(res).await;
    assert_eq!(shipment["carrier"], "zto");
    let tracking = shipment["tracking_number"].as_str().unwrap().to_owned();
    assert!(tracking.starts_with("SBX"), "{tracking}");

    // A relayed update must carry the provider's signature.
    let forged = json!({"event_id": "x", "carrier": "zto", "tracking_number": tracking,
        "status": "delivered", "detail": "", "occurred_at": "2026-11-29T08:00:00Z"});
    let res = app
        .client
        .post(app.url("/api/v1/logistics/updates"))
        .header("Carrier-Signature", "00".repeat(32))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_signature").await;
    assert_eq!(floor.order_status(&app, id).await, "shipped");

    // The sandbox carrier moves the parcel and notifies us over HTTP.
    let logistics = &app.state.logistics;
    logistics
        .advance_in_sandbox(&tracking, "in_transit", "left the Jiande sorting centre")
        .await
        .unwrap();
    assert_eq!(floor.order_status(&app, id).await, "shipped");
    logistics
        .advance_in_sandbox(&tracking, "delivered", "signed for at the door")
        .await
        .unwrap();
    assert_eq!(floor.order_status(&app, id).await, "delivered");
    let res = app
        .get(
            &floor.path(&format!("/orders/{id}/shipment")),
            Some(&floor.shop.fulfilment),
        )
        .await;
    let shipment = json_of(res).await;
    assert_eq!(shipment["status"], "delivered");
    let statuses: Vec<_> = shipment["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["shipped", "in_transit", "delivered"]);
    assert_eq!(
        logistics.track(&tracking).await.unwrap().status,
        "delivered"
    );
}
