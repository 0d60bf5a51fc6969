use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    /// damaged | spoiled | missing | wrong_item
    pub reason: String,
    /// JSON array of photo URLs.
    pub photos: String,
    pub description: String,
    /// open | approved | rejected
    pub status: String,
    /// refund | reship
    pub resolution: Option<String>,
    pub refund_fen: Option<i64>,
    pub reship_order_id: Option<i64>,
    pub reject_reason: Option<String>,
    pub resolved_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
