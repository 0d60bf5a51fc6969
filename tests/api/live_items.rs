//! The pinned showcase: pinning only while scheduled or live, live price rules
//! (below normal; the common-prosperity band), reorder, unpin, explaining,
//! and `live_price_for` answering only while live and pinned.

use gongfang::live::{live_price_for, return_live_units, take_live_units};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, json_of, spawn_app};
use crate::live_support::{
    act, go_live, pin, schedule, send, session, session_path, set_band, sku,
};

#[tokio::test]
async fn no_pinning_once_a_session_has_ended_or_was_cancelled() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17101").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let id = schedule(&app, &shop).await;
    assert_eq!(
        pin(&app, &shop, id, json!({"sku_id": berry}))
            .await
            .status(),
        StatusCode::CREATED
    );
    go_live(&app, &shop, id).await;
    let tea = sku(&app, shop.id, 3000, 2500, false).await;
    let res = pin(&app, &shop, id, json!({"sku_id": tea})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let item = json_of(res).await["id"].as_i64().expect("item id");
    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);

    let res = pin(
        &app,
        &shop,
        id,
        json!({"sku_id": sku(&app, shop.id, 900, 800, false).await}),
    )
    .await;
    assert_problem(res, StatusCode::CONFLICT, "session_closed").await;
    let path = format!("{}/items/{item}", session_path(&shop, id));
    assert_problem(
        app.delete(&path, Some(&shop.streamer)).await,
        StatusCode::CONFLICT,
        "session_closed",
    )
    .await;
    let explaining = format!("{}/explaining", session_path(&shop, id));
    let res = send(
        &app,
        Method::PUT,
        &explaining,
        &shop.streamer,
        &json!({"item_id": item}),
    )
    .await;
    assert_problem(res, StatusCode::CONFLICT, "session_closed").await;

    let cancelled = schedule(&app, &shop).await;
    assert_eq!(
        act(&app, &shop, cancelled, "cancel").await.status(),
        StatusCode::OK
    );
    let res = pin(&app, &shop, cancelled, json!({"sku_id": berry})).await;
    assert_problem(res, StatusCode::CONFLICT, "session_closed").await;
}

#[tokio::test]
async fn only_the_workshops_streamers_and_managers_pin_its_own_skus() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17102").await;
    let other = app.workshop(&admin, "17103").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let foreign = sku(&app, other.id, 5000, 4000, false).await;
    let id = schedule(&app, &shop).await;
    let path = format!("{}/items", session_path(&shop, id));
    let body = json!({"sku_id": berry});
    assert_problem(
        app.post(&path, Some(&shop.fulfilment), &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&path, Some(&other.streamer), &body).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let res = pin(&app, &shop, id, json!({"sku_id": foreign})).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "sku_id");
    assert_eq!(
        app.post(&path, Some(&shop.manager), &body).await.status(),
        StatusCode::CREATED
    );
    let res = pin(&app, &shop, id, body).await;
    assert_problem(res, StatusCode::CONFLICT, "sku_already_pinned").await;
}

#[tokio::test]
async fn a_live_price_must_be_below_the_normal_price() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17104").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let id = schedule(&app, &shop).await;
    for price in [5000, 5001, 0, -1] {
        let res = pin(
            &app,
            &shop,
            id,
            json!({"sku_id": berry, "live_price_fen": price}),
        )
        .await;
        let problem =
            assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "live_price_fen");
    }
    let res = pin(
        &app,
        &shop,
        id,
        json!({"sku_id": berry, "live_price_fen": 4990, "live_stock_cap": 50}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let item = json_of(res).await;
    assert_eq!(item["normal_price_fen"], 5000);
    assert_eq!(item["live_price_fen"], 4990);
    assert_eq!(item["price_fen"], 4990);
    assert_eq!(item["live_stock_cap"], 50);
    let path = format!("{}/items/{}", session_path(&shop, id), item["id"]);
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &shop.streamer,
        &json!({"live_price_fen": 6000}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &shop.streamer,
        &json!({"live_price_fen": null}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let item = json_of(res).await;
    assert_eq!(
        (item["price_fen"].clone(), item["live_stock_cap"].clone()),
        (json!(5000), json!(50))
    );
}

#[tokio::test]
async fn a_common_prosperity_live_price_stays_inside_the_workshops_band() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17105").await;
    set_band(&app, shop.id, 12_000, 12_500).await;
    // Market 1,001 fen: the band is 1,201.2 to 1,251.25 fen, so 1,202 to 1,251 whole fen.
    let umbrella = sku(&app, shop.id, 1_300, 1_001, true).await;
    let id = schedule(&app, &shop).await;
    for price in [1_201, 1_252, 1_000] {
        let res = pin(
            &app,
            &shop,
            id,
            json!({"sku_id": umbrella, "live_price_fen": price}),
        )
        .await;
        let problem =
            assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or("")
                .contains("1202 to 1251"),
            "{problem}"
        );
    }
    let res = pin(
        &app,
        &shop,
        id,
        json!({"sku_id": umbrella, "live_price_fen": 1_202}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let path = format!(
        "{}/items/{}",
        session_path(&shop, id),
        json_of(res).await["id"]
    );
    let res = send(
        &app,
        Method::PATCH,
        &path,
        &shop.streamer,
        &json!({"live_price_fen": 1_251}),
    )
    .await;
    assert_eq!(json_of(res).await["price_fen"], 1_251);
    let huge = json!({"live_price_fen": i64::MAX / 2});
    let res = send(&app, Method::PATCH, &path, &shop.streamer, &huge).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn the_showcase_is_reordered_unpinned_and_explains_one_item_at_a_time() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17106").await;
    let id = schedule(&app, &shop).await;
    go_live(&app, &shop, id).await;
    let mut items = Vec::new();
    for price in [1000, 2000, 3000] {
        let res = pin(
            &app,
            &shop,
            id,
            json!({"sku_id": sku(&app, shop.id, price, price, false).await}),
        )
        .await;
        items.push(json_of(res).await["id"].as_i64().expect("id"));
    }
    let base = session_path(&shop, id);
    let order = json!({"item_ids": [items[2], items[0], items[1]]});
    let res = send(
        &app,
        Method::PUT,
        &format!("{base}/items/order"),
        &shop.streamer,
        &order,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown: Vec<_> = session(&app, id).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_i64().expect("id"),
                i["position"].as_i64().expect("position"),
            )
        })
        .collect();
    assert_eq!(shown, vec![(items[2], 1), (items[0], 2), (items[1], 3)]);
    let partial = json!({"item_ids": [items[0], items[0], items[1]]});
    let res = send(
        &app,
        Method::PUT,
        &format!("{base}/items/order"),
        &shop.streamer,
        &partial,
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    for item in [items[0], items[1]] {
        let res = send(
            &app,
            Method::PUT,
            &format!("{base}/explaining"),
            &shop.streamer,
            &json!({"item_id": item}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let page = session(&app, id).await;
    let explaining: Vec<_> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["explaining"] == true)
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(explaining, vec![json!(items[1])]);
    assert_eq!(page["explaining_item_id"], items[1]);

    let res = app
        .delete(&format!("{base}/items/{}", items[1]), Some(&shop.streamer))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let page = session(&app, id).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["explaining_item_id"].is_null());
    let res = app
        .delete(&format!("{base}/items/{}", items[1]), Some(&shop.streamer))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn live_price_for_answers_only_while_the_session_is_live_and_the_sku_pinned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "17107").await;
    let berry = sku(&app, shop.id, 5000, 4000, false).await;
    let tea = sku(&app, shop.id, 3000, 2500, false).await;
    let id = schedule(&app, &shop).await;
    let res = pin(
        &app,
        &shop,
        id,
        json!({"sku_id": berry, "live_price_fen": 3990, "live_stock_cap": 2}),
    )
    .await;
    let item = json_of(res).await["id"].as_i64().expect("id");
    let db = &app.state.db;
    assert_eq!(
        live_price_for(db, id, berry).await.expect("query"),
        None,
        "scheduled"
    );

    go_live(&app, &shop, id).await;
    let price = live_price_for(db, id, berry)
        .await
        .expect("query")
        .expect("live and pinned");
    assert_eq!(
        (price.price_fen, price.normal_price_fen, price.item_id),
        (3990, 5000, item)
    );
    assert_eq!(
        price.streamer_account_id,
        session(&app, id).await["streamer_account_id"]
    );
    assert_eq!(
        live_price_for(db, id, tea).await.expect("query"),
        None,
        "not pinned"
    );
    pin(&app, &shop, id, json!({"sku_id": tea})).await;
    let plain = live_price_for(db, id, tea)
        .await
        .expect("query")
        .expect("pinned");
    assert_eq!((plain.price_fen, plain.live_price_fen), (3000, None));

    assert!(take_live_units(db, item, 2).await.expect("take"));
    assert!(
        !take_live_units(db, item, 1).await.expect("take"),
        "cap of 2 reached"
    );
    return_live_units(db, item, 1).await.expect("return");
    assert!(take_live_units(db, item, 1).await.expect("take"));

    let res = app
        .delete(
            &format!("{}/items/{item}", session_path(&shop, id)),
            Some(&shop.streamer),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        live_price_for(db, id, berry).await.expect("query"),
        None,
        "unpinned"
    );
    assert_eq!(act(&app, &shop, id, "end").await.status(), StatusCode::OK);
    assert_eq!(
        live_price_for(db, id, tea).await.expect("query"),
        None,
        "ended"
    );
}
