//! Ledger requests and views: contracts, the split rule, sale splits, ledger
//! entries, payouts and farmer statements. Money in fen.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::entity::{farmer, farmer_contract, ledger_entry, sale_split};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContractRequest {
    pub farmer_id: i64,
    pub product_id: i64,
    /// A label for the season, e.g. `2026-27 冬春草莓`.
    #[schema(example = "2026-27 冬春草莓")]
    pub season: String,
    #[schema(value_type = String, format = Date, example = "2026-11-01")]
    pub starts_on: NaiveDate,
    #[schema(value_type = String, format = Date, example = "2027-04-30")]
    pub ends_on: NaiveDate,
    /// Grades covered; empty or absent covers every grade.
    #[serde(default)]
    pub grades: Vec<String>,
    /// Guaranteed purchase price per unit (兜底价), fen.
    #[schema(example = 2400)]
    pub floor_price_fen: i64,
    /// Units the workshop commits to buy over the season.
    #[schema(example = 600)]
    pub committed_units: i64,
    /// How produce is graded (sizes, defects), free text.
    #[serde(default)]
    pub grade_rules: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub id: i64,
    pub workshop_id: i64,
    pub farmer_id: i64,
    pub product_id: i64,
    pub season: String,
    #[schema(value_type = String, format = Date)]
    pub starts_on: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub ends_on: NaiveDate,
    pub grades: Vec<String>,
    pub floor_price_fen: i64,
    pub committed_units: i64,
    /// Units received under this contract so far.
    pub delivered_units: i64,
    pub grade_rules: String,
    pub created_at: DateTime<Utc>,
}

impl ContractView {
    pub fn new(c: farmer_contract::Model, delivered_units: i64) -> Self {
        Self {
            grades: serde_json::from_str(&c.grades).unwrap_or_default(),
            id: c.id,
            workshop_id: c.workshop_id,
            farmer_id: c.farmer_id,
            product_id: c.product_id,
            season: c.season,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            floor_price_fen: c.floor_price_fen,
            committed_units: c.committed_units,
            delivered_units,
            grade_rules: c.grade_rules,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    pub farmer_id: Option<i64>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SplitRuleView {
    pub workshop_id: i64,
    pub farmer_bp: i64,
    pub collective_bp: i64,
    pub workshop_bp: i64,
    /// Absent while the workshop uses the default rule (7000 / 2000 / 1000).
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRuleRequest {
    #[schema(example = 7000)]
    pub farmer_bp: i64,
    #[schema(example = 2000)]
    pub collective_bp: i64,
    #[schema(example = 1000)]
    pub workshop_bp: i64,
}

/// One lot's units of one order line and where its price went.
#[derive(Debug, Serialize, ToSchema)]
pub struct SaleSplitView {
    pub id: i64,
    /// sale | reversal (negative units and amounts)
    pub kind: String,
    pub order_id: i64,
    pub order_line_id: i64,
    pub sku_id: i64,
    pub lot_id: i64,
    pub farmer_id: i64,
    pub reverses_id: Option<i64>,
    /// The refund a reversal answers; none when the allocation itself was
    /// undone (its pick wave cancelled before packing).
    pub refund_id: Option<i64>,
    pub units: i64,
    pub unit_price_fen: i64,
    pub market_price_fen: i64,
    /// The lot's purchase price per unit (what the farmer was paid for it).
    pub unit_cost_fen: i64,
    pub revenue_fen: i64,
    pub cost_fen: i64,
    /// Price above the market reference, for common-prosperity SKUs.
    pub premium_fen: i64,
    pub farmer_fen: i64,
    pub collective_fen: i64,
    pub workshop_fen: i64,
    pub created_at: DateTime<Utc>,
}

impl From<sale_split::Model> for SaleSplitView {
    fn from(s: sale_split::Model) -> Self {
        Self {
            id: s.id,
            kind: s.kind,
            order_id: s.order_id,
            order_line_id: s.order_line_id,
            sku_id: s.sku_id,
            lot_id: s.lot_id,
            farmer_id: s.farmer_id,
            reverses_id: s.reverses_id,
            refund_id: s.refund_id,
            units: s.units,
            unit_price_fen: s.unit_price_fen,
            market_price_fen: s.market_price_fen,
            unit_cost_fen: s.unit_cost_fen,
            revenue_fen: s.revenue_fen,
            cost_fen: s.cost_fen,
            premium_fen: s.premium_fen,
            farmer_fen: s.farmer_fen,
            collective_fen: s.collective_fen,
            workshop_fen: s.workshop_fen,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: i64,
    /// farmer | collective | workshop
    pub account: String,
    pub farmer_id: Option<i64>,
    /// purchase | premium | reversal | payout
    pub kind: String,
    /// Signed: credits positive, reversals and payouts negative.
    pub amount_fen: i64,
    pub units: i64,
    pub lot_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub split_id: Option<i64>,
    pub order_id: Option<i64>,
    pub reference: String,
    pub created_at: DateTime<Utc>,
}

impl From<ledger_entry::Model> for EntryView {
    fn from(e: ledger_entry::Model) -> Self {
        Self {
            id: e.id,
            account: e.account,
            farmer_id: e.farmer_id,
            kind: e.kind,
            amount_fen: e.amount_fen,
            units: e.units,
            lot_id: e.lot_id,
            contract_id: e.contract_id,
            split_id: e.split_id,
            order_id: e.order_id,
            reference: e.reference,
            created_at: e.created_at,
        }
    }
}

/// The three accounts a premium is split between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerAccount {
    Farmer,
    Collective,
    Workshop,
}

impl LedgerAccount {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Farmer => "farmer",
            Self::Collective => "collective",
            Self::Workshop => "workshop",
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntryQuery {
    pub farmer_id: Option<i64>,
    #[param(inline)]
    pub account: Option<LedgerAccount>,
    /// Items per page (default 20, at most 100).
    pub limit: Option<u64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequest {
    #[schema(example = 50000)]
    pub amount_fen: i64,
    /// Bank transfer or receipt reference.
    #[schema(example = "农商银行转账 20261130-0012")]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutView {
    pub entry: EntryView,
    /// The farmer's balance after this payout.
    pub balance_fen: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`, China time (default: the current month).
    #[param(example = "2026-11")]
    pub month: Option<String>,
}

/// A farmer household as statements show it; phone and settlement reference
/// for managers only.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementFarmer {
    pub id: i64,
    pub name: String,
    pub village: String,
    pub is_low_income: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_ref: Option<String>,
}

impl StatementFarmer {
    pub fn new(f: &farmer::Model, private: bool) -> Self {
        Self {
            id: f.id,
            name: f.name.clone(),
            village: f.village.clone(),
            is_low_income: f.is_low_income,
            phone: private.then(|| f.phone.clone()),
            settlement_ref: private.then(|| f.settlement_ref.clone()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveredLot {
    pub lot_id: i64,
    pub code: String,
    pub sku_id: i64,
    pub grade: String,
    pub units: i64,
    /// Per unit: the contract price, or the agreed lot price if higher.
    pub unit_price_fen: i64,
    pub purchase_fen: i64,
    pub contract_id: Option<i64>,
    #[schema(value_type = String, format = Date)]
    pub received_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutLine {
    pub entry_id: i64,
    pub amount_fen: i64,
    pub reference: String,
    pub created_at: DateTime<Utc>,
}

/// One farmer's month: what was delivered and credited, reversed and paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    pub workshop_id: i64,
    /// `YYYY-MM`
    pub month: String,
    pub farmer: StatementFarmer,
    pub lots: Vec<DeliveredLot>,
    pub units_delivered: i64,
    /// Balance carried from before the month.
    pub opening_balance_fen: i64,
    pub purchase_fen: i64,
    pub premium_fen: i64,
    /// Premium taken back by refunds and cancelled pick waves (a positive number).
    pub reversals_fen: i64,
    /// purchase + premium − reversals.
    pub owed_fen: i64,
    /// Payouts recorded in the month.
    pub paid_fen: i64,
    /// opening + owed − paid: still owed at the month's end.
    pub balance_fen: i64,
    /// Units of this farmer's lots written off in the month (expired or
    /// downgraded); the farmer is still owed their purchase price.
    pub written_off_units: i64,
    /// The workshop's loss on those units, at their purchase price.
    pub written_off_fen: i64,
    pub payouts: Vec<PayoutLine>,
}
