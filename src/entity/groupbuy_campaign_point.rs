use sea_orm::entity::prelude::*;

/// A pickup point taking part in a campaign.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groupbuy_campaign_points")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub pickup_point_id: i64,
}

impl ActiveModelBehavior for ActiveModel {}
