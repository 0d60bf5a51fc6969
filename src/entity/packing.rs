use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "packings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub order_id: i64,
    pub package_count: i32,
    pub weight_g: i32,
    pub cold_chain: bool,
    pub packed_by: i64,
    pub packed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
