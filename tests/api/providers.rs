//! Provider adapters over HTTP: a payment provider configured by base URL and
//! credentials (a fake one the test serves on a random port), its failures
//! mapped to 503/502 without side effects, and the built-in sandboxes' API
//! (keys, idempotent refunds and bookings, signed carrier updates).

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use gongfang::integrations::logistics::ShipmentRequest;
use gongfang::platform::crypto::hmac_sha256_hex;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{assert_problem, json_of, spawn_app, spawn_app_with};
use crate::orders::buy;

#[derive(Clone, Debug)]
struct Call {
    path: String,
    authorization: String,
    body: Value,
}

/// A payment provider's API: records each call, answers like a provider would,
/// or with `fail_with` when set.
struct FakeProvider {
    base: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

async fn fake_provider(fail_with: Option<u16>) -> FakeProvider {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorded = calls.clone();
    let server = HttpServer::new(move || {
        let recorded = recorded.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let recorded = recorded.clone();
            async move {
                let call = Call {
                    path: req.path().to_owned(),
                    authorization: req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned(),
                    body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                };
                let n = {
                    let mut calls = recorded.lock().unwrap();
                    calls.push(call.clone());
                    calls.len()
                };
                if let Some(status) = fail_with {
                    return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .json(json!({"message": "no"}));
                }
                match call.path.as_str() {
                    "/v1/payments" => HttpResponse::Created()
                        .json(json!({"provider_ref": format!("acme_{n}"), "client_params": {"prepay_id": n}})),
                    "/v1/refunds" => HttpResponse::Ok().json(json!({"refund_ref": format!("acme_rf_{n}")})),
                    _ => HttpResponse::NotFound().finish(),
                }
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    FakeProvider { base, calls }
}

fn acme(base: String) -> impl FnOnce(&mut gongfang::config::Settings) {
    move |s| {
        s.payments.provider = "acme".into();
        s.payments.sandbox_enabled = false;
        s.payments.base_url = base;
        s.payments.merchant_id = "m-9".into();
        s.payments.api_key = "key-123".into();
        s.payments.webhook_secret = "acme-secret".into();
        s.payments.signature_header = "Acme-Signature".into();
    }
}

#[tokio::test]
async fn payments_go_to_the_configured_provider_with_its_credentials() {
    let provider = fake_provider(None).await;
    let app = spawn_app_with(acme(provider.base.clone())).await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, "31001").await;
    let sku = app
        .sku(
            shop.id,
            SkuSpec {
                price_fen: 1500,
                ..Default::default()
            },
        )
        .await;
    let (token, address) = app.shopper("13931000001").await;
    let order = json_of(buy(&app, &token, address, sku, 2).await).await;
    let id = order["id"].as_i64().unwrap();
    let total = order["total_fen"].as_i64().unwrap();

    let res = app
        .post(
            &format!("/api/v1/orders/{id}/payments"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let payment = json_of(res).await;
    assert_eq!(payment["provider"], "acme");
    assert_eq!(payment["client_params"]["prepay_id"], 1);
    let created = provider.calls.lock().unwrap()[0].clone();
    assert_eq!(created.path, "/v1/payments");
    assert_eq!(created.authorization, "Bearer key-123");
    assert_eq!(created.body["merchant_id"], "m-9");
    assert_eq!(created.body["amount_fen"], total);
    let notify_url = created.body["notify_url"].as_str().unwrap();
    assert!(
        notify_url.ends_with("/api/v1/payments/webhooks/acme"),
        "{notify_url}"
    );

    // The provider's webhook, signed with its secret in its header, confirms it.
    let event = json!({"event_id": "e1", "type": "payment.succeeded",
        "provider_ref": payment["provider_ref"], "amount_fen": total, "occurred_at": "2026-11-29T08:00:00Z"});
    let body = serde_json::to_vec(&event).unwrap();
    let webhook = |signature: String| {
        app.client
            .post(notify_url)
            .header("content-type", "application/json")
            .header("Acme-Signature", signature)
            .body(body.clone())
            .send()
    };
    assert_eq!(
        webhook("00".repeat(32)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let signature = hmac_sha256_hex(b"acme-secret", &body);
    assert_eq!(
        webhook(signature).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let order = json_of(app.get(&format!("/api/v1/orders/{id}"), Some(&token)).await).await;
    assert_eq!(order["status"], "paid");

    // A refund asks the provider once, under a refund number derived from the order.
    let res = app
        .post(
            &format!("/api/v1/workshops/{}/orders/{id}/refunds", shop.id),
            Some(&shop.manager),
            &json!({"reason": "customer asked"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["amount_fen"], total);
    let calls = provider.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].path, "/v1/refunds");
    assert_eq!(calls[1].authorization, "Bearer key-123");
    assert_eq!(
        calls[1].body["out_refund_no"],
        format!("gf-rf-{id}-{total}")
    );
    assert_eq!(calls[1].body["provider_ref"], payment["provider_ref"]);
    assert_eq!(calls[1].body["amount_fen"], total);
}

#[tokio::test]
async fn an_unreachable_or_refusing_provider_answers_503_or_502_and_changes_nothing() {
    let closed = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", socket.local_addr().unwrap())
    };
    let refusing = fake_provider(Some(400)).await;
    for (base, status, code) in [
        (
            closed,
            StatusCode::SERVICE_UNAVAILABLE,
            "provider_unavailable",
        ),
        (
            refusing.base.clone(),
            StatusCode::BAD_GATEWAY,
            "provider_rejected",
        ),
    ] {
        let app = spawn_app_with(acme(base)).await;
        let admin = app.admin().await;
        let shop = app.workshop(&admin, "31002").await;
        let sku = app.sku(shop.id, SkuSpec::default()).await;
        let (token, address) = app.shopper("13931000002").await;
        let order = json_of(buy(&app, &token, address, sku, 1).await).await;
        let id = order["id"].as_i64().unwrap();
        let res = app
            .post(
                &format!("/api/v1/orders/{id}/payments"),
                Some(&token),
                &json!({}),
            )
            .await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(res.headers().get("retry-after").is_some());
        }
        assert_problem(res, status, code).await;
        let order = json_of(app.get(&format!("/api/v1/orders/{id}"), Some(&token)).await).await;
        assert_eq!(order["status"], "pending_payment");
        assert_eq!(order["paid_fen"], 0);
    }
    assert_eq!(refusing.calls.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_sandbox_provider_needs_its_key_and_refunds_each_number_once() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/sandbox/payments/v1/refunds"))
        .header("authorization", "Bearer wrong")
        .json(&json!({"out_refund_no": "x", "provider_ref": "sbx_1", "amount_fen": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let gateway = app.state.payments.get("sandbox").unwrap();
    let first = gateway.refund("gf-rf-7-100", "sbx_abc", 100).await.unwrap();
    let again = gateway.refund("gf-rf-7-100", "sbx_abc", 100).await.unwrap();
    let other = gateway.refund("gf-rf-7-150", "sbx_abc", 50).await.unwrap();
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_eq!(app.state.payments.sandbox_refund_calls(), 2);
}

fn parcel(reference: &str) -> ShipmentRequest {
    ShipmentRequest {
        reference: reference.into(),
        carrier: Some("sf".into()),
        cold_chain: true,
        packages: 2,
        weight_g: 2400,
        recipient: "王芳".into(),
        phone: "13931000003".into(),
        address: "浙江省杭州市建德市新安江街道 1 号".into(),
        notify_url: String::new(),
    }
}

#[tokio::test]
async fn the_sandbox_carrier_books_once_per_reference_tracks_and_signs_updates() {
    let app = spawn_app().await;
    let logistics = &app.state.logistics;
    let booking = logistics.book(parcel("order-1")).await.unwrap();
    assert_eq!(booking.carrier, "sf");
    assert!(
        booking.tracking_number.starts_with("SBX"),
        "{}",
        booking.tracking_number
    );
    let again = logistics.book(parcel("order-1")).await.unwrap();
    assert_eq!(again.tracking_number, booking.tracking_number);
    let other = logistics.book(parcel("order-2")).await.unwrap();
    assert_ne!(other.tracking_number, booking.tracking_number);

    let tracking = logistics.track(&booking.tracking_number).await.unwrap();
    assert_eq!(tracking.status, "booked");
    let moved = logistics
        .advance_in_sandbox(
            &booking.tracking_number,
            "in_transit",
            "left Jiande sorting centre",
        )
        .await
        .unwrap();
    assert_eq!(moved.status, "in_transit");
    assert_eq!(moved.events.len(), 2);
    assert!(logistics.track("../etc").await.is_err());

    let update = json!({"event_id": "c1", "carrier": "sf", "tracking_number": booking.tracking_number,
        "status": "delivered", "detail": "signed for", "occurred_at": "2026-11-29T08:00:00Z"});
    let body = serde_json::to_vec(&update).unwrap();
    let secret = app
        .state
        .settings
        .logistics
        .webhook_secret
        .expose_secret()
        .to_owned();
    let signature = hmac_sha256_hex(secret.as_bytes(), &body);
    let parsed = logistics.parse_update(Some(&signature), &body).unwrap();
    assert_eq!(parsed.status, "delivered");
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert!(logistics.parse_update(Some(&signature), &tampered).is_err());
    assert!(logistics.parse_update(None, &body).is_err());
}
