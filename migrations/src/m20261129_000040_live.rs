//! Live sessions (scheduled → live → ended, or cancelled) with their viewer
//! figures, and the SKUs pinned to a session's showcase (小黄车).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(live_sessions()).await?;
        manager.create_table(live_pinned_items()).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LivePinnedItems::Table.into_iden(),
            LiveSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn live_sessions() -> TableCreateStatement {
    Table::create()
        .table(LiveSessions::Table)
        .if_not_exists()
        .col(big_pk_auto(LiveSessions::Id))
        .col(big_integer(LiveSessions::WorkshopId))
        .col(big_integer(LiveSessions::StreamerAccountId))
        .col(big_integer(LiveSessions::CreatedBy))
        .col(string_len(LiveSessions::Title, 120))
        .col(string_len(LiveSessions::CoverUrl, 500))
        .col(text(LiveSessions::Description))
        // scheduled | live | ended | cancelled
        .col(string_len(LiveSessions::Status, 16))
        .col(timestamp_with_time_zone(LiveSessions::ScheduledStartAt))
        .col(timestamp_with_time_zone_null(LiveSessions::StartedAt))
        .col(timestamp_with_time_zone_null(LiveSessions::EndedAt))
        // The one pinned item being explained (讲解中): one column, so at most one.
        .col(big_integer_null(LiveSessions::ExplainingItemId))
        .col(big_integer(LiveSessions::PeakViewers).default(0))
        .col(big_integer(LiveSessions::UniqueViewers).default(0))
        .col(timestamp_with_time_zone(LiveSessions::CreatedAt))
        .col(timestamp_with_time_zone(LiveSessions::UpdatedAt))
        .foreign_key(&mut fk(
            LiveSessions::Table,
            LiveSessions::WorkshopId,
            Workshops::Table,
            Workshops::Id,
        ))
        .foreign_key(&mut fk(
            LiveSessions::Table,
            LiveSessions::StreamerAccountId,
            Accounts::Table,
            Accounts::Id,
        ))
        .to_owned()
}

fn live_pinned_items() -> TableCreateStatement {
    Table::create()
        .table(LivePinnedItems::Table)
        .if_not_exists()
        .col(big_pk_auto(LivePinnedItems::Id))
        .col(big_integer(LivePinnedItems::SessionId))
        .col(big_integer(LivePinnedItems::WorkshopId))
        .col(big_integer(LivePinnedItems::SkuId))
        .col(big_integer_null(LivePinnedItems::LivePriceFen))
        .col(big_integer_null(LivePinnedItems::LiveStockCap))
        // Units sold in this session against the cap (kept by the orders code).
        .col(big_integer(LivePinnedItems::SoldUnits).default(0))
        .col(integer(LivePinnedItems::Position))
        .col(timestamp_with_time_zone(LivePinnedItems::PinnedAt))
        // Unpinned items are kept (sales figures, the cap); pinning again revives them.
        .col(timestamp_with_time_zone_null(LivePinnedItems::UnpinnedAt))
        .col(timestamp_with_time_zone(LivePinnedItems::UpdatedAt))
        .foreign_key(&mut fk(
            LivePinnedItems::Table,
            LivePinnedItems::SessionId,
            LiveSessions::Table,
            LiveSessions::Id,
        ))
        .foreign_key(&mut fk(
            LivePinnedItems::Table,
            LivePinnedItems::SkuId,
            Skus::Table,
            Skus::Id,
        ))
        .check(Expr::col(LivePinnedItems::SoldUnits).gte(0))
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("ix_live_sessions_status_start")
            .table(LiveSessions::Table)
            .col(LiveSessions::Status)
            .col(LiveSessions::ScheduledStartAt)
            .col(LiveSessions::Id)
            .to_owned(),
        Index::create()
            .name("ix_live_sessions_workshop_start")
            .table(LiveSessions::Table)
            .col(LiveSessions::WorkshopId)
            .col(LiveSessions::ScheduledStartAt)
            .col(LiveSessions::Id)
            .to_owned(),
        Index::create()
            .name("ux_live_pinned_items_session_sku")
            .table(LivePinnedItems::Table)
            .col(LivePinnedItems::SessionId)
            .col(LivePinnedItems::SkuId)
            .unique()
            .to_owned(),
    ]
}

fn fk<T: IntoIden, C: IntoIden, R: IntoIden, RC: IntoIden>(
    table: T,
    col: C,
    ref_table: R,
    ref_col: RC,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(ref_table, ref_col)
        .to_owned()
}

#[derive(DeriveIden)]
enum LiveSessions {
    Table,
    Id,
    WorkshopId,
    StreamerAccountId,
    CreatedBy,
    Title,
    CoverUrl,
    Description,
    Status,
    ScheduledStartAt,
    StartedAt,
    EndedAt,
    ExplainingItemId,
    PeakViewers,
    UniqueViewers,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LivePinnedItems {
    Table,
    Id,
    SessionId,
    WorkshopId,
    SkuId,
    LivePriceFen,
    LiveStockCap,
    SoldUnits,
    Position,
    PinnedAt,
    UnpinnedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Workshops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Skus {
    Table,
    Id,
}
