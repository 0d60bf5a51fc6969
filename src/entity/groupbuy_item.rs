use sea_orm::entity::prelude::*;

/// One SKU of a campaign with its base price and tier prices.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groupbuy_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub sku_id: i64,
    pub base_price_fen: i64,
    /// JSON: [{"min_units": 50, "price_fen": 3990}, ...]
    pub tiers: String,
    pub quantity: i64,
    pub allotment_id: Option<i64>,
    pub final_price_fen: Option<i64>,
    pub units_paid: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
