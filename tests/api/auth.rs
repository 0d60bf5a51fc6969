//! Registration, login, logout, token revocation and login rate limits.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, assert_problem, json_of, spawn_app, spawn_app_with, token_of};

#[tokio::test]
async fn a_customer_registers_logs_in_and_reads_me() {
    let app = spawn_app().await;
    let token = app.customer("13800000001").await;
    let res = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me = json_of(res).await;
    assert_eq!(me["account"]["phone"], "13800000001");
    assert_eq!(me["account"]["is_customer"], true);
    assert_eq!(me["account"]["is_platform_admin"], false);
    assert!(me["account"].get("password_hash").is_none());

    let res = app.login("13800000001", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let login_token = token_of(res).await;
    assert_ne!(login_token, token);
}

#[tokio::test]
async fn a_phone_registers_only_once() {
    let app = spawn_app().await;
    app.customer("13800000002").await;
    let body = json!({"phone": "13800000002", "password": PASSWORD, "name": "again"});
    let res = app.post("/api/v1/auth/register", None, &body).await;
    assert_problem(res, StatusCode::CONFLICT, "already_exists").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_phone_are_the_same_401() {
    let app = spawn_app().await;
    app.customer("13800000003").await;
    let wrong = app.login("13800000003", "not-the-password").await;
    let wrong = assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let unknown = app.login("13899999999", "not-the-password").await;
    let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn no_token_or_a_bad_token_is_401() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me", None).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app.get("/api/v1/me", Some("gf_forged")).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn logout_revokes_the_token_at_once() {
    let app = spawn_app().await;
    let token = app.customer("13800000004").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::OK
    );
    let res = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get("/api/v1/me", Some(&token)).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn logout_on_one_instance_revokes_on_another() {
    let app = spawn_app().await;
    let peer = crate::helpers::spawn_peer(&app).await;
    let token = app.customer("13800000005").await;
    assert_eq!(
        peer.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::OK
    );
    let res = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = peer.get("/api/v1/me", Some(&token)).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited_per_account() {
    let app = spawn_app_with(|s| s.auth.login_failures_per_account = 3).await;
    app.customer("13800000006").await;
    for _ in 0..3 {
        let res = app.login("13800000006", "wrong-password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("13800000006", PASSWORD).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Another account from the same address is not locked by this one.
    app.customer("13800000007").await;
    assert_eq!(
        app.login("13800000007", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited_per_address() {
    let app = spawn_app_with(|s| s.auth.login_failures_per_ip = 4).await;
    for n in 0..4 {
        let res = app.login(&format!("1380000010{n}"), "wrong-password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("13800000200", "wrong-password").await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn concurrent_logins_all_succeed() {
    let app = spawn_app().await;
    app.customer("13800000008").await;
    let logins = (0..20).map(|_| app.login("13800000008", PASSWORD));
    for res in futures_util::future::join_all(logins).await {
        assert_eq!(res.status(), StatusCode::OK);
    }
}
