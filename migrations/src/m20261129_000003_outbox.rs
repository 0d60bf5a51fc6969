//! Transactional outbox: every domain event is written in the same
//! transaction as the change it describes; delivery reads it later.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(big_integer(Outbox::WorkshopId))
                    .col(string_len(Outbox::EventType, 64))
                    // Events of one resource ("order:42") are delivered in id order.
                    .col(string_len(Outbox::ResourceKey, 64))
                    .col(text(Outbox::Payload))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_workshop_id")
                    .table(Outbox::Table)
                    .col(Outbox::WorkshopId)
                    .col(Outbox::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_resource")
                    .table(Outbox::Table)
                    .col(Outbox::ResourceKey)
                    .col(Outbox::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    WorkshopId,
    EventType,
    ResourceKey,
    Payload,
    CreatedAt,
}
