//! Cursor pagination: `?limit=` (clamped) and an opaque `cursor`; answers
//! carry `next_cursor`. Cursors encode the last id seen (keyset, never offset).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, ErrorCode};

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (default 20, at most 100; larger values are clamped).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// The page size asked for, within 1..=MAX_LIMIT. The document says int64, so
/// a value past `i64::MAX` (which `u64` would parse) is refused like any other
/// number that does not fit.
pub fn clamp_limit(limit: Option<u64>) -> AppResult<u64> {
    match limit {
        Some(l) if l > i64::MAX as u64 => Err(AppError::new(
            ErrorCode::InvalidParameter,
            "limit: must be an int64",
        )),
        _ => Ok(limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)),
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after_id: Option<i64>,
}

impl PageQuery {
    /// For query structs that carry `limit` and `cursor` among their own fields.
    pub fn resolve_parts(limit: Option<u64>, cursor: Option<String>) -> AppResult<PageRequest> {
        Self { limit, cursor }.resolve()
    }

    pub fn resolve(&self) -> AppResult<PageRequest> {
        let limit = clamp_limit(self.limit)?;
        let after_id = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(PageRequest { limit, after_id })
    }
}

impl PageRequest {
    /// Orders by the id column, starts after the cursor and fetches one row
    /// more than the page holds (for `Page::from_rows`).
    pub fn keyset<E: EntityTrait>(&self, select: Select<E>, id: E::Column) -> Select<E> {
        let select = select.order_by_asc(id).limit(self.limit + 1);
        match self.after_id {
            Some(after) => select.filter(id.gt(after)),
            None => select,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in id order.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, id_of: impl Fn(&T) -> i64) -> Self {
        let has_more = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = has_more
            .then(|| rows.last().map(|r| encode_cursor(id_of(r))))
            .flatten();
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

fn decode_cursor(cursor: &str) -> AppResult<i64> {
    let invalid = || AppError::invalid("cursor", "not a cursor returned by this API");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("id:")
        .and_then(|id| id.parse().ok())
        .ok_or_else(invalid)
}
