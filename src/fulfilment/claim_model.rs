//! Request and response types of after-sales claims (售后) and the quality
//! report by lot and farmer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimReason {
    Damaged,
    Spoiled,
    Missing,
    WrongItem,
}

impl ClaimReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Damaged => "damaged",
            Self::Spoiled => "spoiled",
            Self::Missing => "missing",
            Self::WrongItem => "wrong_item",
        }
    }
}

/// A claim is `open` until a manager approves or rejects it, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Open,
    Approved,
    Rejected,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimLineRequest {
    pub line_id: i64,
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
}

/// A customer's claim on lines of a delivered order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenClaimRequest {
    pub lines: Vec<ClaimLineRequest>,
    pub reason: ClaimReason,
    /// Up to 6 photo URLs (https).
    #[serde(default)]
    pub photos: Vec<String>,
    #[serde(default)]
    #[schema(example = "三盒草莓压坏了")]
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Money back through the payment provider.
    Refund,
    /// A zero-price replacement order.
    Reship,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Reship => "reship",
        }
    }
}

/// Approve a claim: refund (all claimed units, or the `lines` given, for a
/// partial refund) or reship the claimed units at zero price.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveClaimRequest {
    pub resolution: Resolution,
    /// Part of the claimed units; default all of them.
    pub lines: Option<Vec<ClaimLineRequest>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectClaimRequest {
    #[schema(example = "照片显示果品完好")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub workshop_id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub reason: String,
    pub photos: Vec<String>,
    pub description: String,
    /// open | approved | rejected
    pub status: String,
    pub lines: Vec<ClaimLineView>,
    /// refund | reship
    pub resolution: Option<String>,
    pub refund_fen: Option<i64>,
    pub reship_order_id: Option<i64>,
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimLineView {
    pub line_id: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    #[param(inline)]
    pub status: Option<ClaimStatus>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Claims traced back to lots and farmers (quality feedback).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimStats {
    pub lots: Vec<LotClaims>,
    pub farmers: Vec<FarmerClaims>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotClaims {
    pub lot_id: i64,
    pub code: String,
    pub farmer_id: i64,
    /// Claims with a line drawn from this lot (rejected ones excluded).
    pub claims: i64,
    pub approved: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FarmerClaims {
    pub farmer_id: i64,
    pub farmer_name: String,
    pub claims: i64,
    pub approved: i64,
}
