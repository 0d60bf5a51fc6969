//! With Redis unreachable the service still answers: the cache is bypassed,
//! readiness says so, and the login rate limit falls back to this process.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, assert_problem, json_of, spawn_app_with};

fn unreachable_redis(settings: &mut gongfang::config::Settings) {
    settings.cache.url = "redis://127.0.0.1:1".into();
    settings.auth.login_failures_per_account = 2;
}

#[tokio::test]
async fn the_service_answers_with_redis_unreachable_and_readyz_says_so() {
    let app = spawn_app_with(unreachable_redis).await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json_of(res).await;
    assert_eq!(body["database"], "up");
    assert_eq!(body["cache"], "down");
    assert_eq!(body["cache_kind"], "redis");

    let token = app.customer("13800000021").await;
    let res = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post("/api/v1/auth/logout", Some(&token), &serde_json::json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn the_login_rate_limit_holds_without_redis() {
    let app = spawn_app_with(unreachable_redis).await;
    app.customer("13800000022").await;
    for _ in 0..2 {
        assert_eq!(
            app.login("13800000022", "wrong-password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = app.login("13800000022", PASSWORD).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
