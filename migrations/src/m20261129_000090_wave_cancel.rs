//! Cancelling a pick wave: who cancelled it, when and why, and a `released_at`
//! on the wave's order claims and lot allocations, so the order can join a
//! new wave while the cancelled wave's pick list stays readable.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An order is claimed by one wave at a time: released claims no longer count.
const ACTIVE_CLAIM_INDEX: &str = "CREATE UNIQUE INDEX ux_pick_wave_orders_active_order \
     ON pick_wave_orders (order_id) WHERE released_at IS NULL";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (
                PickWaves::Table.into_iden(),
                timestamp_with_time_zone_null(PickWaves::CancelledAt).take(),
            ),
            (
                PickWaves::Table.into_iden(),
                big_integer_null(PickWaves::CancelledBy).take(),
            ),
            (
                PickWaves::Table.into_iden(),
                string_len_null(PickWaves::CancelReason, 200).take(),
            ),
            (
                PickWaveOrders::Table.into_iden(),
                timestamp_with_time_zone_null(PickWaveOrders::ReleasedAt).take(),
            ),
            (
                PickAllocations::Table.into_iden(),
                timestamp_with_time_zone_null(PickAllocations::ReleasedAt).take(),
            ),
        ];
        // SQLite adds one column per ALTER TABLE.
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ux_pick_wave_orders_order")
                    .table(PickWaveOrders::Table)
                    .to_owned(),
            )
            .await?;
        // A partial index: same text on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(ACTIVE_CLAIM_INDEX)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_pick_wave_orders_active_order")
                    .table(PickWaveOrders::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_pick_wave_orders_order")
                    .table(PickWaveOrders::Table)
                    .col(PickWaveOrders::OrderId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let columns = [
            (
                PickWaves::Table.into_iden(),
                PickWaves::CancelledAt.into_iden(),
            ),
            (
                PickWaves::Table.into_iden(),
                PickWaves::CancelledBy.into_iden(),
            ),
            (
                PickWaves::Table.into_iden(),
                PickWaves::CancelReason.into_iden(),
            ),
            (
                PickWaveOrders::Table.into_iden(),
                PickWaveOrders::ReleasedAt.into_iden(),
            ),
            (
                PickAllocations::Table.into_iden(),
                PickAllocations::ReleasedAt.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PickWaves {
    Table,
    CancelledAt,
    CancelledBy,
    CancelReason,
}

#[derive(DeriveIden)]
enum PickWaveOrders {
    Table,
    OrderId,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum PickAllocations {
    Table,
    ReleasedAt,
}
