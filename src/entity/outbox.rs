use sea_orm::entity::prelude::*;

/// One domain event, written in the transaction of the change it describes.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    /// e.g. `order.paid`
    pub event_type: String,
    /// e.g. `order:42`; events of one resource are delivered in id order.
    pub resource_key: String,
    /// JSON: the event's `data`.
    pub payload: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
