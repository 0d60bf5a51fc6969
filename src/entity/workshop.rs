use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "workshops")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub region: String,
    pub description: String,
    pub contact: String,
    pub created_at: DateTimeUtc,
    /// Common-prosperity price band, basis points of the market reference.
    pub cp_band_min_bp: i32,
    pub cp_band_max_bp: i32,
    pub show_exact_stock: bool,
    pub low_stock_threshold: i32,
    pub shipping_flat_fen: i64,
    pub free_shipping_threshold_fen: i64,
    pub cold_chain_surcharge_fen: i64,
}

impl ActiveModelBehavior for ActiveModel {}
