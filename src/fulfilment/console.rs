//! The staff console: one HTML page with its script and stylesheet compiled
//! into the binary (no CDN, no build step). It uses only the public API.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;

/// The fulfilment staff console (phone-sized): waves, pick lists, packing,
/// shipping, dispatch, and pickup-code verification for leaders.
#[utoipa::path(get, path = "/console", tag = "fulfilment", responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn console_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("Cache-Control", "no-cache"))
        .body(include_str!("../../assets/console/index.html"))
}

/// The console's script.
#[utoipa::path(get, path = "/console/console.js", tag = "fulfilment", responses((status = 200, description = "JavaScript", content_type = "application/javascript")))]
pub async fn console_js() -> HttpResponse {
    asset(
        "application/javascript; charset=utf-8",
        include_str!("../../assets/console/console.js"),
    )
}

/// The console's stylesheet.
#[utoipa::path(get, path = "/console/console.css", tag = "fulfilment", responses((status = 200, description = "CSS", content_type = "text/css")))]
pub async fn console_css() -> HttpResponse {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/console/console.css"),
    )
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "no-cache"))
        .body(body)
}
