//! Bad input always gets a clear 4xx problem+json, never a 500 or plain text.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

const REGISTER: &str = "/api/v1/auth/register";

async fn raw_post(
    app: &crate::helpers::TestApp,
    body: impl Into<reqwest::Body>,
    content_type: Option<&str>,
) -> reqwest::Response {
    let mut req = app.request(Method::POST, REGISTER, None).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let res = raw_post(&app, r#"{"phone": "1380000"#, Some("application/json")).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_json").await;
    let res = raw_post(&app, "not json at all", Some("application/json")).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_json").await;
    let res = raw_post(&app, "\u{feff}{}", Some("application/json")).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed_json").await;
}

#[tokio::test]
async fn wrong_field_types_are_422_naming_the_field() {
    let app = spawn_app().await;
    let body = json!({"phone": 13800000000u64, "password": "long-enough", "name": "x"});
    let res = app.post(REGISTER, None, &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(problem["errors"][0]["field"], "phone");
}

#[tokio::test]
async fn an_array_of_the_fields_in_order_is_not_an_object() {
    let app = spawn_app().await;
    let res = raw_post(
        &app,
        r#"["13800000011", "long-enough", "张三"]"#,
        Some("application/json"),
    )
    .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(problem["errors"][0]["field"], "body");
    let res = app.login("13800000011", "long-enough").await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "nobody was registered"
    );
}

#[tokio::test]
async fn duplicate_keys_are_422_naming_the_key() {
    let app = spawn_app().await;
    let body =
        r#"{"phone": "13800000012", "password": "long-enough", "name": "张三", "name": "李四"}"#;
    let res = raw_post(&app, body, Some("application/json")).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("duplicate field `name`"),
        "{problem}"
    );
}

#[tokio::test]
async fn unknown_fields_are_422() {
    let app = spawn_app().await;
    let body = json!({"phone": "13800000000", "password": "long-enough", "name": "x", "is_platform_admin": true});
    let res = app.post(REGISTER, None, &body).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
}

#[tokio::test]
async fn validation_lists_every_offending_field() {
    let app = spawn_app().await;
    let body = json!({"phone": "12ab", "password": "short", "name": ""});
    let res = app.post(REGISTER, None, &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["phone", "password", "name"]);
}

#[tokio::test]
async fn missing_or_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let body = r#"{"phone":"13800000000","password":"long-enough","name":"x"}"#;
    let res = raw_post(&app, body, None).await;
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let res = raw_post(&app, body, Some("text/plain")).await;
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let app = spawn_app().await;
    let body =
        json!({"phone": "13800000000", "password": "long-enough", "name": "x".repeat(70 * 1024)});
    let res = app.post(REGISTER, None, &body).await;
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn absurdly_deep_json_is_a_client_error() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let res = raw_post(&app, deep, Some("application/json")).await;
    assert!(res.status().is_client_error());
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Deep inside a field, where only the parser's recursion limit stops it.
    let deep = format!(
        r#"{{"phone": "1", "password": "x", "name": {}1{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let res = raw_post(&app, deep, Some("application/json")).await;
    assert!(res.status().is_client_error());
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn a_nul_character_in_text_is_422_and_stores_nothing() {
    let app = spawn_app().await;
    let body = json!({"phone": "13800000009", "password": "long-enough", "name": "张\u{0000}三"});
    let res = app.post(REGISTER, None, &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "body.name");
    let res = app.login("13800000009", "long-enough").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn zero_width_and_bidi_characters_in_names_are_422() {
    let app = spawn_app().await;
    for name in ["张\u{200B}三", "\u{202E}evil"] {
        let body = json!({"phone": "13800000009", "password": "long-enough", "name": name});
        let res = app.post(REGISTER, None, &body).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/no-such-thing", None).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_non_numeric_id_is_404() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/workshops/abc",
        "/api/v1/workshops/..%2F..%2Fetc",
        "/api/v1/workshops/99999999999999999999",
    ] {
        let res = app.get(path, None).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_problem_too() {
    let app = spawn_app().await;
    let res = app
        .request(Method::PUT, "/api/v1/auth/login", None)
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/workshops?limit=-5", None).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let res = app.get("/api/v1/workshops?cursor=garbage!", None).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}
