//! Allotments: stock set aside from a SKU for a flash deal or a group-buy
//! campaign. Orders drawn from one hold its units; unpaid units go back to
//! it while it is open, and whatever is left returns to the SKU when it closes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Allotments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Allotments::Id))
                    .col(big_integer(Allotments::WorkshopId))
                    .col(big_integer(Allotments::SkuId))
                    // deal | campaign
                    .col(string_len(Allotments::Kind, 16))
                    .col(big_integer(Allotments::Quantity))
                    .col(big_integer(Allotments::Remaining))
                    .col(boolean(Allotments::Open).default(true))
                    .col(timestamp_with_time_zone(Allotments::CreatedAt))
                    .check(Expr::col(Allotments::Remaining).gte(0))
                    .to_owned(),
            )
            .await?;
        let columns = [
            big_integer_null(Orders::AllotmentId).take(),
            string_len_null(Orders::LimitScope, 32).take(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_allotment")
                    .table(Orders::Table)
                    .col(Orders::AllotmentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Allotments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Allotments {
    Table,
    Id,
    WorkshopId,
    SkuId,
    Kind,
    Quantity,
    Remaining,
    Open,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    AllotmentId,
    LimitScope,
}
