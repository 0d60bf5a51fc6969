use sea_orm::entity::prelude::*;

/// A community group-buy campaign (社区团购).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groupbuy_campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub title: String,
    pub min_total_units: i64,
    pub per_buyer_limit: i32,
    pub opens_at: DateTimeUtc,
    pub cuts_off_at: DateTimeUtc,
    pub pickup_date: Date,
    pub commission_bps: i32,
    /// draft | open | settling | succeeded | failed | completed | cancelled
    pub status: String,
    /// succeeded | failed | cancelled, decided once during settlement.
    pub outcome: Option<String>,
    /// The settling instance's token; its lease runs until `lease_until`.
    pub settler: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    /// Orders placed (a counter whose update locks the row against settlement).
    pub joins: i64,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
