use sea_orm::entity::prelude::*;

/// A group-buy pickup point (自提点) run by one leader (团长).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pickup_points")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub leader_id: i64,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub opening_hours: String,
    pub capacity_per_day: i32,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
