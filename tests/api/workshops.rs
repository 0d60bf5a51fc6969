//! Workshops and staff: role enforcement (403), cross-workshop isolation (404),
//! membership changes taking effect at once, cursor pagination.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, assert_problem, json_of, spawn_app};

#[tokio::test]
async fn a_platform_admin_creates_a_workshop_with_its_manager() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15001").await;
    let res = app
        .get(&format!("/api/v1/workshops/{}", shop.id), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["name"], "工坊15001");
    let me = json_of(app.get("/api/v1/me", Some(&shop.manager)).await).await;
    assert_eq!(
        me["roles"],
        json!([{"workshop_id": shop.id, "role": "manager"}])
    );
}

#[tokio::test]
async fn only_a_platform_admin_creates_workshops() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15002").await;
    let customer = app.customer("13800000011").await;
    let body = json!({"name": "x", "region": "y", "contact": "z", "manager": {"phone": "13800000011", "name": "n"}});
    for token in [&customer, &shop.manager] {
        let res = app.post("/api/v1/workshops", Some(token), &body).await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn workshop_names_are_unique() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.workshop(&admin, "15003").await;
    let body = json!({"name": "工坊15003", "region": "y", "contact": "z",
        "manager": {"phone": "13800000012", "name": "n", "password": PASSWORD}});
    let res = app.post("/api/v1/workshops", Some(&admin), &body).await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;
}

#[tokio::test]
async fn staff_without_the_manager_role_get_403() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15004").await;
    let path = format!("/api/v1/workshops/{}/members", shop.id);
    for token in [&shop.streamer, &shop.fulfilment, &shop.leader] {
        assert_problem(
            app.get(&path, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        let body =
            json!({"phone": "13800000013", "name": "n", "role": "streamer", "password": PASSWORD});
        assert_problem(
            app.post(&path, Some(token), &body).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
}

#[tokio::test]
async fn another_workshops_staff_and_customers_get_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15005").await;
    let other = app.workshop(&admin, "15006").await;
    let customer = app.customer("13800000014").await;
    let path = format!("/api/v1/workshops/{}/members", shop.id);
    for token in [&other.manager, &other.streamer, &customer] {
        assert_problem(
            app.get(&path, Some(token)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let res = app.delete(&format!("{path}/1"), Some(token)).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn a_new_member_gets_the_role_and_an_existing_account_is_reused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15007").await;
    let customer = app.customer("13800000015").await;
    let path = format!("/api/v1/workshops/{}/members", shop.id);
    // An existing account is added by phone; no password needed.
    let res = app
        .post(
            &path,
            Some(&shop.manager),
            &json!({"phone": "13800000015", "name": "顾客", "role": "streamer"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let me = json_of(app.get("/api/v1/me", Some(&customer)).await).await;
    assert_eq!(
        me["roles"],
        json!([{"workshop_id": shop.id, "role": "streamer"}])
    );
    assert_eq!(me["account"]["is_customer"], true);
    // A new phone without a password is refused.
    let res = app
        .post(
            &path,
            Some(&shop.manager),
            &json!({"phone": "13800000016", "name": "新人", "role": "leader"}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "password");
    // The same role twice is a conflict.
    let res = app
        .post(
            &path,
            Some(&shop.manager),
            &json!({"phone": "13800000015", "name": "顾客", "role": "streamer"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15008").await;
    let path = format!("/api/v1/workshops/{}/members", shop.id);
    let res = app.post(&path, Some(&shop.manager), &json!({"phone": "15008000009", "name": "副经理", "role": "manager", "password": PASSWORD})).await;
    let member_id = json_of(res).await["id"].as_i64().unwrap();
    let deputy = app.token("15008000009").await;
    assert_eq!(app.get(&path, Some(&deputy)).await.status(), StatusCode::OK);
    let res = app
        .delete(&format!("{path}/{member_id}"), Some(&shop.manager))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&path, Some(&deputy)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_last_manager_cannot_be_removed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15009").await;
    let path = format!("/api/v1/workshops/{}/members", shop.id);
    let members = json_of(app.get(&path, Some(&shop.manager)).await).await;
    let manager_id = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "manager")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .delete(&format!("{path}/{manager_id}"), Some(&shop.manager))
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn members_are_listed_with_a_cursor() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15010").await;
    let path = format!("/api/v1/workshops/{}/members", shop.id);
    let first = json_of(
        app.get(&format!("{path}?limit=3"), Some(&shop.manager))
            .await,
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json_of(
        app.get(
            &format!("{path}?limit=3&cursor={cursor}"),
            Some(&shop.manager),
        )
        .await,
    )
    .await;
    let rest = second["items"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert!(second["next_cursor"].is_null());
    let ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest)
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "no member repeated or out of order");
    let roles: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest)
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["manager", "streamer", "fulfilment", "leader"]);
}

#[tokio::test]
async fn a_platform_admin_reaches_any_workshop() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "15011").await;
    let res = app
        .get(
            &format!("/api/v1/workshops/{}/members", shop.id),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .get("/api/v1/workshops/987654/members", Some(&admin))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}
