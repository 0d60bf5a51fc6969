use sea_orm::entity::prelude::*;

/// An order joined to a campaign: where and when it is collected, its pickup code.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groupbuy_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub campaign_id: i64,
    pub item_id: i64,
    pub customer_id: i64,
    pub pickup_point_id: i64,
    pub pickup_date: Date,
    pub pickup_code: Option<String>,
    /// joined | ready | cancelled | refunded
    pub settlement: String,
    pub settled_at: Option<DateTimeUtc>,
    pub collected_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
