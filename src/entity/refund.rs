use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub payment_id: i64,
    pub amount_fen: i64,
    /// JSON: [{line_id, quantity}]
    pub lines: String,
    pub reason: String,
    pub provider_ref: String,
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
