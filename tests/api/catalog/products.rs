//! Products and SKUs through the management API: create, read, update,
//! archive, validation, the common-prosperity band, roles and tenancy.

use reqwest::StatusCode;
use serde_json::json;

use super::fixtures::{
    create_product, id, patch, product_body, product_with_sku, put, shop_app, sku_body,
};
use crate::helpers::{assert_problem, json_of, spawn_app};

#[tokio::test]
async fn a_manager_creates_a_product_with_skus_and_publishes_it() {
    let (app, _, shop) = shop_app("31001").await;
    let mut body = product_body("建德红颜草莓", 5800);
    body["status"] = json!("draft");
    body["sale_window"] = json!({"start_month": 11, "end_month": 4});
    body["skus"] = json!([sku_body(5800, 5800, false), sku_body(6000, 5000, true)]);
    let created = create_product(&app, &shop, &body).await;
    assert_eq!(created["status"], "draft");
    assert_eq!(
        created["sale_window"],
        json!({"start_month": 11, "end_month": 4})
    );
    assert_eq!(created["tags"], json!(["草莓", "建德"]));
    let skus = created["skus"].as_array().unwrap();
    assert_eq!(skus.len(), 2);
    assert!(skus[0].get("premium_per_unit_fen").is_none());
    assert_eq!(skus[1]["premium_per_unit_fen"], 1000);
    assert_eq!(skus[1]["on_hand"], 0);
    let product_id = id(&created);

    let public = format!("/api/v1/products/{product_id}");
    assert_problem(
        app.get(&public, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let path = format!("/api/v1/workshops/{}/products/{product_id}", shop.id);
    let res = patch(&app, &path, &shop.manager, &json!({"status": "active"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail = json_of(app.get(&public, None).await).await;
    assert_eq!(detail["title"], "建德红颜草莓");
    assert_eq!(detail["workshop"]["id"], shop.id);
    assert_eq!(detail["skus"][1]["premium_per_unit_fen"], 1000);
    assert_eq!(detail["availability"], "sold_out");
    assert!(
        detail["skus"][0].get("on_hand").is_none(),
        "stock figures stay private"
    );
}

#[tokio::test]
async fn updates_change_only_the_fields_sent_and_null_clears_the_sale_window() {
    let (app, _, shop) = shop_app("31002").await;
    let mut body = product_body("径山茶", 12800);
    body["sale_window"] = json!({"start_month": 3, "end_month": 5});
    let product_id = id(&create_product(&app, &shop, &body).await);
    let path = format!("/api/v1/workshops/{}/products/{product_id}", shop.id);
    let res = patch(
        &app,
        &path,
        &shop.manager,
        &json!({"title": "  明前径山茶 ", "sale_window": null}),
    )
    .await;
    let updated = json_of(res).await;
    assert_eq!(updated["title"], "明前径山茶");
    assert!(updated.get("sale_window").is_none());
    assert_eq!(updated["in_season"], true);
    assert_eq!(updated["category"], "strawberry");
    assert_eq!(updated["shelf_life_days"], 5);
}

#[tokio::test]
async fn every_invalid_field_is_reported_in_one_problem() {
    let (app, _, shop) = shop_app("31003").await;
    let mut body = product_body("", -5);
    body["images"] = json!(["ftp://img.example.com/a.jpg", "not a url"]);
    body["tags"] = json!((0..11).map(|n| format!("标签{n}")).collect::<Vec<_>>());
    body["sale_window"] = json!({"start_month": 13, "end_month": 0});
    body["shelf_life_days"] = json!(0);
    body["skus"][0]["net_weight_g"] = json!(0);
    body["skus"][0]["code"] = json!("bad code!");
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/products", shop.id),
            Some(&shop.manager),
            &body,
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for expected in [
        "title",
        "images[0]",
        "images[1]",
        "tags",
        "shelf_life_days",
        "sale_window.start_month",
        "sale_window.end_month",
        "skus[0].code",
        "skus[0].net_weight_g",
        "skus[0].price_fen",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
}

#[tokio::test]
async fn unknown_fields_and_unknown_enum_values_are_rejected() {
    let (app, _, shop) = shop_app("31004").await;
    let path = format!("/api/v1/workshops/{}/products", shop.id);
    let mut body = product_body("草莓", 100);
    body["on_hand"] = json!(500);
    let res = app.post(&path, Some(&shop.manager), &body).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let mut body = product_body("草莓", 100);
    body["skus"][0]["unit"] = json!("barrel");
    let res = app.post(&path, Some(&shop.manager), &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(problem["errors"][0]["field"], "skus[0].unit");
    let mut body = product_body("草莓", 100);
    body["skus"][0]["reserved"] = json!(3);
    let res = app.post(&path, Some(&shop.manager), &body).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
}

#[tokio::test]
async fn a_common_prosperity_price_must_lie_in_the_workshop_band() {
    let (app, _, shop) = shop_app("31005").await;
    let (product_id, _) = product_with_sku(&app, &shop, "章姬草莓", 4000).await;
    let skus = format!("/api/v1/workshops/{}/products/{product_id}/skus", shop.id);
    // The default band is 100 %–130 % of the market reference.
    for (price, status) in [(1000, 201), (1300, 201), (999, 422), (1301, 422)] {
        let res = app
            .post(&skus, Some(&shop.manager), &sku_body(price, 1000, true))
            .await;
        assert_eq!(res.status().as_u16(), status, "price {price}");
        if status == 422 {
            assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "price_out_of_band").await;
        }
    }
    // An ordinary SKU may sit anywhere.
    let res = app
        .post(&skus, Some(&shop.manager), &sku_body(500, 1000, false))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let policy = format!("/api/v1/workshops/{}/catalog-policy", shop.id);
    let band = json!({"cp_band_min_bp": 12000, "cp_band_max_bp": 12500, "show_exact_stock": false, "low_stock_threshold": 10});
    assert_eq!(
        put(&app, &policy, &shop.manager, &band).await.status(),
        StatusCode::OK
    );
    let res = app
        .post(&skus, Some(&shop.manager), &sku_body(1199, 1000, true))
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "price_out_of_band").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("1200 and 1250"),
        "{problem}"
    );
    let res = app
        .post(&skus, Some(&shop.manager), &sku_body(1250, 1000, true))
        .await;
    let created = json_of(res).await;
    assert_eq!(created["premium_per_unit_fen"], 250);

    // Raising the price past the band, or the market below it, is refused too.
    let path = format!("/api/v1/workshops/{}/skus/{}", shop.id, id(&created));
    let res = patch(&app, &path, &shop.manager, &json!({"price_fen": 1260})).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "price_out_of_band").await;
    let res = patch(
        &app,
        &path,
        &shop.manager,
        &json!({"market_price_fen": 1100}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "price_out_of_band").await;
    let res = patch(
        &app,
        &path,
        &shop.manager,
        &json!({"price_fen": 1320, "market_price_fen": 1100}),
    )
    .await;
    assert_eq!(json_of(res).await["premium_per_unit_fen"], 220);

    let bad = json!({"cp_band_min_bp": 13000, "cp_band_max_bp": 12000, "show_exact_stock": false, "low_stock_threshold": 10});
    let res = put(&app, &policy, &shop.manager, &bad).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn huge_prices_are_refused_without_overflowing() {
    let (app, _, shop) = shop_app("31006").await;
    let (product_id, _) = product_with_sku(&app, &shop, "伞", 4000).await;
    let skus = format!("/api/v1/workshops/{}/products/{product_id}/skus", shop.id);
    let res = app
        .post(
            &skus,
            Some(&shop.manager),
            &sku_body(i64::MAX, i64::MAX, true),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn sku_codes_are_unique_within_a_workshop_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = app.workshop(&admin, "31007").await;
    let second = app.workshop(&admin, "31008").await;
    let mut body = product_body("粽子", 2000);
    body["skus"][0]["code"] = json!("ZZ-1");
    create_product(&app, &first, &body).await;
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/products", first.id),
            Some(&first.manager),
            &body,
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;
    create_product(&app, &second, &body).await;
    body["skus"] = json!([sku_body(1, 1, false), sku_body(1, 1, false)]);
    body["skus"][1]["code"] = body["skus"][0]["code"].clone();
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/products", first.id),
            Some(&first.manager),
            &body,
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn a_product_goes_on_sale_only_with_an_active_sku() {
    let (app, _, shop) = shop_app("31009").await;
    let mut body = product_body("板鸭", 6800);
    body["skus"] = json!([]);
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/products", shop.id),
            Some(&shop.manager),
            &body,
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "板鸭", 6800).await;
    let sku_path = format!("/api/v1/workshops/{}/skus/{sku_id}", shop.id);
    let res = patch(
        &app,
        &sku_path,
        &shop.manager,
        &json!({"status": "inactive"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail = json_of(
        app.get(&format!("/api/v1/products/{product_id}"), None)
            .await,
    )
    .await;
    assert_eq!(detail["skus"], json!([]), "inactive SKUs are not shown");
    let path = format!("/api/v1/workshops/{}/products/{product_id}", shop.id);
    let res = patch(&app, &path, &shop.manager, &json!({"status": "draft"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = patch(&app, &path, &shop.manager, &json!({"status": "active"})).await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn archiving_takes_a_product_off_the_storefront() {
    let (app, _, shop) = shop_app("31010").await;
    let (product_id, _) = product_with_sku(&app, &shop, "茶糕", 1500).await;
    let public = format!("/api/v1/products/{product_id}");
    assert_eq!(app.get(&public, None).await.status(), StatusCode::OK);
    let path = format!(
        "/api/v1/workshops/{}/products/{product_id}/archive",
        shop.id
    );
    let res = app.post(&path, Some(&shop.manager), &json!({})).await;
    assert_eq!(json_of(res).await["status"], "archived");
    assert_problem(
        app.get(&public, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let list = format!("/api/v1/workshops/{}/products?status=archived", shop.id);
    let page = json_of(app.get(&list, Some(&shop.manager)).await).await;
    assert_eq!(page["items"][0]["id"], product_id);
}
