//! The JSON body extractor every handler uses: content type, size limit,
//! syntax, field types, unknown fields, duplicate keys, arrays in place of
//! objects and NUL characters each give a clear 4xx.

mod strict;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::{AppError, ErrorCode, FieldError};

/// Request bodies larger than this are refused with 413 (from `server.json_limit_bytes`).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = limit_of(req);
        let checked = check_content_type(req).and_then(|()| check_declared_length(req, limit));
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let body = read_body(&mut payload, limit).await?;
            parse(&body).map(Json)
        })
    }
}

/// A body that may be left out: no body, an empty one or `null` is `T::default()`;
/// a body that is sent is held to the same rules as [`Json`].
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = limit_of(req);
        let content_type = check_content_type(req);
        let declared = check_declared_length(req, limit);
        let mut payload = payload.take();
        Box::pin(async move {
            declared?;
            let body = read_body(&mut payload, limit).await?;
            if body.is_empty() {
                return Ok(OptionalJson(T::default()));
            }
            content_type?;
            if body.trim_ascii() == b"null" {
                return Ok(OptionalJson(T::default())); // the schema's "or null"
            }
            parse(&body).map(OptionalJson)
        })
    }
}

fn limit_of(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<JsonLimit>>()
        .map_or(64 * 1024, |l| l.0)
}

async fn read_body(payload: &mut Payload, limit: usize) -> Result<web::BytesMut, AppError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::new(
                ErrorCode::MalformedJson,
                format!("could not read body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses a JSON body into `T`, mapping every failure to a client error.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let strict::UniqueKeys(tree) = serde_path_to_error::deserialize(&mut de).map_err(body_error)?;
    de.end().map_err(|e| {
        AppError::new(
            ErrorCode::MalformedJson,
            format!("trailing characters after the JSON body: {e}"),
        )
    })?;
    if let Some(field) = nul_path(&tree, "body") {
        return Err(AppError::invalid(&field, "must not contain NUL characters"));
    }
    serde_path_to_error::deserialize(strict::StrictValue(&tree)).map_err(body_error)
}

fn body_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        Category::Data => {
            let field = if path == "." { "body".to_owned() } else { path };
            AppError {
                fields: vec![FieldError {
                    field: field.clone(),
                    message: inner.to_string(),
                }],
                ..AppError::new(ErrorCode::InvalidBody, format!("{field}: {inner}"))
            }
        }
        _ => AppError::new(
            ErrorCode::MalformedJson,
            format!("request body is not valid JSON: {inner}"),
        ),
    }
}

/// The JSON path of a string holding U+0000, which PostgreSQL cannot store.
fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) => s.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(format!("{path}.{}", k.replace('\0', "\\u0000")));
            }
            nul_path(v, &format!("{path}.{k}"))
        }),
        _ => None,
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            "send the request body as Content-Type: application/json",
        ))
    }
}

fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(len) if len > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn too_large(limit: usize) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("request body is larger than {limit} bytes"),
    )
}
