//! Turns every error the framework itself produces (unknown route, wrong
//! method, bad path or query) into problem+json, never plain text.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use utoipa::openapi::OpenApi;

use crate::error::{AppError, ErrorCode};

pub fn rewrite_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers (problem+json, or JSON like /readyz's 503) pass through.
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/"));
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let error = error_for_status(res.status());
    let (req, _) = res.into_parts();
    let response = error.error_response();
    let res: ServiceResponse<EitherBody<B>> =
        ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

fn error_for_status(status: StatusCode) -> AppError {
    let code = match status.as_u16() {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::ServiceUnavailable,
        s if s >= 500 => ErrorCode::Internal,
        _ => ErrorCode::InvalidParameter,
    };
    let detail = status
        .canonical_reason()
        .unwrap_or("request failed")
        .to_lowercase();
    AppError::new(code, detail)
}

/// Unknown routes, and known paths asked with a method they do not have
/// (405 with `Allow`, read from the OpenAPI document so it never drifts).
pub async fn not_found(
    req: HttpRequest,
    doc: Option<web::Data<OpenApi>>,
) -> Result<HttpResponse, AppError> {
    let allowed = doc
        .map(|doc| methods_of(&doc, req.path()))
        .unwrap_or_default();
    if allowed.is_empty() {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!("no route for {} {}", req.method(), req.path()),
        ));
    }
    let allow = allowed.join(", ");
    let error = AppError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed here; allowed: {allow}", req.method()),
    );
    let mut response = error.error_response();
    response.headers_mut().insert(
        header::ALLOW,
        header::HeaderValue::from_str(&allow).map_err(|_| error)?,
    );
    Ok(response)
}

/// The documented methods of the path template matching `path`, if any.
fn methods_of(doc: &OpenApi, path: &str) -> Vec<&'static str> {
    let Some(item) = doc
        .paths
        .paths
        .iter()
        .find(|(template, _)| template_matches(template, path))
        .map(|(_, item)| item)
    else {
        return Vec::new();
    };
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter(|(_, operation)| operation.is_some())
    .map(|(method, _)| method)
    .collect()
}

fn template_matches(template: &str, path: &str) -> bool {
    let (mut template, mut path) = (template.split('/'), path.split('/'));
    loop {
        match (template.next(), path.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t == p || (t.starts_with('{') && !p.is_empty()) => {}
            _ => return false,
        }
    }
}

/// A path segment that does not parse (e.g. a non-numeric id) names nothing.
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::new(ErrorCode::NotFound, format!("no such resource: {err}")).into()
}
