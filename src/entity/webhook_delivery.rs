use sea_orm::entity::prelude::*;

/// One outbox event to one endpoint: retried until delivered or dead.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    pub workshop_id: i64,
    pub outbox_id: i64,
    pub event_type: String,
    pub resource_key: String,
    /// pending | delivered | dead
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub leased_until: Option<DateTimeUtc>,
    pub lease_token: Option<String>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
