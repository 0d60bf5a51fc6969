use sea_orm::entity::prelude::*;

/// An append-only commission row: accrual on collection, reversal on refund.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leader_commissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub leader_id: i64,
    pub pickup_point_id: i64,
    pub campaign_id: i64,
    pub order_id: i64,
    /// accrual | reversal
    pub kind: String,
    /// The order's net paid amount the row was computed from.
    pub base_fen: i64,
    pub rate_bps: i32,
    pub amount_fen: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
