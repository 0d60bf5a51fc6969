//! Lots and stock: receipts add to on_hand, adjustments and write-offs are
//! movements, nothing takes on_hand below reserved, concurrency is safe.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::fixtures::{
    adjust, assert_ledger_balances, create_farmer, days_ago, days_ahead, id, product_with_sku,
    receive, reserve, shop_app, sku,
};
use crate::helpers::{assert_problem, json_of};

#[tokio::test]
async fn receiving_a_lot_adds_its_units_and_records_a_receipt() {
    let (app, _, shop) = shop_app("33001").await;
    let (_, sku_id) = product_with_sku(&app, &shop, "红颜草莓", 5800).await;
    let farmer = create_farmer(&app, &shop, "王大伯", true).await;
    let res = receive(&app, &shop, sku_id, farmer, 120, &days_ahead(3)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let lot = json_of(res).await;
    assert_eq!(lot["remaining"], 120);
    assert_eq!(lot["farmer"]["is_low_income"], true);
    assert_eq!(lot["grade"], "A", "defaults to the SKU's grade");
    assert!(lot["code"].as_str().unwrap().starts_with('L'));
    let figures = sku(&app, &shop, sku_id).await;
    assert_eq!(
        (figures["on_hand"].as_i64(), figures["available"].as_i64()),
        (Some(120), Some(120))
    );
    assert_eq!(assert_ledger_balances(&app, &shop, sku_id).await, 120);
    let movements = super::fixtures::movements(&app, &shop, sku_id).await;
    assert_eq!(movements[0]["kind"], "receipt");
    assert_eq!(movements[0]["lot_id"], lot["id"]);
}

#[tokio::test]
async fn expiry_defaults_to_harvest_plus_shelf_life_and_dates_are_checked() {
    let (app, admin, shop) = shop_app("33002").await;
    let (_, sku_id) = product_with_sku(&app, &shop, "章姬草莓", 4800).await;
    let farmer = create_farmer(&app, &shop, "李阿姨", false).await;
    let path = format!("/api/v1/workshops/{}/lots", shop.id);
    let body = json!({"sku_id": sku_id, "farmer_id": farmer, "quantity": 10, "harvest_date": days_ago(2), "floor_price_fen": 2500, "code": "HY-001"});
    let lot = json_of(app.post(&path, Some(&shop.manager), &body).await).await;
    assert_eq!(
        lot["expiry_date"],
        days_ahead(3),
        "harvest + 5 days of shelf life"
    );
    let res = app.post(&path, Some(&shop.manager), &body).await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;

    let bad = json!({"sku_id": sku_id, "farmer_id": farmer, "quantity": 0, "harvest_date": days_ahead(5), "expiry_date": days_ago(9), "floor_price_fen": -1});
    let res = app.post(&path, Some(&shop.manager), &bad).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 4, "{problem}");
    let other = app.workshop(&admin, "33003").await;
    let stranger = create_farmer(&app, &other, "外村农户", false).await;
    let mut foreign = body.clone();
    foreign["farmer_id"] = json!(stranger);
    foreign["code"] = json!("HY-002");
    let res = app.post(&path, Some(&shop.manager), &foreign).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "farmer_id");
}

#[tokio::test]
async fn a_skus_lots_are_listed_soonest_expiry_first_page_by_page() {
    let (app, _, shop) = shop_app("33004").await;
    let (_, sku_id) = product_with_sku(&app, &shop, "粽子", 1800).await;
    let farmer = create_farmer(&app, &shop, "朱阿婆", false).await;
    let expiries = [7, 2, 9, 2, 4];
    for days in expiries {
        let res = receive(&app, &shop, sku_id, farmer, 5, &days_ahead(days)).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let base = format!("/api/v1/workshops/{}/skus/{sku_id}/lots?limit=2", shop.id);
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = cursor
            .as_ref()
            .map_or(base.clone(), |c| format!("{base}&cursor={c}"));
        let page = json_of(app.get(&path, Some(&shop.fulfilment)).await).await;
        for lot in page["items"].as_array().unwrap() {
            seen.push((lot["expiry_date"].as_str().unwrap().to_owned(), id(lot)));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), expiries.len());
    let res = app
        .get(&format!("{base}&cursor=bm9wZQ"), Some(&shop.manager))
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.get(&base, Some(&shop.streamer)).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn stock_cannot_be_taken_below_the_units_orders_reserve() {
    let (app, _, shop) = shop_app("33005").await;
    let (_, sku_id) = product_with_sku(&app, &shop, "板鸭", 6800).await;
    let farmer = create_farmer(&app, &shop, "孙大哥", false).await;
    let lot = json_of(receive(&app, &shop, sku_id, farmer, 20, &days_ago(1)).await).await;
    reserve(&app, sku_id, 15).await;
    let res = adjust(&app, &shop, sku_id, "count_correction", -6).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "stock_below_reserved").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("15 reserved"),
        "{problem}"
    );
    let write_off = format!("/api/v1/workshops/{}/lots/write-off-expired", shop.id);
    let res = app.post(&write_off, Some(&shop.manager), &json!({})).await;
    assert_problem(res, StatusCode::CONFLICT, "stock_below_reserved").await;
    let unchanged = json_of(
        app.get(
            &format!("/api/v1/workshops/{}/lots/{}", shop.id, id(&lot)),
            Some(&shop.manager),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            unchanged["remaining"].as_i64(),
            unchanged["written_off"].as_bool()
        ),
        (Some(20), Some(false))
    );

    let res = adjust(&app, &shop, sku_id, "count_correction", -5).await;
    let done = json_of(res).await;
    assert_eq!(done["stock"]["on_hand"], 15);
    assert_eq!(done["stock"]["available"], 0);
    assert_eq!(done["movement"]["kind"], "adjustment");
    let res = adjust(&app, &shop, sku_id, "spoilage", 3).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = adjust(&app, &shop, sku_id, "count_correction", 0).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(assert_ledger_balances(&app, &shop, sku_id).await, 15);
}

#[tokio::test]
async fn expired_lots_are_written_off_as_spoilage_in_one_call() {
    let (app, _, shop) = shop_app("33006").await;
    let (_, berries) = product_with_sku(&app, &shop, "红颜草莓", 5800).await;
    let (_, tea) = product_with_sku(&app, &shop, "径山茶", 12800).await;
    let farmer = create_farmer(&app, &shop, "俞阿姨", true).await;
    let expired_a = json_of(receive(&app, &shop, berries, farmer, 8, &days_ago(1)).await).await;
    let fresh = json_of(receive(&app, &shop, berries, farmer, 30, &days_ahead(2)).await).await;
    let expired_b = json_of(receive(&app, &shop, tea, farmer, 5, &days_ago(3)).await).await;
    let path = format!("/api/v1/workshops/{}/skus/{berries}/adjustments", shop.id);
    let spoil =
        json!({"kind": "spoilage", "quantity": -3, "reason": "压坏", "lot_id": id(&expired_a)});
    let res = app.post(&path, Some(&shop.manager), &spoil).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let write_off = format!("/api/v1/workshops/{}/lots/write-off-expired", shop.id);
    let done = json_of(app.post(&write_off, Some(&shop.manager), &json!({})).await).await;
    assert_eq!(done["units"], 5 + 5);
    let lots: Vec<i64> = done["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lot_id"].as_i64().unwrap())
        .collect();
    assert_eq!(lots, [id(&expired_a), id(&expired_b)]);
    assert_eq!(assert_ledger_balances(&app, &shop, berries).await, 30);
    assert_eq!(assert_ledger_balances(&app, &shop, tea).await, 0);
    let lot = json_of(
        app.get(
            &format!("/api/v1/workshops/{}/lots/{}", shop.id, id(&expired_a)),
            Some(&shop.manager),
        )
        .await,
    )
    .await;
    assert_eq!(
        (lot["remaining"].as_i64(), lot["written_off"].as_bool()),
        (Some(0), Some(true))
    );
    let again = json_of(app.post(&write_off, Some(&shop.manager), &json!({})).await).await;
    assert_eq!(again["units"], 0, "a lot is written off once");
    let open = format!("/api/v1/workshops/{}/skus/{berries}/lots", shop.id);
    let page = json_of(app.get(&open, Some(&shop.manager)).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], fresh["id"]);
    let res = app
        .post(
            &write_off,
            Some(&shop.manager),
            &json!({"as_of": days_ahead(1)}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn concurrent_decrements_never_take_stock_below_zero() {
    let (app, _, shop) = shop_app("33007").await;
    let (_, sku_id) = product_with_sku(&app, &shop, "南阳伞", 8800).await;
    let farmer = create_farmer(&app, &shop, "何师傅", false).await;
    receive(&app, &shop, sku_id, farmer, 40, &days_ahead(300)).await;
    let results =
        join_all((0..100).map(|_| adjust(&app, &shop, sku_id, "count_correction", -1))).await;
    let ok = results
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    let refused = results
        .iter()
        .filter(|r| r.status() == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, refused), (40, 60));
    assert_eq!(assert_ledger_balances(&app, &shop, sku_id).await, 0);
}
