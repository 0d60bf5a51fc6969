//! The public catalog: only active products, filters, availability without
//! exact stock unless the workshop opts in, and keyset pagination that neither
//! skips nor repeats under concurrent inserts.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fixtures::{
    adjust, create_farmer, create_product, days_ahead, id, product_body, product_with_sku, put,
    receive, shop_app,
};
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app, token_of};

async fn ids(app: &TestApp, query: &str) -> Vec<i64> {
    let res = app.get(&format!("/api/v1/products?{query}"), None).await;
    let status = res.status();
    let page = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page["items"].as_array().unwrap().iter().map(id).collect()
}

#[tokio::test]
async fn the_storefront_lists_active_products_with_filters() {
    let (app, admin, shop) = shop_app("35001").await;
    let other = app.workshop(&admin, "35002").await;
    let mut berries = product_body("建德红颜草莓 Premium", 5800);
    berries["sale_window"] = json!({"start_month": 11, "end_month": 4});
    let berries = id(&create_product(&app, &shop, &berries).await);
    let mut tea = product_body("明前径山茶", 26800);
    tea["category"] = json!("tea");
    tea["tags"] = json!(["明前", "100%_纯"]);
    let month = super::fixtures::today()
        .format("%m")
        .to_string()
        .parse::<i64>()
        .unwrap();
    let off_month = month % 12 + 1;
    tea["sale_window"] = json!({"start_month": off_month, "end_month": off_month});
    let tea = id(&create_product(&app, &shop, &tea).await);
    let mut umbrella = product_body("南阳伞 共富款", 8800);
    umbrella["category"] = json!("umbrella");
    let umbrella = id(&create_product(&app, &other, &umbrella).await);
    let mut draft = product_body("草稿草莓", 100);
    draft["status"] = json!("draft");
    create_product(&app, &shop, &draft).await;

    assert_eq!(ids(&app, "").await, [berries, tea, umbrella]);
    assert_eq!(
        ids(&app, &format!("workshop_id={}", shop.id)).await,
        [berries, tea]
    );
    assert_eq!(ids(&app, "category=tea").await, [tea]);
    assert_eq!(ids(&app, "tag=%E6%98%8E%E5%89%8D").await, [tea], "tag 明前");
    assert_eq!(
        ids(&app, "tag=100%25_%E7%BA%AF").await,
        [tea],
        "wildcards are literal"
    );
    assert_eq!(
        ids(&app, "tag=100%25").await,
        Vec::<i64>::new(),
        "tags match whole"
    );
    assert_eq!(ids(&app, "q=premium").await, [berries], "case-insensitive");
    assert_eq!(
        ids(&app, "q=%E5%85%B1%E5%AF%8C").await,
        [umbrella],
        "q 共富"
    );
    assert_eq!(
        ids(&app, "min_price_fen=8000&max_price_fen=9000").await,
        [umbrella]
    );
    assert_eq!(ids(&app, "max_price_fen=5800").await, [berries]);
    assert_eq!(ids(&app, "in_season=false").await, [tea]);
    let in_season = ids(&app, "in_season=true").await;
    assert!(in_season.contains(&umbrella) && !in_season.contains(&tea));

    let page = json_of(app.get("/api/v1/products?category=tea", None).await).await;
    let summary = &page["items"][0];
    assert_eq!(summary["price_from_fen"], 26800);
    assert_eq!(summary["in_season"], false);
    assert_eq!(summary["workshop"]["name"], "工坊35001");
    assert_eq!(summary["image"], "https://img.example.com/berry.jpg");
}

#[tokio::test]
async fn bad_list_queries_are_refused() {
    let app = spawn_app().await;
    for (query, status, code) in [
        ("colour=red", StatusCode::BAD_REQUEST, "invalid_parameter"),
        (
            "category=fish",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "min_price_fen=-1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "min_price_fen=9&max_price_fen=8",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "cursor=garbage",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ] {
        let res = app.get(&format!("/api/v1/products?{query}"), None).await;
        assert_problem(res, status, code).await;
    }
    let long = "q=".to_owned() + &"长".repeat(61);
    let res = app.get(&format!("/api/v1/products?{long}"), None).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = app.get("/api/v1/products/not-a-number", None).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn availability_is_shown_without_exact_stock_unless_the_workshop_opts_in() {
    let (app, _, shop) = shop_app("35003").await;
    let (product_id, sku_id) = product_with_sku(&app, &shop, "塘栖粽子", 2600).await;
    let farmer = create_farmer(&app, &shop, "吴阿姨", false).await;
    let path = format!("/api/v1/products/{product_id}");
    let detail = async |app: &TestApp| json_of(app.get(&path, None).await).await;
    assert_eq!(detail(&app).await["skus"][0]["availability"], "sold_out");
    receive(&app, &shop, sku_id, farmer, 8, &days_ahead(30)).await;
    let low: Value = detail(&app).await;
    assert_eq!(low["skus"][0]["availability"], "low");
    assert!(low["skus"][0].get("available").is_none());
    adjust(&app, &shop, sku_id, "count_correction", 50).await;
    assert_eq!(detail(&app).await["availability"], "in_stock");

    let policy = format!("/api/v1/workshops/{}/catalog-policy", shop.id);
    let opt_in = json!({"cp_band_min_bp": 10000, "cp_band_max_bp": 13000, "show_exact_stock": true, "low_stock_threshold": 100});
    assert_eq!(
        put(&app, &policy, &shop.manager, &opt_in).await.status(),
        StatusCode::OK
    );
    let exact = detail(&app).await;
    assert_eq!(exact["skus"][0]["available"], 58);
    assert_eq!(exact["skus"][0]["availability"], "low");
    let page = json_of(app.get("/api/v1/products", None).await).await;
    assert_eq!(page["items"][0]["availability"], "low");
}

#[tokio::test]
async fn pages_neither_skip_nor_repeat_products_while_others_are_inserted() {
    let (app, _, shop) = shop_app("35004").await;
    let mut before = HashSet::new();
    for n in 0..24 {
        before.insert(
            product_with_sku(&app, &shop, &format!("草莓 {n}"), 1000 + n)
                .await
                .0,
        );
    }
    let pager = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/products?limit=5&cursor={c}"),
                None => "/api/v1/products?limit=5".to_owned(),
            };
            let page = json_of(app.get(&path, None).await).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(id));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return seen,
            }
        }
    };
    let inserter = futures_util::future::join_all((0..16).map(|n| {
        let (app, shop) = (&app, &shop);
        async move { product_with_sku(app, shop, &format!("新品 {n}"), 500).await }
    }));
    let (seen, _) = tokio::join!(pager, inserter);
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no product repeated: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "in id order: {seen:?}"
    );
    assert!(
        before.is_subset(&unique),
        "no product that existed before was skipped"
    );
    let res = app.get("/api/v1/products?limit=1000", None).await;
    assert_eq!(json_of(res).await["items"].as_array().unwrap().len(), 40);
}

#[tokio::test]
async fn the_demo_catalog_is_on_the_storefront() {
    let app = spawn_app().await;
    gongfang::scaffold::demo::load(&app.state)
        .await
        .expect("demo loads");
    let page = json_of(app.get("/api/v1/products?limit=100", None).await).await;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for title in [
        "建德红颜草莓",
        "建德章姬草莓",
        "径山茶 明前特级",
        "塘栖鲜肉粽",
        "塘栖板鸭",
        "塘栖茶糕",
        "枇杷叶茶",
        "南阳晴雨伞 共富款",
    ] {
        assert!(titles.contains(&title), "{title} missing from {titles:?}");
    }
    let berries = json_of(
        app.get(&format!("/api/v1/products/{}", id(&page["items"][0])), None)
            .await,
    )
    .await;
    assert_eq!(berries["skus"][0]["premium_per_unit_fen"], 800);
    let login = app
        .login(
            &gongfang::scaffold::demo::staff_phone("001", 1),
            gongfang::scaffold::demo::DEMO_PASSWORD,
        )
        .await;
    let manager = token_of(login).await;
    let path = "/api/v1/workshops/1/farmers?low_income=true";
    let farmers = json_of(app.get(path, Some(&manager)).await).await;
    assert_eq!(farmers["items"].as_array().unwrap().len(), 3);
}
