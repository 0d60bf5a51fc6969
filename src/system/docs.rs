//! The OpenAPI document (generated from the handlers' annotations) and the
//! Swagger UI page that renders it, its files vendored by `utoipa-swagger-ui`.

use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorCode, FieldError, Problem};
use crate::fulfilment::console;
use crate::live::events::EventKind;
use crate::live::model::{
    Explaining, ItemUnpinned, ItemsReordered, PinnedItemView, PriceChanged, SessionChanged,
};
use crate::live::viewers::ViewerStats;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gongfang API",
        description = "Sales and order backend for village common-prosperity workshops: \
            live sessions, flash deals, group-buys, fulfilment and farmers' income. \
            Money is integer fen; times are RFC 3339 UTC; errors are application/problem+json.",
    ),
    paths(
        openapi_json,
        docs_page,
        swagger_js,
        swagger_css,
        metrics,
        console::console_page,
        console::console_js,
        console::console_css
    ),
    components(schemas(
        Problem,
        ErrorCode,
        FieldError,
        // Payloads of the live event stream (`data:` of each `event:` kind).
        EventKind,
        SessionChanged,
        PinnedItemView,
        ItemUnpinned,
        ItemsReordered,
        Explaining,
        PriceChanged,
        ViewerStats,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "system", description = "Health, readiness, metrics and this document"),
        (name = "auth", description = "Accounts and bearer tokens"),
        (name = "workshops", description = "Workshops and their staff"),
        (name = "live", description = "Live sessions, the pinned showcase (小黄车) and the live room's event stream"),
        (name = "orders", description = "Orders: checkout, reservation, history, cancellation, refunds"),
        (name = "payments", description = "Payments and provider webhooks"),
        (name = "cart", description = "A customer's addresses and cart"),
        (name = "webhooks", description = "Signed partner webhooks: endpoints, delivery log, redelivery. \
            Each delivery is POST JSON {id, type, created_at, workshop_id, data} with headers \
            Gongfang-Event-Id, Gongfang-Timestamp and Gongfang-Signature: \
            v1=<hex HMAC-SHA256(secret, timestamp + \".\" + body)>. Receivers verify the HMAC over the raw body, \
            reject timestamps more than 5 minutes old and event ids already seen."),
        (name = "catalog", description = "The public storefront: products, SKUs, prices and availability (cached, with ETag)"),
        (name = "catalog management", description = "Managers' products, SKUs, prices and catalog policy"),
        (name = "stock", description = "Stock adjustments and the movement ledger on_hand sums from"),
        (name = "lots", description = "Produce lots received from farmers, expiry and write-offs"),
        (name = "farmers", description = "Farmer households supplying a workshop"),
        (name = "ledger", description = "The common-prosperity ledger: farmer contracts (兜底收购), the premium split rule, \
            sale splits to the fen, append-only ledger entries, farmer statements and payouts"),
        (name = "reports", description = "Workshop reports (JSON, CSV, SVG charts) and the platform overview; \
            the HTML report page is /reports/workshops/{id}"),
        (name = "groupbuys", description = "Community group-buys (社区团购): leaders and pickup points, campaigns with \
            tier prices and a cut-off, joining, settlement (tier differences refunded, or everyone refunded), \
            pickup codes and leader commission. Events: groupbuy.opened, groupbuy.succeeded, groupbuy.failed, \
            groupbuy.cancelled, order.collected; order.ready_for_pickup comes from fulfilment's dispatch to the point."),
        (name = "fulfilment", description = "Pick waves with first-expiry-first-out lots, pick lists, packing, \
            shipping, dispatch to pickup points, signed carrier updates and lot traceability"),
        (name = "after-sales", description = "Claims (售后) on delivered orders: refund or reship, and claims per lot and farmer"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// This OpenAPI 3 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}

/// A browsable page of this document (Swagger UI, served locally).
#[utoipa::path(get, path = "/docs", tag = "system", responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(DOCS_HTML)
}

/// Prometheus metrics: request counts and latency histograms per route and status.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[allow(dead_code)]
async fn metrics() {}

/// Swagger UI script used by the docs page.
#[utoipa::path(get, path = "/docs/swagger-ui-bundle.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "application/javascript")))]
pub async fn swagger_js() -> HttpResponse {
    swagger_file("swagger-ui-bundle.js")
}

/// Swagger UI stylesheet used by the docs page.
#[utoipa::path(get, path = "/docs/swagger-ui.css", tag = "system", responses((status = 200, description = "CSS", content_type = "text/css")))]
pub async fn swagger_css() -> HttpResponse {
    swagger_file("swagger-ui.css")
}

/// One file of the Swagger UI distribution that `utoipa-swagger-ui` vendors
/// into the binary.
fn swagger_file(name: &str) -> HttpResponse {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json"));
    match utoipa_swagger_ui::serve(name, config) {
        Ok(Some(file)) => HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header(("Cache-Control", "public, max-age=86400"))
            .body(file.bytes.into_owned()),
        _ => HttpResponse::NotFound().finish(),
    }
}

const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gongfang API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
</script>
</body>
</html>
"##;
