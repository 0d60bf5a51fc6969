use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "live_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    /// The streamer sales in this session are attributed to.
    pub streamer_account_id: i64,
    pub created_by: i64,
    pub title: String,
    pub cover_url: String,
    pub description: String,
    /// scheduled | live | ended | cancelled
    pub status: String,
    pub scheduled_start_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    /// The pinned item being explained (讲解中), if any.
    pub explaining_item_id: Option<i64>,
    pub peak_viewers: i64,
    /// Signed-in accounts plus anonymous devices.
    pub unique_viewers: i64,
    pub signed_in_viewers: i64,
    /// Anonymous devices, at most `live.devices_per_address` per client address.
    pub anonymous_viewers: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
