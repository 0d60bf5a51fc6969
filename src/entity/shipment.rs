use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub order_id: i64,
    /// carrier | pickup_point
    pub kind: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub pickup_point_id: Option<i64>,
    /// shipped | in_transit | delivered | exception
    pub status: String,
    pub shipped_by: i64,
    pub shipped_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
