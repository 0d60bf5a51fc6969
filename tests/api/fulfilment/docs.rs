//! Every fulfilment and after-sales endpoint, and the console, is in the
//! OpenAPI document; the console is served from the binary.

use reqwest::StatusCode;

use crate::helpers::{json_of, spawn_app};

#[tokio::test]
async fn every_fulfilment_endpoint_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = json_of(app.get("/api/openapi.json", None).await).await;
    let paths = doc["paths"].as_object().unwrap();
    let w = "/api/v1/workshops/{workshop_id}";
    for (path, method) in [
        (format!("{w}/waves"), "post"),
        (format!("{w}/waves"), "get"),
        (format!("{w}/waves/{{wave_id}}"), "get"),
        (format!("{w}/waves/{{wave_id}}/pick-list"), "get"),
        (format!("{w}/waves/{{wave_id}}/pick-list.html"), "get"),
        (format!("{w}/orders/{{order_id}}/pack"), "post"),
        (format!("{w}/orders/{{order_id}}/ship"), "post"),
        (format!("{w}/orders/{{order_id}}/dispatch"), "post"),
        (format!("{w}/orders/{{order_id}}/shipment"), "get"),
        (format!("{w}/orders/{{order_id}}/packing-slip"), "get"),
        (format!("{w}/orders/{{order_id}}/trace"), "get"),
        (format!("{w}/lots/{{lot_id}}/recipients"), "get"),
        (format!("{w}/claims"), "get"),
        (format!("{w}/claims/stats"), "get"),
        (format!("{w}/claims/{{claim_id}}/approve"), "post"),
        (format!("{w}/claims/{{claim_id}}/reject"), "post"),
        ("/api/v1/orders/{order_id}/claims".into(), "post"),
        ("/api/v1/orders/{order_id}/claims".into(), "get"),
        ("/api/v1/carriers/{carrier}/updates".into(), "post"),
        ("/console".into(), "get"),
        ("/console/console.js".into(), "get"),
        ("/console/console.css".into(), "get"),
    ] {
        assert!(paths[&path][method].is_object(), "{method} {path} missing");
    }

    for asset in ["/console", "/console/console.js", "/console/console.css"] {
        let res = app.get(asset, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        assert!(
            !res.text().await.unwrap().contains("https://"),
            "{asset} loads nothing remote"
        );
    }
}
