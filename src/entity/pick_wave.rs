use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pick_waves")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    /// open | closed | cancelled
    pub status: String,
    pub ship_by: Option<Date>,
    pub storage: Option<String>,
    pub destination: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<i64>,
    pub cancel_reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
