//! SSRF safety: private, loopback and special addresses are refused in the
//! production profile, at registration and again after DNS at delivery.

use chrono::Utc;
use gongfang::entity::webhook_endpoint;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use super::{Endpoint, Receiver, fast, register, send_test, wait_status};
use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

fn production(settings: &mut gongfang::config::Settings) {
    fast(settings);
    settings.profile = "production".into();
    settings.webhooks.allow_insecure_local = true; // ignored in production
    settings.webhooks.max_age_secs = 2;
}

#[tokio::test]
async fn an_endpoint_at_a_private_address_is_refused_in_production() {
    let app = spawn_app_with(production).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16401").await;
    let path = format!("/api/v1/workshops/{}/webhooks", shop.id);
    for url in [
        "https://10.0.0.8/hook",
        "https://192.168.1.20/hook",
        "https://172.20.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1:9/hook",
        "https://2130706433/hook",
        "https://localhost:9/hook",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.8]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "http://93.184.216.34/hook",
    ] {
        let body = json!({"url": url, "event_types": ["*"]});
        let res = app.post(&path, Some(&shop.manager), &body).await;
        let problem =
            assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
    }
    // A public https address is accepted (nothing is sent to it here).
    let body = json!({"url": "https://93.184.216.34/hook", "event_types": ["order.paid"]});
    let res = app.post(&path, Some(&shop.manager), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn outside_production_http_to_loopback_is_allowed_but_private_networks_are_not() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16402").await;
    let receiver = Receiver::start().await;
    register(
        &app,
        &shop,
        &format!("http://localhost:{}/hook", receiver.port()),
        &["*"],
    )
    .await;
    let path = format!("/api/v1/workshops/{}/webhooks", shop.id);
    for url in ["http://10.1.1.1/hook", "http://[::ffff:192.168.0.1]/hook"] {
        let res = app
            .post(
                &path,
                Some(&shop.manager),
                &json!({"url": url, "event_types": ["*"]}),
            )
            .await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_again_at_delivery() {
    let app = spawn_app_with(production).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "16403").await;
    let receiver = Receiver::start().await;
    // As if the partner's name had pointed elsewhere at registration and was
    // re-pointed to an internal address afterwards (DNS rebinding).
    let now = Utc::now();
    let row = webhook_endpoint::ActiveModel {
        workshop_id: Set(shop.id),
        url: Set(format!("https://localhost:{}/hook", receiver.port())),
        description: Set(String::new()),
        event_types: Set("[\"*\"]".into()),
        secret: Set("whsec_test".into()),
        enabled: Set(true),
        consecutive_failures: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .expect("endpoint row");
    let endpoint = Endpoint {
        id: row.id,
        secret: row.secret,
        path: format!("/api/v1/workshops/{}/webhooks/{}", shop.id, row.id),
    };
    let id = send_test(&app, &shop, &endpoint).await;
    let dead = wait_status(&app, &shop, &endpoint, id, "dead").await;
    let error = dead["last_error"].as_str().unwrap();
    assert!(
        error.contains("refused") && error.contains("loopback"),
        "{error}"
    );
    assert!(receiver.received().is_empty());
}
