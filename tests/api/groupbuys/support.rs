//! Group-buy fixtures: a workshop with two leaders and pickup points around
//! Jiande, campaign bodies, joining and paying, and money checks.

use chrono::{Duration, Utc};
use gongfang::entity::{groupbuy_campaign, groupbuy_order, order, refund};
use gongfang::orders::status::OrderStatus;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, Workshop, json_of};

pub struct Scene {
    pub shop: Workshop,
    pub sku: i64,
    /// The workshop's own leader (token in `shop.leader`) runs `points[0]` and `points[1]`.
    pub leader_id: i64,
    /// A second leader, running `points[2]`.
    pub other_leader: String,
    pub other_leader_id: i64,
    pub points: Vec<i64>,
}

pub async fn scene(app: &TestApp, prefix: &str, stock: i64) -> Scene {
    let admin = app.admin().await;
    let shop = app.workshop(&admin, prefix).await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                price_fen: 4990,
                stock,
                ..Default::default()
            },
        )
        .await;
    let leader_id = account_id(app, &shop.leader).await;
    let phone = format!("{prefix}000009");
    let body = json!({"phone": phone, "name": "王团长", "password": crate::helpers::PASSWORD});
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/groupbuys/leaders", shop.id),
            Some(&shop.manager),
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let other_leader = app.token(&phone).await;
    let other_leader_id = account_id(app, &other_leader).await;
    let mut points = Vec::new();
    for (leader, name, lat, lng) in [
        (leader_id, "江滨社区", 29.4768, 119.2792),
        (leader_id, "府前社区", 29.4810, 119.2850),
        (other_leader_id, "洋溪社区", 29.4600, 119.2700),
    ] {
        points.push(point_with_capacity(500, app, &shop, leader, name, lat, lng).await);
    }
    Scene {
        shop,
        sku,
        leader_id,
        other_leader,
        other_leader_id,
        points,
    }
}

pub async fn account_id(app: &TestApp, token: &str) -> i64 {
    json_of(app.get("/api/v1/me", Some(token)).await).await["account"]["id"]
        .as_i64()
        .unwrap()
}

pub async fn point_with_capacity(
    capacity: i64,

    app: &TestApp,
    shop: &Workshop,
    leader: i64,
    name: &str,
    lat: f64,
    lng: f64,
) -> i64 {
    let body = json!({"leader_id": leader, "name": name, "address": format!("建德市新安江街道{name}"),
        "latitude": lat, "longitude": lng, "opening_hours": "08:00-20:00", "capacity_per_day": capacity});
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/groupbuys/pickup-points", shop.id),
            Some(&shop.manager),
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    json_of(res).await["id"].as_i64().unwrap()
}

/// Base ¥49.90; ≥ 10 units ¥39.90; ≥ 20 units ¥34.90; success at 5 units.
pub fn campaign_body(scene: &Scene, quantity: i64, min_total: i64) -> Value {
    json!({
        "title": "建德红颜草莓 社区团购",
        "items": [{"sku_id": scene.sku, "base_price_fen": 4990, "quantity": quantity,
            "tiers": [{"min_units": 10, "price_fen": 3990}, {"min_units": 20, "price_fen": 3490}]}],
        "min_total_units": min_total,
        "per_buyer_limit": 5,
        "cuts_off_at": Utc::now() + Duration::hours(2),
        "pickup_date": (Utc::now() + Duration::days(1)).date_naive(),
        "commission_bps": 500,
        "pickup_point_ids": scene.points,
    })
}

/// Creates and opens a campaign; returns (campaign id, item id).
pub async fn open_campaign(app: &TestApp, scene: &Scene, body: &Value) -> (i64, i64) {
    let shop = scene.shop.id;
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/groupbuys/campaigns"),
            Some(&scene.shop.manager),
            body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_of(res).await;
    let id = created["id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/groupbuys/campaigns/{id}/open"),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    (id, created["items"][0]["id"].as_i64().unwrap())
}

pub async fn join(
    app: &TestApp,
    token: &str,
    campaign: i64,
    item: i64,
    quantity: i64,
    point: i64,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/groupbuys/campaigns/{campaign}/orders"),
        Some(token),
        &json!({"item_id": item, "quantity": quantity, "pickup_point_id": point}),
    )
    .await
}

/// A resident joins and pays; returns the order id.
pub async fn join_and_pay(
    app: &TestApp,
    token: &str,
    campaign: i64,
    item: i64,
    quantity: i64,
    point: i64,
) -> i64 {
    let res = join(app, token, campaign, item, quantity, point).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = json_of(res).await["id"].as_i64().unwrap();
    crate::orders::pay(app, token, order).await;
    order
}

pub async fn cut_off(app: &TestApp, scene: &Scene, campaign: i64) -> Value {
    let res = app
        .post(
            &format!(
                "/api/v1/workshops/{}/groupbuys/campaigns/{campaign}/cut-off",
                scene.shop.id
            ),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

pub async fn campaign(app: &TestApp, id: i64) -> Value {
    json_of(
        app.get(&format!("/api/v1/groupbuys/campaigns/{id}"), None)
            .await,
    )
    .await
}

/// Lets the cut-off pass without settling (as the clock would), for the settlement job.
pub async fn pass_cut_off(app: &TestApp, id: i64) {
    let row = groupbuy_campaign::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: groupbuy_campaign::ActiveModel = row.into();
    row.cuts_off_at = Set(Utc::now() - Duration::seconds(1));
    row.update(&app.state.db).await.unwrap();
}

/// Polls until the settlement job has settled the campaign.
pub async fn settled(app: &TestApp, id: i64) -> Value {
    for _ in 0..600 {
        let view = campaign(app, id).await;
        if !matches!(view["status"].as_str(), Some("open" | "settling")) {
            return view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("campaign {id} was not settled");
}

/// Fulfilment picks every paid pickup-point order in one wave (FEFO from a
/// lot received for the SKU); `dispatch` then packs one and hands it to its point.
pub async fn pick_all(app: &TestApp, scene: &Scene) -> Vec<i64> {
    let shop = scene.shop.id;
    let farmer = json!({"name": "叶美华", "village": "丰和村", "phone": "13900008888"});
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/farmers"),
            Some(&scene.shop.manager),
            &farmer,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let farmer = json_of(res).await["id"].as_i64().unwrap();
    let today = gongfang::catalog::service::today();
    let lot = json!({"sku_id": scene.sku, "farmer_id": farmer, "quantity": 200,
        "harvest_date": today - chrono::Days::new(1), "expiry_date": today + chrono::Days::new(5),
        "floor_price_fen": 1000, "code": format!("LOT-{shop}")});
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/lots"),
            Some(&scene.shop.manager),
            &lot,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/waves"),
            Some(&scene.shop.fulfilment),
            &json!({"destination": "pickup_point"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let wave = json_of(res).await;
    assert_eq!(
        wave["shortages"].as_array().map_or(0, Vec::len),
        0,
        "{wave}"
    );
    wave["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_i64().unwrap())
        .collect()
}

/// Packs a picked order and dispatches it to its pickup point (`shipped`).
pub async fn dispatch(app: &TestApp, scene: &Scene, order_id: i64) {
    let shop = scene.shop.id;
    let pack = json!({"package_count": 1, "weight_g": 1200, "cold_chain": false});
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/orders/{order_id}/pack"),
            Some(&scene.shop.fulfilment),
            &pack,
        )
        .await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "pack {order_id}: {}",
        res.text().await.unwrap()
    );
    let res = app
        .post(
            &format!("/api/v1/workshops/{shop}/orders/{order_id}/dispatch"),
            Some(&scene.shop.fulfilment),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "dispatch {order_id}");
}

pub async fn my_order(app: &TestApp, token: &str, order: i64) -> Value {
    let res = app
        .get(&format!("/api/v1/groupbuys/orders/{order}"), Some(token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

/// paid − refunded = Σ final price × units over orders still held (collected
/// or awaiting collection); refunds never exceed payments, per order.
/// Returns (paid, refunded, held units).
pub async fn assert_money_balances(app: &TestApp, campaign_id: i64) -> (i64, i64, i64) {
    let view = campaign(app, campaign_id).await;
    let orders = order::Entity::find()
        .filter(order::Column::CampaignId.eq(campaign_id))
        .all(&app.state.db)
        .await
        .unwrap();
    let (mut paid, mut refunded, mut expected, mut units) = (0, 0, 0, 0);
    for o in &orders {
        let refunds: i64 = refund::Entity::find()
            .filter(refund::Column::OrderId.eq(o.id))
            .all(&app.state.db)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r.status, "succeeded", "refund {} was sent", r.id);
                r.amount_fen
            })
            .sum();
        assert_eq!(refunds, o.refunded_fen, "order {}", o.id);
        assert!(
            refunds <= o.paid_fen,
            "order {} refunded more than paid",
            o.id
        );
        paid += o.paid_fen;
        refunded += o.refunded_fen;
        let held = OrderStatus::parse(&o.status).is_some_and(|s| s.is_paid_state());
        if held {
            let item = &view["items"][0];
            let final_price = item["final_price_fen"].as_i64().expect("final price");
            let quantity = gongfang::entity::order_line::Entity::find()
                .filter(gongfang::entity::order_line::Column::OrderId.eq(o.id))
                .all(&app.state.db)
                .await
                .unwrap()
                .iter()
                .map(|l| i64::from(l.quantity - l.refunded_quantity))
                .sum::<i64>();
            expected += final_price * quantity;
            units += quantity;
        }
    }
    assert_eq!(
        paid - refunded,
        expected,
        "paid − refunds = Σ final price × units"
    );
    (paid, refunded, units)
}

pub async fn joined_rows(app: &TestApp, campaign_id: i64) -> Vec<groupbuy_order::Model> {
    groupbuy_order::Entity::find()
        .filter(groupbuy_order::Column::CampaignId.eq(campaign_id))
        .all(&app.state.db)
        .await
        .unwrap()
}
