//! Managing endpoints: registration with a secret shown once, roles and
//! workshop isolation, validation, enabling and disabling, deletion.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Fixture, Receiver, fixture, post_test, register};
use crate::helpers::{assert_problem, json_of, spawn_app};

#[tokio::test]
async fn a_manager_registers_an_endpoint_and_sees_its_secret_only_once() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("16001", &["order.*", "order.*", "*"], |_| {}).await;
    assert!(endpoint.secret.starts_with("whsec_") && endpoint.secret.len() == 70);
    let body = json_of(app.get(&endpoint.path, Some(&shop.manager)).await).await;
    assert_eq!(body["url"], receiver.hook_url());
    assert_eq!(body["event_types"], json!(["*", "order.*"]));
    assert_eq!(body["enabled"], true);
    assert!(body.get("secret").is_none(), "{body}");
    let list = app
        .get(
            &format!("/api/v1/workshops/{}/webhooks", shop.id),
            Some(&shop.manager),
        )
        .await;
    let list = json_of(list).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("secret").is_none());
}

#[tokio::test]
async fn only_the_workshops_managers_manage_its_webhooks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16002").await;
    let other = app.workshop(&admin, "16003").await;
    let receiver = Receiver::start().await;
    let endpoint = register(&app, &shop, &receiver.hook_url(), &["*"]).await;
    let create = json!({"url": receiver.hook_url(), "event_types": ["*"]});
    let list = format!("/api/v1/workshops/{}/webhooks", shop.id);
    for token in [&shop.streamer, &shop.fulfilment, &shop.leader] {
        let res = app.post(&list, Some(token), &create).await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
        let res = app.get(&endpoint.path, Some(token)).await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let res = app.get(&endpoint.path, Some(&other.manager)).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    // Through its own workshop's path, another workshop's endpoint does not exist.
    let foreign = format!("/api/v1/workshops/{}/webhooks/{}", other.id, endpoint.id);
    let res = app.get(&foreign, Some(&other.manager)).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .get(&format!("{}/deliveries", endpoint.path), None)
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn bad_urls_and_event_types_are_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16004").await;
    let path = format!("/api/v1/workshops/{}/webhooks", shop.id);
    for (body, field) in [
        (json!({"url": "not a url", "event_types": ["*"]}), "url"),
        (
            json!({"url": "ftp://127.0.0.1/x", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://user:pw@127.0.0.1/x", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://127.0.0.1/x", "event_types": []}),
            "event_types",
        ),
        (
            json!({"url": "http://127.0.0.1/x", "event_types": ["Order.Paid"]}),
            "event_types[0]",
        ),
        (
            json!({"url": "http://127.0.0.1/x", "event_types": ["*"], "description": "x".repeat(501)}),
            "description",
        ),
    ] {
        let res = app.post(&path, Some(&shop.manager), &body).await;
        let problem =
            assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let body = json!({"url": "http://127.0.0.1/x", "event_types": ["*"], "secret": "mine"});
    let res = app.post(&path, Some(&shop.manager), &body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_disabled_endpoint_takes_no_test_events_until_enabled_again() {
    let Fixture {
        app,
        shop,
        endpoint,
        ..
    } = fixture("16005", &["order.*"], |_| {}).await;
    let patch = |body| {
        app.request(Method::PATCH, &endpoint.path, Some(&shop.manager))
            .json(&body)
            .send()
    };
    let off = json_of(patch(json!({"enabled": false})).await.unwrap()).await;
    assert_eq!(off["enabled"], false);
    assert_eq!(off["disabled_reason"], "disabled by a manager");
    let res = post_test(&app, &shop, &endpoint).await;
    assert_problem(res, StatusCode::CONFLICT, "webhook_disabled").await;
    let on = json_of(
        patch(json!({"enabled": true, "event_types": ["order.paid"]}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(on["enabled"], true);
    assert_eq!(on["disabled_reason"], serde_json::Value::Null);
    assert_eq!(on["event_types"], json!(["order.paid"]));
    let res = post_test(&app, &shop, &endpoint).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_deleted_endpoint_is_gone_with_its_log() {
    let Fixture {
        app,
        shop,
        endpoint,
        ..
    } = fixture("16006", &["*"], |_| {}).await;
    super::send_test(&app, &shop, &endpoint).await;
    let res = app.delete(&endpoint.path, Some(&shop.manager)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get(&endpoint.path, Some(&shop.manager)).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .get(
            &format!("{}/deliveries", endpoint.path),
            Some(&shop.manager),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}
