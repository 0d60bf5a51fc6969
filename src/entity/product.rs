use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub title: String,
    pub description: String,
    /// strawberry | tea | zongzi | umbrella | specialty | other
    pub category: String,
    /// JSON array of image URLs.
    pub images: String,
    /// JSON array of tags.
    pub tags: String,
    /// draft | active | archived
    pub status: String,
    pub origin: String,
    /// ambient | chilled | frozen
    pub storage: String,
    pub shelf_life_days: Option<i32>,
    /// Sale window by month (1-12), inclusive, may wrap the year (11 → 4).
    pub sale_start_month: Option<i16>,
    pub sale_end_month: Option<i16>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
