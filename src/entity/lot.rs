use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub sku_id: i64,
    pub farmer_id: i64,
    pub code: String,
    pub quantity: i64,
    /// Units physically left in this lot (decremented when picked or written off).
    pub remaining: i64,
    pub grade: String,
    pub harvest_date: Date,
    pub expiry_date: Date,
    /// Guaranteed purchase price per unit (兜底价), fen.
    pub floor_price_fen: i64,
    pub received_by: i64,
    pub received_at: DateTimeUtc,
    pub written_off: bool,
}

impl ActiveModelBehavior for ActiveModel {}
