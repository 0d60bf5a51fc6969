use sea_orm::entity::prelude::*;

/// A SKU in a live session's showcase (小黄车), optionally at a live price.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "live_pinned_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub workshop_id: i64,
    pub sku_id: i64,
    /// None: the SKU's normal price applies.
    pub live_price_fen: Option<i64>,
    /// Most units this session may sell; None: no cap beyond stock.
    pub live_stock_cap: Option<i64>,
    pub sold_units: i64,
    pub position: i32,
    pub pinned_at: DateTimeUtc,
    /// Set while the item is off the showcase; pinning again clears it.
    pub unpinned_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
