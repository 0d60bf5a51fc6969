//! Partner webhooks: endpoints, one delivery per (endpoint, outbox event) with
//! its attempt log, and the outbox's fan-out mark (a partial index finds new rows).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(timestamp_with_time_zone_null(Outbox::FannedOutAt))
                    .to_owned(),
            )
            .await?;
        manager.create_table(endpoints()).await?;
        manager.create_table(deliveries()).await?;
        manager.create_table(attempts()).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        // Partial indexes (same syntax on PostgreSQL and SQLite): the worker's
        // queries only ever look at rows still waiting.
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX ix_outbox_not_fanned_out ON outbox (id) WHERE fanned_out_at IS NULL",
            // Claims scan pending deliveries oldest first (heads of their resources come first).
            "CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (id) \
             WHERE status = 'pending'",
            "CREATE INDEX ix_webhook_deliveries_head ON webhook_deliveries \
             (endpoint_id, resource_key, outbox_id) WHERE status = 'pending'",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_outbox_not_fanned_out")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::FannedOutAt)
                    .to_owned(),
            )
            .await
    }
}

fn endpoints() -> TableCreateStatement {
    Table::create()
        .table(WebhookEndpoints::Table)
        .if_not_exists()
        .col(big_pk_auto(WebhookEndpoints::Id))
        .col(big_integer(WebhookEndpoints::WorkshopId))
        .col(string_len(WebhookEndpoints::Url, 2048))
        .col(string_len(WebhookEndpoints::Description, 500))
        // JSON array of patterns: "order.paid", "order.*", "*".
        .col(text(WebhookEndpoints::EventTypes))
        .col(string_len(WebhookEndpoints::Secret, 128))
        .col(string_len_null(WebhookEndpoints::PreviousSecret, 128))
        .col(timestamp_with_time_zone_null(
            WebhookEndpoints::PreviousSecretExpiresAt,
        ))
        .col(boolean(WebhookEndpoints::Enabled))
        .col(integer(WebhookEndpoints::ConsecutiveFailures).default(0))
        .col(string_len_null(WebhookEndpoints::DisabledReason, 300))
        .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
        .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
        .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(WebhookEndpoints::Table, WebhookEndpoints::WorkshopId)
                .to(Workshops::Table, Workshops::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn deliveries() -> TableCreateStatement {
    use WebhookDeliveries as D;
    Table::create()
        .table(D::Table)
        .if_not_exists()
        .col(big_pk_auto(D::Id))
        .col(big_integer(D::EndpointId))
        .col(big_integer(D::WorkshopId))
        .col(big_integer(D::OutboxId))
        .col(string_len(D::EventType, 64))
        .col(string_len(D::ResourceKey, 64))
        // pending | delivered | dead
        .col(string_len(D::Status, 16))
        .col(integer(D::Attempts).default(0))
        .col(timestamp_with_time_zone(D::NextAttemptAt))
        .col(timestamp_with_time_zone(D::ExpiresAt))
        // A worker holds the delivery until then; past it another may take over.
        .col(timestamp_with_time_zone_null(D::LeasedUntil))
        .col(string_len_null(D::LeaseToken, 36))
        .col(integer_null(D::LastStatusCode))
        .col(integer_null(D::LastLatencyMs))
        .col(string_len_null(D::LastError, 500))
        .col(timestamp_with_time_zone(D::CreatedAt))
        .col(timestamp_with_time_zone(D::UpdatedAt))
        .col(timestamp_with_time_zone_null(D::DeliveredAt))
        .foreign_key(
            ForeignKey::create()
                .from(D::Table, D::EndpointId)
                .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(D::Table, D::OutboxId)
                .to(Outbox::Table, Outbox::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn attempts() -> TableCreateStatement {
    use WebhookAttempts as A;
    Table::create()
        .table(A::Table)
        .if_not_exists()
        .col(big_pk_auto(A::Id))
        .col(big_integer(A::DeliveryId))
        .col(big_integer(A::EndpointId))
        .col(timestamp_with_time_zone(A::AttemptedAt))
        .col(integer_null(A::StatusCode))
        .col(integer(A::LatencyMs))
        .col(string_len_null(A::Error, 500))
        .col(string_len_null(A::ResponseExcerpt, 1000))
        .foreign_key(
            ForeignKey::create()
                .from(A::Table, A::DeliveryId)
                .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("ix_webhook_endpoints_workshop")
            .table(WebhookEndpoints::Table)
            .col(WebhookEndpoints::WorkshopId)
            .col(WebhookEndpoints::Id)
            .to_owned(),
        // One delivery per event and endpoint: fan-out is idempotent.
        Index::create()
            .name("ux_webhook_deliveries_endpoint_event")
            .table(WebhookDeliveries::Table)
            .col(WebhookDeliveries::EndpointId)
            .col(WebhookDeliveries::OutboxId)
            .unique()
            .to_owned(),
        Index::create()
            .name("ix_webhook_deliveries_endpoint")
            .table(WebhookDeliveries::Table)
            .col(WebhookDeliveries::EndpointId)
            .col(WebhookDeliveries::Id)
            .to_owned(),
        Index::create()
            .name("ix_webhook_deliveries_outbox")
            .table(WebhookDeliveries::Table)
            .col(WebhookDeliveries::OutboxId)
            .to_owned(),
        Index::create()
            .name("ix_webhook_attempts_delivery")
            .table(WebhookAttempts::Table)
            .col(WebhookAttempts::DeliveryId)
            .col(WebhookAttempts::Id)
            .to_owned(),
    ]
}

#[derive(DeriveIden)]
enum Workshops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    FannedOutAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    WorkshopId,
    Url,
    Description,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Enabled,
    ConsecutiveFailures,
    DisabledReason,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    WorkshopId,
    OutboxId,
    EventType,
    ResourceKey,
    Status,
    Attempts,
    NextAttemptAt,
    ExpiresAt,
    LeasedUntil,
    LeaseToken,
    LastStatusCode,
    LastLatencyMs,
    LastError,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    EndpointId,
    AttemptedAt,
    StatusCode,
    LatencyMs,
    Error,
    ResponseExcerpt,
}
