use sea_orm::entity::prelude::*;

/// Stock set aside from a SKU for a deal or a campaign.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "allotments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub sku_id: i64,
    /// deal | campaign
    pub kind: String,
    pub quantity: i64,
    pub remaining: i64,
    pub open: bool,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
