//! Health, readiness, metrics, request ids, the OpenAPI document and docs page.

use reqwest::StatusCode;

use crate::helpers::{json_of, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["status"], "ok");
}

#[tokio::test]
async fn readyz_names_database_and_cache() {
    let app = spawn_app().await;
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json_of(res).await;
    assert_eq!(body["database"], "up");
    assert_eq!(body["cache"], "up");
    let expected_kind = if std::env::var("TEST_REDIS_URL").is_ok() {
        "redis"
    } else {
        "in_process"
    };
    assert_eq!(body["cache_kind"], expected_kind);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.clone().close().await.expect("close pool");
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "2");
    let body = json_of(res).await;
    assert_eq!(body["database"], "down");
}

#[tokio::test]
async fn requests_fail_fast_with_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.clone().close().await.expect("close pool");
    let started = std::time::Instant::now();
    let res = app.get("/api/v1/workshops", None).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let retry_after = res.headers().get("retry-after").cloned();
    crate::helpers::assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
        .await;
    assert!(retry_after.is_some());
}

#[tokio::test]
async fn metrics_count_requests_per_route_pattern_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/workshops/12345", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"endpoint="/api/v1/workshops/{workshop_id}""#)
            && text.contains(r#"status="404""#),
        "{text}"
    );
    assert!(text.contains("gongfang_http_requests_duration_seconds_bucket"));
}

#[tokio::test]
async fn a_request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc-123");
    let res = app.get("/healthz", None).await;
    let generated = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 32);
}

#[tokio::test]
async fn openapi_document_lists_every_route_with_schemas() {
    let app = spawn_app().await;
    let res = app.get("/api/openapi.json", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc = json_of(res).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/openapi.json",
        "/docs",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/workshops",
        "/api/v1/workshops/{workshop_id}",
        "/api/v1/workshops/{workshop_id}/members",
        "/api/v1/workshops/{workshop_id}/members/{member_id}",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in ["Problem", "RegisterRequest", "TokenResponse", "MemberView"] {
        assert!(schemas.contains_key(schema), "missing schema {schema}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn docs_page_is_served_without_a_cdn() {
    let app = spawn_app().await;
    let res = app.get("/docs", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("/api/openapi.json"));
    assert!(
        !html.contains("https://"),
        "the page must not load remote assets"
    );
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        let res = app.get(asset, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        assert!(res.bytes().await.unwrap().len() > 10_000);
    }
}

/// Every `$ref` in the served document names a schema it defines (a client
/// generator, or schemathesis, would otherwise skip or fail on that part).
#[tokio::test]
async fn every_reference_in_the_openapi_document_resolves() {
    fn refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                    out.push(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let app = spawn_app().await;
    let doc = json_of(app.get("/api/openapi.json", None).await).await;
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100, "only {} references", found.len());
    let dangling: std::collections::BTreeSet<&str> = found
        .into_iter()
        .filter(|target| {
            let pointer = target.trim_start_matches('#');
            doc.pointer(pointer).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "unresolvable references: {dangling:?}");
}

/// Client generators key operations by `operationId`: two operations with one
/// id are refused or silently merged.
#[tokio::test]
async fn every_operation_id_in_the_openapi_document_is_unique() {
    let app = spawn_app().await;
    let doc = json_of(app.get("/api/openapi.json", None).await).await;
    let mut seen = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(id) = op["operationId"].as_str() {
                seen.entry(id.to_owned())
                    .or_default()
                    .push(format!("{method} {path}"));
            }
        }
    }
    assert!(seen.len() > 100, "only {} operation ids", seen.len());
    let repeated: Vec<_> = seen.iter().filter(|(_, ops)| ops.len() > 1).collect();
    assert!(
        repeated.is_empty(),
        "operation ids naming two operations: {repeated:?}"
    );
}

#[test]
fn printed_settings_show_no_secret() {
    let mut settings = gongfang::config::Settings::load_profile("test").expect("test settings");
    settings.auth.secret = "auth-secret-0123456789abcdef0123456789".into();
    settings.payments.api_key = "pay-key-visible-nowhere".into();
    settings.payments.webhook_secret = "pay-hook-visible-nowhere".into();
    settings.logistics.api_key = "ship-key-visible-nowhere".into();
    settings.logistics.webhook_secret = "ship-hook-visible-nowhere".into();
    settings
        .fulfilment
        .carrier_secrets
        .insert("sf".into(), "carrier-visible-nowhere".into());
    settings.database.url = "postgres://app:db-password-visible-nowhere@db:5432/gongfang".into();
    settings.cache.url = "redis://:cache-password-visible-nowhere@cache:6379".into();

    let printed = format!("{settings:?}");

    for secret in [
        "auth-secret",
        "pay-key",
        "pay-hook",
        "ship-key",
        "ship-hook",
        "carrier-visible",
        "db-password",
        "cache-password",
    ] {
        assert!(!printed.contains(secret), "{secret} printed in {printed}");
    }
    assert!(printed.contains("postgres://app:***@db:5432/gongfang"));
    assert!(printed.contains("redis://:***@cache:6379"));
}
