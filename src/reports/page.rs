//! The report page, `/reports/workshops/{id}`: a static HTML shell holding no
//! data. It signs in through `/api/v1/auth/login` (or reuses a token kept in
//! sessionStorage) and fetches the JSON report and SVG charts with
//! `Authorization: Bearer`, so the token never travels in a URL.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use crate::error::{AppError, AppResult};

const PAGE: &str = include_str!("../../assets/reports/report.html");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/reports/workshops/{workshop_id}",
        web::get().to(report_page),
    );
}

async fn report_page(path: web::Path<String>) -> AppResult<HttpResponse> {
    // The id is only echoed into the page after this check.
    let id = path.into_inner();
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::not_found("workshop"));
    }
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:",
        ))
        .body(PAGE.replace("{{WORKSHOP_ID}}", &id)))
}
