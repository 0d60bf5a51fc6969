use sea_orm::entity::prelude::*;

/// One lot's units of one order line, priced and split. Append-only; a
/// reversal is a new row with negative units and amounts.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_splits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    /// sale | reversal
    pub kind: String,
    pub order_id: i64,
    pub order_line_id: i64,
    pub sku_id: i64,
    pub lot_id: i64,
    pub farmer_id: i64,
    pub reverses_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub units: i64,
    pub unit_price_fen: i64,
    pub market_price_fen: i64,
    pub unit_cost_fen: i64,
    pub revenue_fen: i64,
    pub cost_fen: i64,
    pub premium_fen: i64,
    pub farmer_fen: i64,
    pub collective_fen: i64,
    pub workshop_fen: i64,
    pub farmer_bp: i32,
    pub collective_bp: i32,
    pub workshop_bp: i32,
    #[sea_orm(unique)]
    pub source_key: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
