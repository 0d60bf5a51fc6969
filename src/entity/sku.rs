use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "skus")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub product_id: i64,
    pub code: String,
    pub name: String,
    pub grade: String,
    /// jin | gram | box | pack | tin | piece
    pub unit: String,
    pub net_weight_g: i32,
    pub price_fen: i64,
    pub market_price_fen: i64,
    pub is_common_prosperity: bool,
    pub per_buyer_limit: Option<i32>,
    /// active | inactive
    pub status: String,
    /// Units in the workshop not yet sold: always the sum of stock movements.
    pub on_hand: i64,
    /// Units held by unpaid orders (and open flash deals / campaigns).
    pub reserved: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
