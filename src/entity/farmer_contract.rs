use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "farmer_contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub farmer_id: i64,
    pub product_id: i64,
    pub season: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// JSON array of grades covered; empty covers every grade.
    pub grades: String,
    /// Guaranteed purchase price per unit (兜底价), fen.
    pub floor_price_fen: i64,
    pub committed_units: i64,
    pub grade_rules: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
