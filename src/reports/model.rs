//! Report views: a workshop's figures for a month or a date range, and the
//! platform overview. Money in fen.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult};
use crate::ledger::period::{Period, current_month};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `YYYY-MM` (China time). Default: the current month, unless `from`/`to` are given.
    #[param(example = "2026-11")]
    pub month: Option<String>,
    /// First day of a date range (China time), with `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day of the range, inclusive.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

impl ReportQuery {
    pub fn period(&self) -> AppResult<Period> {
        match (&self.month, self.from, self.to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(AppError::invalid(
                "month",
                "give either month or from and to, not both",
            )),
            (Some(month), None, None) => Period::month(month, "month"),
            (None, Some(from), Some(to)) => Period::days(from, to),
            (None, None, None) => Ok(current_month()),
            (None, _, _) => Err(AppError::invalid("to", "from and to go together")),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last day, inclusive.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// `YYYY-MM` for a whole month, else `from..to`.
    pub label: String,
    pub months: i64,
}

impl From<Period> for PeriodView {
    fn from(p: Period) -> Self {
        Self {
            from: p.from,
            to: p.to.pred_opt().unwrap_or(p.to),
            label: p.label(),
            months: p.month_count(),
        }
    }
}

/// Paid orders: GMV before refunds, net after.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct SalesFigures {
    pub gmv_fen: i64,
    pub net_fen: i64,
    pub orders: i64,
    /// Units sold and not refunded.
    pub units: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelFigures {
    /// live | flash_deal | group_buy | storefront
    pub channel: String,
    #[serde(flatten)]
    pub figures: SalesFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryFigures {
    pub category: String,
    pub units: i64,
    /// Units not refunded times their price.
    pub sales_fen: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LiveFigures {
    /// Sessions that went live in the period (开播次数).
    pub broadcasts: i64,
    /// Sum of each session's unique viewers.
    pub total_viewers: i64,
    /// Of those, signed-in accounts (real reach) …
    pub signed_in_viewers: i64,
    /// … and anonymous devices (at most a few per address).
    pub anonymous_viewers: i64,
    pub peak_viewers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdIncome {
    pub farmer_id: i64,
    pub name: String,
    pub village: String,
    pub is_low_income: bool,
    pub purchase_fen: i64,
    pub premium_fen: i64,
    /// Premium reversed by refunds (positive).
    pub reversals_fen: i64,
    /// purchase + premium − reversals.
    pub income_fen: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct HouseholdFigures {
    /// Farmer households credited with a purchase or premium in the period.
    pub supplying: i64,
    pub low_income_supplying: i64,
    pub income_fen: i64,
    pub low_income_income_fen: i64,
    /// income / supplying households / months in the period.
    pub avg_monthly_income_per_household_fen: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PremiumFigures {
    /// Premium of sales in the period, before reversals.
    pub total_fen: i64,
    /// Reversed by refunds (positive).
    pub reversed_fen: i64,
    /// Net shares by destination.
    pub farmer_fen: i64,
    pub collective_fen: i64,
    pub workshop_fen: i64,
}

/// A group-buy leader's commission in the period (accruals on collection,
/// reversals on refund).
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderCommission {
    pub leader_id: i64,
    pub name: String,
    pub accrued_fen: i64,
    /// Taken back by refunds (positive).
    pub reversed_fen: i64,
    pub net_fen: i64,
}

/// After-sales claims against a farmer's produce in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FarmerAfterSales {
    pub farmer_id: i64,
    pub name: String,
    /// Units of the farmer's lots sold (picked) in the period.
    pub units_sold: i64,
    /// Units named in after-sales claims opened in the period.
    pub units_claimed: i64,
    /// units_claimed per 10,000 units sold.
    pub rate_bp: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkshopReport {
    pub workshop_id: i64,
    pub workshop_name: String,
    pub period: PeriodView,
    pub totals: SalesFigures,
    pub unique_buyers: i64,
    pub channels: Vec<ChannelFigures>,
    pub categories: Vec<CategoryFigures>,
    pub live: LiveFigures,
    pub households: HouseholdFigures,
    /// Every supplying household, highest income first.
    pub income_by_household: Vec<HouseholdIncome>,
    pub premium: PremiumFigures,
    /// Group-buy leader commissions, largest first.
    pub leader_commissions: Vec<LeaderCommission>,
    /// After-sales rate by farmer, highest first.
    pub after_sales_by_farmer: Vec<FarmerAfterSales>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformOverview {
    pub period: PeriodView,
    pub workshops: Vec<WorkshopReport>,
}
