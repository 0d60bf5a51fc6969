//! Guaranteed purchase: a lot received under a contract owes its farmer the
//! contract price (or the agreed lot price if higher); contracts and the
//! split rule are managers' to set.

use reqwest::StatusCode;
use serde_json::json;

use super::fixtures::{days_from_today, farm};
use crate::helpers::{assert_problem, json_of};

#[tokio::test]
async fn a_lot_under_contract_is_owed_at_the_contract_price_or_the_higher_agreed_price() {
    let f = farm("80101").await;
    let farmer = f.farmer("王大伯", true).await;
    let product = product_of(&f).await;
    let contract = json!({"farmer_id": farmer, "product_id": product, "season": "2026 冬",
        "starts_on": days_from_today(-30), "ends_on": days_from_today(60),
        "grades": ["A"], "floor_price_fen": 3000, "committed_units": 500,
        "grade_rules": "果径 ≥ 3cm"});
    let res = f
        .app
        .post(
            &f.path("/ledger/contracts"),
            Some(&f.shop.manager),
            &contract,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let contract_id = json_of(res).await["id"].as_i64().unwrap();

    f.receive(f.sku, farmer, 10, 2500).await; // below the floor: contract price
    f.receive(f.sku, farmer, 5, 3200).await; // agreed price higher: agreed price
    let entries = f.entries().await;
    let purchases: Vec<_> = entries.iter().filter(|e| e.kind == "purchase").collect();
    assert_eq!(purchases.len(), 2);
    assert_eq!(purchases[0].amount_fen, 10 * 3000);
    assert_eq!(purchases[0].contract_id, Some(contract_id));
    assert_eq!(purchases[1].amount_fen, 5 * 3200);
    assert_eq!(purchases[1].contract_id, Some(contract_id));

    let res = f.statement(farmer, &f.shop.manager).await;
    let statement = json_of(res).await;
    assert_eq!(statement["purchase_fen"], 46_000);
    assert_eq!(statement["units_delivered"], 15);
    assert_eq!(statement["balance_fen"], 46_000);
    assert_eq!(statement["lots"][0]["unit_price_fen"], 3000);

    let read = f
        .app
        .get(
            &f.path(&format!("/ledger/contracts/{contract_id}")),
            Some(&f.shop.streamer),
        )
        .await;
    assert_eq!(json_of(read).await["delivered_units"], 15);
}

async fn product_of(f: &super::fixtures::Farm) -> i64 {
    use gongfang::entity::sku;
    use sea_orm::EntityTrait;
    sku::Entity::find_by_id(f.sku)
        .one(&f.app.state.db)
        .await
        .unwrap()
        .unwrap()
        .product_id
}

#[tokio::test]
async fn a_lot_without_contract_is_owed_at_its_agreed_price() {
    let f = farm("80102").await;
    let farmer = f.farmer("李阿姨", false).await;
    f.receive(f.sku, farmer, 7, 2100).await;
    let entries = f.entries().await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].amount_fen, 14_700);
    assert_eq!(entries[0].contract_id, None);
}

#[tokio::test]
async fn only_managers_sign_contracts_and_set_a_split_rule_summing_to_ten_thousand() {
    let f = farm("80103").await;
    let farmer = f.farmer("王大伯", true).await;
    let product = product_of(&f).await;
    let contract = json!({"farmer_id": farmer, "product_id": product, "season": "2026",
        "starts_on": days_from_today(0), "ends_on": days_from_today(-1),
        "floor_price_fen": 3000, "committed_units": 10});
    let res = f
        .app
        .post(
            &f.path("/ledger/contracts"),
            Some(&f.shop.streamer),
            &contract,
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = f
        .app
        .post(
            &f.path("/ledger/contracts"),
            Some(&f.shop.manager),
            &contract,
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "ends_on");

    let rule = f
        .app
        .get(&f.path("/ledger/split-rule"), Some(&f.shop.streamer))
        .await;
    assert_eq!(json_of(rule).await["farmer_bp"], 7000);
    let bad = json!({"farmer_bp": 7000, "collective_bp": 2000, "workshop_bp": 999});
    let res = put(&f, &bad, &f.shop.manager).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let good = json!({"farmer_bp": 6000, "collective_bp": 3000, "workshop_bp": 1000});
    let res = put(&f, &good, &f.shop.streamer).await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = put(&f, &good, &f.shop.manager).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rule = f
        .app
        .get(&f.path("/ledger/split-rule"), Some(&f.shop.fulfilment))
        .await;
    assert_eq!(json_of(rule).await["collective_bp"], 3000);
}

pub async fn put(
    f: &super::fixtures::Farm,
    body: &serde_json::Value,
    token: &str,
) -> reqwest::Response {
    f.app
        .request(
            reqwest::Method::PUT,
            &f.path("/ledger/split-rule"),
            Some(token),
        )
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn written_off_units_are_still_owed_to_the_farmer_and_shown_as_the_workshops_loss() {
    let f = farm("80104").await;
    let farmer = f.farmer("王大伯", true).await;
    let body = json!({"sku_id": f.sku, "farmer_id": farmer, "quantity": 8,
        "harvest_date": days_from_today(-10), "expiry_date": days_from_today(-2),
        "floor_price_fen": 2500});
    let res = f
        .app
        .post(&f.path("/lots"), Some(&f.shop.manager), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = f
        .app
        .post(
            &f.path("/lots/write-off-expired"),
            Some(&f.shop.manager),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let statement = json_of(f.statement(farmer, &f.shop.manager).await).await;
    assert_eq!(statement["written_off_units"], 8);
    assert_eq!(statement["written_off_fen"], 20_000);
    assert_eq!(statement["purchase_fen"], 20_000);
    assert_eq!(statement["balance_fen"], 20_000, "still owed in full");
}
