//! Farmer households: managers register and edit them; other staff read them
//! without phone and settlement reference.

use reqwest::StatusCode;
use serde_json::json;

use super::fixtures::{create_farmer, patch, shop_app};
use crate::helpers::{assert_problem, json_of};

#[tokio::test]
async fn only_managers_see_a_farmers_phone_and_settlement_reference() {
    let (app, admin, shop) = shop_app("32001").await;
    let farmer_id = create_farmer(&app, &shop, "王大伯", true).await;
    let path = format!("/api/v1/workshops/{}/farmers/{farmer_id}", shop.id);
    let full = json_of(app.get(&path, Some(&shop.manager)).await).await;
    assert_eq!(full["phone"], "13900009999");
    assert_eq!(full["settlement_ref"], "农商银行 6230-xxxx");
    for token in [&shop.streamer, &shop.fulfilment, &shop.leader] {
        let seen = json_of(app.get(&path, Some(token)).await).await;
        assert_eq!(seen["name"], "王大伯");
        assert_eq!(seen["village"], "徐坑村");
        assert_eq!(seen["is_low_income"], true);
        assert!(
            seen.get("phone").is_none() && seen.get("settlement_ref").is_none(),
            "{seen}"
        );
        let list = format!("/api/v1/workshops/{}/farmers", shop.id);
        let page = json_of(app.get(&list, Some(token)).await).await;
        assert!(page["items"][0].get("phone").is_none());
    }
    let other = app.workshop(&admin, "32002").await;
    assert_problem(
        app.get(&path, Some(&other.manager)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn farmers_are_filtered_by_low_income_and_validated() {
    let (app, _, shop) = shop_app("32003").await;
    let poor = create_farmer(&app, &shop, "李阿姨", true).await;
    create_farmer(&app, &shop, "张师傅", false).await;
    let list = format!("/api/v1/workshops/{}/farmers?low_income=true", shop.id);
    let page = json_of(app.get(&list, Some(&shop.manager)).await).await;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [poor]);

    let path = format!("/api/v1/workshops/{}/farmers", shop.id);
    let res = app
        .post(
            &path,
            Some(&shop.manager),
            &json!({"name": "", "village": "村", "phone": "12ab"}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let res = patch(
        &app,
        &format!("{path}/{poor}"),
        &shop.manager,
        &json!({"is_low_income": false, "phone": "13911112222"}),
    )
    .await;
    let updated = json_of(res).await;
    assert_eq!(updated["is_low_income"], false);
    assert_eq!(updated["phone"], "13911112222");
    assert_eq!(updated["name"], "李阿姨");
}
