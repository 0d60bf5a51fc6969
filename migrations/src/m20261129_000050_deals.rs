//! Flash deals (秒杀) in a live session: a deal price on a SKU for a limited
//! quantity (held in an allotment), a start, an end and a per-buyer limit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Deals::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Deals::Id))
                    .col(big_integer(Deals::WorkshopId))
                    .col(big_integer(Deals::LiveSessionId))
                    .col(big_integer(Deals::SkuId))
                    .col(big_integer(Deals::AllotmentId))
                    .col(big_integer(Deals::PriceFen))
                    .col(big_integer(Deals::Quantity))
                    .col(integer(Deals::PerBuyerLimit))
                    .col(integer(Deals::PaymentWindowSecs))
                    .col(timestamp_with_time_zone(Deals::StartsAt))
                    .col(timestamp_with_time_zone(Deals::EndsAt))
                    // active | ended
                    .col(string_len(Deals::Status, 16))
                    .col(big_integer(Deals::CreatedBy))
                    .col(timestamp_with_time_zone(Deals::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deals_session")
                    .table(Deals::Table)
                    .col(Deals::LiveSessionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deals_status_ends")
                    .table(Deals::Table)
                    .col(Deals::Status)
                    .col(Deals::EndsAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deals::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
    WorkshopId,
    LiveSessionId,
    SkuId,
    AllotmentId,
    PriceFen,
    Quantity,
    PerBuyerLimit,
    PaymentWindowSecs,
    StartsAt,
    EndsAt,
    Status,
    CreatedBy,
    CreatedAt,
}
