//! The public list's query string: checked, normalised, and turned into the
//! filter the service runs and the key its cached page is stored under.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::catalog::rules::MAX_PRICE_FEN;
use crate::catalog::types::Category;
use crate::error::AppResult;
use crate::platform::pagination::{PageQuery, PageRequest};
use crate::platform::validate::Check;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Only this workshop's products.
    pub workshop_id: Option<i64>,
    pub category: Option<Category>,
    /// Products carrying this tag (exact).
    pub tag: Option<String>,
    /// `true`: only products on sale this month; `false`: only those out of season.
    pub in_season: Option<bool>,
    /// Products with an active SKU priced at least this much.
    pub min_price_fen: Option<i64>,
    /// Products with an active SKU priced at most this much.
    pub max_price_fen: Option<i64>,
    /// Text searched in titles (case-insensitive), 1–60 characters.
    pub q: Option<String>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A checked list request: the normalised filters (without paging) and the page.
#[derive(Debug)]
pub struct ListRequest {
    pub filter: ProductListQuery,
    pub page: PageRequest,
}

impl ProductListQuery {
    /// Checks the filters, trims `tag` and `q` (lower-casing `q`) and splits off the page.
    pub fn resolve(mut self) -> AppResult<ListRequest> {
        self.tag = non_empty(self.tag);
        self.q = non_empty(self.q).map(|q| q.to_lowercase());
        let mut check = Check::new();
        check
            .optional_text("tag", self.tag.as_deref(), 20)
            .optional_text("q", self.q.as_deref(), 60);
        for (field, value) in [
            ("min_price_fen", self.min_price_fen),
            ("max_price_fen", self.max_price_fen),
        ] {
            if let Some(fen) = value {
                check.range(field, fen, 0, MAX_PRICE_FEN);
            }
        }
        if let (Some(min), Some(max)) = (self.min_price_fen, self.max_price_fen)
            && min > max
        {
            check.fail("max_price_fen", "must not be below min_price_fen");
        }
        check.finish()?;
        let page = PageQuery::resolve_parts(self.limit.take(), self.cursor.take())?;
        Ok(ListRequest { filter: self, page })
    }
}

impl ListRequest {
    /// The cache key: every normalised field, so equal requests share a page.
    pub fn key(&self) -> String {
        format!(
            "{:?}|{}|{:?}",
            self.filter, self.page.limit, self.page.after_id
        )
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
