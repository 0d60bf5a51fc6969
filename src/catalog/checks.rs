//! Field checks shared by the catalog's requests: image URLs, tags, codes and
//! amounts, added to a `Check` so one 422 lists every bad field.

use super::rules::MAX_PRICE_FEN;
use crate::error::{AppError, ErrorCode};
use crate::platform::validate::Check;

pub const MAX_IMAGES: usize = 10;
pub const MAX_TAGS: usize = 10;
/// The most units one lot, adjustment or write-off may move.
pub const MAX_UNITS: i64 = 1_000_000;

/// Up to ten absolute http(s) URLs of at most 500 characters.
pub fn images(check: &mut Check, field: &str, urls: &[String]) {
    if urls.len() > MAX_IMAGES {
        check.fail(field, format!("at most {MAX_IMAGES} images"));
        return;
    }
    for (i, raw) in urls.iter().enumerate() {
        let name = format!("{field}[{i}]");
        let ok = raw.len() <= 500
            && url::Url::parse(raw).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            });
        if !ok {
            check.fail(&name, "must be an http(s) URL of at most 500 characters");
        }
    }
}

/// Up to ten distinct tags of 1 to 20 characters.
pub fn tags(check: &mut Check, field: &str, tags: &[String]) {
    if tags.len() > MAX_TAGS {
        check.fail(field, format!("at most {MAX_TAGS} tags"));
        return;
    }
    for (i, tag) in tags.iter().enumerate() {
        check.text(&format!("{field}[{i}]"), tag, 1, 20);
    }
}

/// Trimmed, without duplicates, in the order given.
pub fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags.iter().map(|t| t.trim()) {
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    out
}

/// Letters, digits, `-` and `_`, 1 to 40 characters (SKU and lot codes).
pub fn code(check: &mut Check, field: &str, value: &str) {
    let ok = (1..=40).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        check.fail(field, "must be 1 to 40 letters, digits, '-' or '_'");
    }
}

pub fn price(check: &mut Check, field: &str, fen: i64, min: i64) {
    check.range(field, fen, min, MAX_PRICE_FEN);
}

/// A unique-index violation, told in the catalog's words.
pub fn taken(err: AppError, detail: String) -> AppError {
    if err.code == ErrorCode::AlreadyExists {
        AppError::new(
            ErrorCode::AlreadyExists,
            format!("{detail} in this workshop"),
        )
    } else {
        err
    }
}
