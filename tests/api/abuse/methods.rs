//! A known path asked with a method it does not have: 405 problem+json with an
//! `Allow` header listing exactly the documented methods (schemathesis checks
//! the same; this keeps it in `cargo test`).

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, StatusCode};

use super::openapi;
use crate::helpers::spawn_app;

#[tokio::test]
async fn undocumented_methods_answer_405_with_the_documented_ones() {
    let app = spawn_app().await;
    let doc = openapi::load(&app).await;
    let mut by_path: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for op in &doc.operations {
        by_path
            .entry(op.path.as_str())
            .or_default()
            .insert(op.method.to_string());
    }
    for (template, methods) in &by_path {
        let path = with_ids(template);
        let res = app
            .request(Method::TRACE, &path, None)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "TRACE {path}");
        let allow: BTreeSet<String> = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(", ")
            .map(str::to_owned)
            .collect();
        assert_eq!(&allow, methods, "Allow of {path}");
        let content_type = res.headers().get("content-type").cloned();
        assert_eq!(content_type.unwrap(), "application/problem+json");
    }
}

/// The template with every `{param}` segment filled with 1.
fn with_ids(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
