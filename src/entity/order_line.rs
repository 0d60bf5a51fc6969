use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub storage: String,
    pub quantity: i32,
    pub unit_price_fen: i64,
    pub line_total_fen: i64,
    pub refunded_quantity: i32,
}

impl ActiveModelBehavior for ActiveModel {}
