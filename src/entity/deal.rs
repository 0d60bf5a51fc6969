use sea_orm::entity::prelude::*;

/// A flash deal (秒杀) in a live session.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub live_session_id: i64,
    pub sku_id: i64,
    pub allotment_id: i64,
    pub price_fen: i64,
    pub quantity: i64,
    pub per_buyer_limit: i32,
    pub payment_window_secs: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// active | ended
    pub status: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
