use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub customer_id: i64,
    pub status: String,
    /// storefront | live | deal | groupbuy
    pub channel: String,
    pub live_session_id: Option<i64>,
    pub streamer_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub pickup_point_id: Option<i64>,
    /// JSON snapshot of the delivery address.
    pub address: Option<String>,
    pub subtotal_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    pub expires_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The deal or campaign stock this order's units were drawn from.
    pub allotment_id: Option<i64>,
    /// The per-buyer limit this order counts against besides its SKUs ("deal:7").
    pub limit_scope: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
