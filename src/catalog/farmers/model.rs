//! Farmer requests and the view, whose private fields only managers receive.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::entity::farmer;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFarmerRequest {
    #[schema(example = "王大伯")]
    pub name: String,
    #[schema(example = "杨村桥镇徐坑村")]
    pub village: String,
    #[schema(example = "13900009999")]
    pub phone: String,
    /// A low-income household (低收入农户).
    #[serde(default)]
    pub is_low_income: bool,
    /// Bank or settlement reference, opaque; visible to managers only.
    #[serde(default)]
    pub settlement_ref: String,
}

/// Only the fields present change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFarmerRequest {
    pub name: Option<String>,
    pub village: Option<String>,
    pub phone: Option<String>,
    pub is_low_income: Option<bool>,
    pub settlement_ref: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FarmerQuery {
    /// Only low-income households (`true`) or only the others (`false`).
    pub low_income: Option<bool>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FarmerView {
    pub id: i64,
    pub workshop_id: i64,
    pub name: String,
    pub village: String,
    pub is_low_income: bool,
    /// Managers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Managers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_ref: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Whether the caller may see a farmer's phone and settlement reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Manager,
    Staff,
}

impl FarmerView {
    pub fn new(m: farmer::Model, visibility: Visibility) -> Self {
        let private = visibility == Visibility::Manager;
        Self {
            id: m.id,
            workshop_id: m.workshop_id,
            name: m.name,
            village: m.village,
            is_low_income: m.is_low_income,
            phone: private.then_some(m.phone),
            settlement_ref: private.then_some(m.settlement_ref),
            created_at: m.created_at,
        }
    }
}
