//! The catalog policy as read and replaced by a workshop's manager.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entity::workshop;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogPolicy {
    /// Lowest common-prosperity price, basis points of the market reference
    /// (10000 = 100 %). At least 10000.
    #[schema(example = 12000)]
    pub cp_band_min_bp: i32,
    /// Highest common-prosperity price, basis points (at most 30000).
    #[schema(example = 12500)]
    pub cp_band_max_bp: i32,
    /// Show shoppers the exact units available, not only in stock / low / sold out.
    pub show_exact_stock: bool,
    /// Available units at or below this show as `low`.
    #[schema(example = 10)]
    pub low_stock_threshold: i32,
}

impl From<&workshop::Model> for CatalogPolicy {
    fn from(w: &workshop::Model) -> Self {
        Self {
            cp_band_min_bp: w.cp_band_min_bp,
            cp_band_max_bp: w.cp_band_max_bp,
            show_exact_stock: w.show_exact_stock,
            low_stock_threshold: w.low_stock_threshold,
        }
    }
}
